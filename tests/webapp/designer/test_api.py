"""The designer's JSON endpoints: panel lists, validate with element ids, drafts with optimistic
locking, deploy with a comment, history; and who may use them."""

from __future__ import annotations

from sqlalchemy import select

from engine.access.models import Role
from engine.workflow.drafts import ProcessDraft
from engine.workflow.models import HumanTask, ProcessVersion
from tests.webapp.support import login
from webapp.designer.template import new_process_xml

from .support import panel_diagram


def designer(client, make_user, name="Dana Designer"):
    user = make_user(Role.PROCESS_DESIGNER, name=name, locale="en")
    login(client, user)
    return user


def test_only_designers_and_administrators(app, client, make_user):
    for role, expected in [(Role.CASE_WORKER, 403), (Role.MANAGER, 403), (Role.ADMINISTRATOR, 200),
                           (Role.PROCESS_DESIGNER, 200)]:
        other = app.test_client()
        login(other, make_user(role))
        assert other.get("/designer/api/catalog").status_code == expected, role
        assert other.post("/designer/api/validate", json={"xml": "x"}).status_code in (
            (expected,) if expected == 403 else (200,)), role
    assert client.get("/designer/api/catalog").status_code in (302, 401)


def test_catalog_lists_what_the_panel_chooses_from(client, make_user):
    designer(client, make_user)
    body = client.get("/designer/api/catalog").get_json()
    form = next(f for f in body["forms"] if f["key"] == "information.request")
    assert form["title"] and {"name", "label", "widget", "required"} <= set(form["fields"][0])
    echo = next(o for o in body["operators"] if o["name"] == "calendar.add_working_days")
    assert {p["name"]: (p["type"], p["required"]) for p in echo["params"]} == {
        "days": ("int", True), "start": ("date", True)}
    assert {"code", "name"} <= set(body["queues"][0]) if body["queues"] else True
    assert "process_designer" in {r["code"] for r in body["roles"]}
    information = next(d for d in body["dossier_types"] if d["code"] == "information")
    assert [p["code"] for p in information["phases"]] == ["request", "file", "done"]


def test_validate_returns_problems_with_element_ids(client, make_user):
    designer(client, make_user)
    good = client.post("/designer/api/validate", json={"xml": panel_diagram(), "key": "roof_check"}).get_json()
    assert good == {"valid": True, "problems": []}
    bad = client.post("/designer/api/validate", json={
        "xml": panel_diagram(condition=None, phase="signature"), "key": "roof_check",
    }).get_json()
    assert bad["valid"] is False
    by_id = {p["element_id"]: p["message"] for p in bad["problems"]}
    assert "no condition" in by_id["f_yes"]
    assert "not a phase of dossier type information" in by_id["milestone"]
    unknown_form = client.post("/designer/api/validate", json={
        "xml": panel_diagram(form_key="no.such"), "key": "roof_check",
    }).get_json()
    assert [(p["element_id"], "not registered" in p["message"]) for p in unknown_form["problems"]] == [
        ("register", True)]
    assert client.post("/designer/api/validate", json={"xml": ""}).status_code == 400
    broken = client.post("/designer/api/validate", json={"xml": "<bpmn:definitions"}).get_json()
    assert broken["valid"] is False and "not well-formed" in broken["problems"][0]["message"]


def test_deploy_needs_a_comment_and_a_valid_diagram(db, client, make_user):
    designer(client, make_user)
    url = "/designer/api/processes/roof_check/deploy"
    refused = client.post(url, json={"xml": panel_diagram(), "comment": "  "})
    assert refused.status_code == 400 and "comment" in refused.get_json()["error"]
    invalid = client.post(url, json={"xml": panel_diagram(condition=None), "comment": "first"})
    assert invalid.status_code == 422
    assert [p["element_id"] for p in invalid.get_json()["problems"]] == ["f_yes"]
    other_key = client.post("/designer/api/processes/other/deploy", json={"xml": panel_diagram(), "comment": "x"})
    assert other_key.status_code == 422 and "you are editing 'other'" in other_key.get_json()["problems"][0]["message"]
    with db.transaction() as s:
        assert s.scalar(select(ProcessVersion).where(ProcessVersion.key == "roof_check")) is None


def test_deploy_creates_a_version_and_the_same_file_creates_nothing(db, client, make_user):
    user = designer(client, make_user)
    url = "/designer/api/processes/roof_check/deploy"
    first = client.post(url, json={"xml": panel_diagram(), "comment": "First roof check"}).get_json()
    assert first["created"] is True and first["version"] == 1 and "Version 1" in first["message"]
    same = client.post(url, json={"xml": panel_diagram(), "comment": "again"}).get_json()
    assert same["created"] is False and "nothing new" in same["message"]
    with db.transaction() as s:
        version = s.scalar(select(ProcessVersion).where(ProcessVersion.key == "roof_check"))
        assert (version.comment, version.deployed_by_id, version.source_name) == (
            "First roof check", user.id, "roof_check.bpmn")
    history = client.get("/designer/api/processes/roof_check/history").get_json()["versions"]
    assert [(v["version"], v["deployed_by"], v["comment"]) for v in history] == [(1, "Dana Designer",
                                                                                  "First roof check")]


def test_what_the_panel_writes_runs(db, app, client, make_user):
    """A diagram with every property the panel writes deploys, and the engine reads them."""
    designer(client, make_user)
    assert client.post("/designer/api/processes/roof_check/deploy",
                       json={"xml": panel_diagram(), "comment": "panel"}).status_code == 200
    engine = app.extensions["guichet"].engine
    with db.transaction() as s:
        instance = engine.start(s, "roof_check")
        assert instance.phase == "file"
        task = s.scalar(select(HumanTask).where(HumanTask.instance_id == instance.id))
        assert (task.form_key, task.queue, task.due_at is not None) == ("information.request", "energy", True)


def test_drafts_refuse_the_second_save_of_a_stale_copy(db, app, make_user):
    alice, bob = app.test_client(), app.test_client()
    designer(alice, make_user, "Alice Designer")
    designer(bob, make_user, "Bob Designer")
    url = "/designer/api/processes/roof_check/draft"
    created = alice.post(url, json={"xml": panel_diagram(), "lock_version": None}).get_json()
    assert created["lock_version"] == 1
    # both open the draft
    opened = bob.get("/designer/api/processes/roof_check/diagram").get_json()
    assert opened["source"] == "draft" and opened["draft_lock_version"] == 1
    assert opened["draft_saved_by"] == "Alice Designer"
    assert alice.post(url, json={"xml": panel_diagram(phase="done"), "lock_version": 1}).status_code == 200
    refused = bob.post(url, json={"xml": panel_diagram(phase="request"), "lock_version": 1})
    assert refused.status_code == 409
    assert "Alice Designer saved this draft" in refused.get_json()["error"]
    with db.transaction() as s:
        draft = s.scalar(select(ProcessDraft).where(ProcessDraft.key == "roof_check"))
        assert 'value="done"' in draft.bpmn_xml and draft.lock_version == 2
    assert bob.post(url, json={"xml": "x", "lock_version": "one"}).status_code == 400


def test_deploy_discards_the_draft(db, client, make_user):
    designer(client, make_user)
    client.post("/designer/api/processes/roof_check/draft", json={"xml": panel_diagram(), "lock_version": None})
    client.post("/designer/api/processes/roof_check/deploy", json={"xml": panel_diagram(), "comment": "go"})
    with db.transaction() as s:
        assert s.scalar(select(ProcessDraft)) is None
    opened = client.get("/designer/api/processes/roof_check/diagram").get_json()
    assert (opened["source"], opened["version"], opened["draft_lock_version"]) == ("version", 1, None)


def test_open_an_old_version(client, make_user):
    designer(client, make_user)
    url = "/designer/api/processes/roof_check/deploy"
    client.post(url, json={"xml": panel_diagram(), "comment": "one"})
    client.post(url, json={"xml": panel_diagram(phase="done"), "comment": "two"})
    old = client.get("/designer/api/processes/roof_check/diagram?version=1").get_json()
    assert old["version"] == 1 and 'value="file"' in old["xml"] and old["latest_version"] == 2
    assert client.get("/designer/api/processes/roof_check/diagram?version=7").status_code == 404
    assert client.get("/designer/api/processes/nothing/diagram").status_code == 404


def test_the_new_process_template_is_valid(client, make_user):
    designer(client, make_user)
    body = client.post("/designer/api/validate", json={"xml": new_process_xml("fresh", "Fresh"), "key": "fresh"})
    assert body.get_json() == {"valid": True, "problems": []}
