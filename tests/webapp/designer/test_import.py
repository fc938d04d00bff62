"""Importing a .bpmn file on the designer's index page: the file becomes the draft of its
executable process (or of the process chosen when it holds several), opens in the modeler, and
never overwrites someone else's draft. Bad files are refused saying what to fix."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

from sqlalchemy import select

from engine.access.models import Role
from engine.workflow.drafts import ProcessDraft, save_draft
from engine.workflow.models import ProcessVersion
from tests.webapp.support import login, page_text

from .support import HEADER, panel_diagram

MIWG = Path(__file__).resolve().parents[4] / "shared" / "data" / "bpmn-miwg"


def upload(client: Any, data: bytes | str, name: str = "diagram.bpmn", **form: str) -> Any:
    raw = data.encode() if isinstance(data, str) else data
    return client.post("/designer/import", data={"file": (io.BytesIO(raw), name), **form},
                       content_type="multipart/form-data")


def drafts(db: Any) -> dict[str, ProcessDraft]:
    with db.transaction() as s:
        rows = s.scalars(select(ProcessDraft)).all()
        return {d.key: d for d in rows}


TWO_EXECUTABLE = HEADER + """
<bpmn:collaboration id="both"><bpmn:participant id="pa" processRef="first"/>
<bpmn:participant id="pb" processRef="second"/></bpmn:collaboration>
<bpmn:process id="first" name="First" isExecutable="true"><bpmn:startEvent id="s1"/></bpmn:process>
<bpmn:process id="second" name="Second" isExecutable="true"><bpmn:startEvent id="s2"/></bpmn:process>
</bpmn:definitions>"""


def test_index_offers_the_import_form(client, make_user):
    login(client, make_user(Role.PROCESS_DESIGNER, locale="en"))
    html = client.get("/designer/").get_data(as_text=True)
    assert 'action="/designer/import"' in html and 'enctype="multipart/form-data"' in html
    assert 'type="file"' in html and "Import a .bpmn file" in html


def test_an_executable_file_becomes_a_draft_of_its_process_and_opens(db, client, make_user):
    user = make_user(Role.PROCESS_DESIGNER, locale="en")
    login(client, user)
    original = (MIWG / "C.9.1.bpmn").read_text(encoding="utf-8")
    response = upload(client, original, "C.9.1.bpmn")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/designer/processes/requestDocument_en")
    draft = drafts(db)["requestDocument_en"]
    assert draft.bpmn_xml == original and draft.saved_by_id == user.id and draft.base_version is None
    page = client.get(response.headers["Location"])
    assert page.status_code == 200 and "C.9.1.bpmn imported as a draft of requestDocument_en." in page_text(page)
    opened = client.get("/designer/api/processes/requestDocument_en/diagram").get_json()
    assert opened["source"] == "draft" and opened["xml"] == original
    # validation names what Guichet itself needs (quoted timers, a form), element by element
    problems = client.post("/designer/api/validate", json={"xml": original, "key": "requestDocument_en"}).get_json()
    by_id = {p["element_id"]: p["message"] for p in problems["problems"]}
    assert 'must be quoted: "P7D"' in by_id["BoundaryEvent_2"] and "no form" in by_id["UserTask_CallCustomer"]


def test_a_file_that_runs_nothing_is_imported_and_validation_says_why(db, client, make_user):
    login(client, make_user(Role.PROCESS_DESIGNER, locale="en"))
    response = upload(client, (MIWG / "A.4.0.bpmn").read_bytes(), "A.4.0.bpmn")
    # two pools, none executable: the collaboration names the draft
    assert response.headers["Location"].endswith("/designer/processes/C1373649949206")
    assert "no process of this file is marked executable" in page_text(client.get(response.headers["Location"])).lower()
    xml = drafts(db)["C1373649949206"].bpmn_xml
    result = client.post("/designer/api/validate", json={"xml": xml, "key": "C1373649949206"}).get_json()
    assert result["valid"] is False
    messages = {p["element_id"]: p["message"] for p in result["problems"]}
    assert set(messages) == {"WFP-6-1", "WFP-6-2"}
    assert all("is not marked executable" in m and 'isExecutable="true"' in m for m in messages.values())


def test_several_executable_processes_ask_which_one(db, client, make_user):
    login(client, make_user(Role.PROCESS_DESIGNER, locale="en"))
    asked = upload(client, TWO_EXECUTABLE, "two.bpmn")
    html = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "holds several processes" in page_text(asked)
    assert 'name="process"' in html
    assert all(f'value="{key}"' in html for key in ("first", "second", "both"))
    assert drafts(db) == {}
    chosen = upload(client, TWO_EXECUTABLE, "two.bpmn", process="second")
    assert chosen.headers["Location"].endswith("/designer/processes/second")
    assert set(drafts(db)) == {"second"}
    unknown = upload(client, TWO_EXECUTABLE, "two.bpmn", process="third")
    assert unknown.status_code == 400 and "has no process or collaboration third" in page_text(unknown)


def test_bad_files_are_refused_saying_what_to_fix(db, client, make_user):
    login(client, make_user(Role.PROCESS_DESIGNER, locale="en"))
    cases = [
        (b"<bpmn:definitions", "not well-formed XML (line 1"),
        (b'<?xml version="1.0"?><html><body/></html>', "its root element is html instead of bpmn:definitions"),
        (b"   ", "The file is empty"),
        (HEADER.encode() + b"<bpmn:process id='p'/>" + b" " * 5_000_001 + b"</bpmn:definitions>",
         "larger than 5 MB"),
        ((MIWG / "C.1.0.bpmn").read_bytes(), "The id bpmn-miwg-test-case-c.1.0 cannot be a process key"),
        (HEADER.encode() + b"</bpmn:definitions>", "neither a process nor a collaboration"),
    ]
    for data, expected in cases:
        response = upload(client, data)
        assert response.status_code == 400, expected
        assert expected in page_text(response), expected
    missing = client.post("/designer/import", data={}, content_type="multipart/form-data")
    assert missing.status_code == 400 and "Choose a .bpmn file to import." in page_text(missing)
    assert drafts(db) == {}


def test_importing_a_deployed_process_makes_a_draft_over_it(db, client, make_user):
    login(client, make_user(Role.PROCESS_DESIGNER, locale="en"))
    with db.transaction() as s:
        latest = s.scalar(select(ProcessVersion.version).where(ProcessVersion.key == "information")
                          .order_by(ProcessVersion.version.desc()).limit(1))
    assert latest is not None
    response = upload(client, panel_diagram(key="information"), "information.bpmn")
    assert response.headers["Location"].endswith("/designer/processes/information")
    draft = drafts(db)["information"]
    assert draft.base_version == latest and 'id="information"' in draft.bpmn_xml


def test_someone_elses_draft_is_never_overwritten(db, client, make_user):
    other = make_user(Role.PROCESS_DESIGNER, name="Olga Other", locale="en")
    me = make_user(Role.PROCESS_DESIGNER, name="Dana Designer", locale="en")
    with db.transaction() as s:
        save_draft(s, "roof_check", panel_diagram(), lock_version=None, user_id=other.id)
    login(client, me)
    refused = upload(client, panel_diagram().replace("Roof check", "Mine"), "roof.bpmn")
    assert refused.status_code == 409
    assert "Olga Other has a draft of roof_check" in page_text(refused)
    kept = drafts(db)["roof_check"]
    assert kept.saved_by_id == other.id and "Mine" not in kept.bpmn_xml


def test_my_own_draft_is_replaced(db, client, make_user):
    me = make_user(Role.PROCESS_DESIGNER, locale="en")
    with db.transaction() as s:
        save_draft(s, "roof_check", panel_diagram(), lock_version=None, user_id=me.id)
    login(client, me)
    response = upload(client, panel_diagram().replace("Roof check", "Roof check again"), "roof.bpmn")
    assert response.status_code == 302
    draft = drafts(db)["roof_check"]
    assert draft.lock_version == 2 and "Roof check again" in draft.bpmn_xml


def test_only_designers_import(db, client, make_user):
    login(client, make_user(Role.CASE_WORKER, locale="en"))
    response = upload(client, (MIWG / "C.9.1.bpmn").read_bytes(), "C.9.1.bpmn")
    assert response.status_code == 403
    assert drafts(db) == {}


def test_shapes_of_a_process_no_pool_shows_are_kept_with_a_pool(db, client, make_user):
    """B.1.0 draws a process without pool on its collaboration's diagram; bpmn-js would drop those
    shapes on save, so the import gives that process a participant and keeps everything else."""
    login(client, make_user(Role.PROCESS_DESIGNER, locale="en"))
    original = (MIWG / "B.1.0.bpmn").read_bytes()
    response = upload(client, original, "B.1.0.bpmn", process="C1373655174958")
    assert response.headers["Location"].endswith("/designer/processes/C1373655174958")
    stored = drafts(db)["C1373655174958"].bpmn_xml
    assert 'processRef="Process_ba16239e-181e-4b9f-bc5b-0bb2ee973450"' in stored
    assert 'id="Participant_Process_ba16239e-181e-4b9f-bc5b-0bb2ee973450"' in stored
    before = {m.group(1) for m in re.finditer(rb'\bid="([^"]+)"', original)}
    after = {m.group(1).encode() for m in re.finditer(r'\bid="([^"]+)"', stored)}
    assert before <= after and len(after - before) == 1
