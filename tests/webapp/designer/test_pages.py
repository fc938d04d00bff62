"""The designer's pages: the list, a new process, the modeler page, the history with re-deploy."""

from __future__ import annotations

import re

from sqlalchemy import select

from engine.access.models import Role
from engine.workflow.drafts import ProcessDraft
from engine.workflow.models import ProcessVersion
from tests.webapp.support import login, page_text

from .support import panel_diagram


def test_index_lists_processes_with_latest_version_and_who(client, make_user):
    login(client, make_user(Role.PROCESS_DESIGNER, name="Dana Designer", locale="en"))
    client.post("/designer/api/processes/roof_check/deploy", json={"xml": panel_diagram(), "comment": "c"})
    text = page_text(client.get("/designer/"))
    assert "information" in text and "roof_check" in text and "Dana Designer" in text


def test_new_process_opens_a_draft_from_the_template(db, client, make_user):
    login(client, make_user(Role.PROCESS_DESIGNER, locale="en"))
    response = client.post("/designer/new", data={"key": "roof_insulation", "name": "Roof insulation"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/designer/processes/roof_insulation")
    with db.transaction() as s:
        draft = s.scalar(select(ProcessDraft))
        assert draft.key == "roof_insulation" and 'name="Roof insulation"' in draft.bpmn_xml
    page = client.get("/designer/processes/roof_insulation")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "bpmn-modeler.production.min.js" in html
    assert 'id="designer-data"' in html and "<script>" not in html  # data, not inline code (CSP)


def test_new_process_refuses_bad_or_taken_keys(db, client, make_user):
    login(client, make_user(Role.PROCESS_DESIGNER, locale="en"))
    bad = client.post("/designer/new", data={"key": "9 lives"}, follow_redirects=True)
    assert "must start with a letter" in page_text(bad)
    taken = client.post("/designer/new", data={"key": "information"}, follow_redirects=True)
    assert "exists already" in page_text(taken)
    with db.transaction() as s:
        assert s.scalar(select(ProcessDraft)) is None


def test_modeler_of_unknown_process_is_404(client, make_user):
    login(client, make_user(Role.PROCESS_DESIGNER, locale="en"))
    assert client.get("/designer/processes/nothing").status_code == 404
    assert client.get("/designer/processes/information").status_code == 200


def test_history_page_summary_download_and_redeploy(db, client, make_user):
    login(client, make_user(Role.PROCESS_DESIGNER, name="Dana Designer", locale="en"))
    url = "/designer/api/processes/roof_check/deploy"
    client.post(url, json={"xml": panel_diagram(), "comment": "First"})
    renamed = panel_diagram().replace('name="Compute"', 'name="Compute the deadline"')
    client.post(url, json={"xml": renamed, "comment": "Rename"})
    text = page_text(client.get("/designer/processes/roof_check/history"))
    assert "Rename" in text and "Changed: Compute the deadline" in text and "First version." in text
    download = client.get("/designer/processes/roof_check/versions/1.bpmn")
    assert download.status_code == 200 and download.get_data(as_text=True) == panel_diagram()
    assert "roof_check-v1.bpmn" in download.headers["Content-Disposition"]
    response = client.post("/designer/processes/roof_check/versions/1/redeploy", data={"comment": ""},
                           follow_redirects=True)
    assert "deployed again as version 3" in page_text(response)
    with db.transaction() as s:
        v3 = s.scalar(select(ProcessVersion).where(ProcessVersion.key == "roof_check", ProcessVersion.version == 3))
        assert v3.bpmn_xml == panel_diagram() and v3.comment == "Re-deployed version 1"
    assert client.get("/designer/processes/roof_check/versions/9.bpmn").status_code == 404


def test_pages_are_for_designers(app, make_user):
    worker = app.test_client()
    login(worker, make_user(Role.CASE_WORKER))
    for path in ["/designer/", "/designer/processes/information", "/designer/processes/information/history"]:
        assert worker.get(path).status_code == 403
    assert worker.post("/designer/new", data={"key": "x"}).status_code == 403
    admin = app.test_client()
    login(admin, make_user(Role.ADMINISTRATOR))
    assert admin.get("/designer/").status_code == 200
    assert re.search(r'href="/designer/"', admin.get("/").get_data(as_text=True))  # in the main menu


def test_the_modeler_speaks_the_readers_language(client, make_user):
    login(client, make_user(Role.PROCESS_DESIGNER, locale="nl"))
    html = client.get("/designer/processes/information").get_data(as_text=True)
    assert "Valideren" in html and "Ontwerp opslaan" in html
    assert '"valid": "Het diagram is geldig."' in html or "Het diagram is geldig." in html
