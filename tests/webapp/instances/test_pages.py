"""The instance pages: who may open them, 404 for what does not exist, the list and its filters,
the viewer's facts and marks, an element's history (data only for roles that see case data) and
the heat map with its table and JSON."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from engine.access.models import Role
from engine.cases.dossiers import open_dossier
from engine.cases.models import Dossier
from engine.workflow.models import HumanTask, Incident, ProcessInstance
from tests.webapp.support import VALID_REQUEST, page_text

from . import support


def _viewer_data(html: str) -> dict:
    match = re.search(r'<script type="application/json" id="instances-data">(.*?)</script>', html, re.S)
    assert match, "the page has no data block"
    return json.loads(match.group(1))


def _complete_first(services, instance_id: int, user_id: int) -> None:
    with services.db.transaction() as session:
        task = session.scalar(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                      HumanTask.bpmn_id == "first"))
        services.engine.complete(session, task.id, VALID_REQUEST, user_id=user_id)


def test_case_workers_are_refused_designers_and_managers_let_in(services, signed_in):
    version_id = support.deploy(services)
    instance_id = support.start(services)
    paths = ["/instances/", f"/instances/{instance_id}", f"/instances/{instance_id}/elements/first/history",
             f"/instances/versions/{version_id}/heatmap", f"/instances/versions/{version_id}/heatmap.json",
             f"/instances/versions/{version_id}/diagram.bpmn"]
    worker, _user = signed_in(Role.CASE_WORKER)
    for path in paths:
        assert worker.get(path).status_code == 403, path
    for action in ("suspend", "resume", "terminate", "move", "migrate"):
        assert worker.post(f"/instances/{instance_id}/{action}", data={"reason": "x"}).status_code == 403
    assert worker.post(f"/instances/versions/{version_id}/migrate", data={"reason": "x"}).status_code == 403
    for role in (Role.PROCESS_DESIGNER, Role.MANAGER, Role.ADMINISTRATOR):
        client, _user = signed_in(role)
        for path in paths:
            assert client.get(path).status_code == 200, (role, path)


def test_anonymous_visitors_are_sent_to_sign_in(app):
    response = app.test_client().get("/instances/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_missing_instances_versions_and_incidents_are_404(services, signed_in):
    version_id = support.deploy(services)
    instance_id = support.start(services)
    failing_id = support.start(services, divisor=0)
    with services.db.transaction() as session:
        incident_id = session.scalar(select(Incident.id).where(Incident.instance_id == failing_id))
    client, _user = signed_in(Role.MANAGER)
    for path in ["/instances/999999", "/instances/999999/elements/first/history",
                 "/instances/versions/999999/heatmap", "/instances/versions/999999/heatmap.json",
                 "/instances/versions/999999/diagram.bpmn", f"/instances/{instance_id}/elements/{'x' * 300}/history"]:
        assert client.get(path).status_code == 404, path
    for path in ["/instances/999999/suspend", "/instances/999999/terminate", "/instances/999999/move",
                 "/instances/999999/migrate", "/instances/versions/999999/migrate",
                 f"/instances/999999/incidents/{incident_id}/retry",
                 # an incident of another instance is not found on this one
                 f"/instances/{instance_id}/incidents/{incident_id}/retry",
                 f"/instances/{instance_id}/incidents/{incident_id}/resolve",
                 f"/instances/{failing_id}/incidents/999999/resolve"]:
        assert client.post(path, data={"reason": "r", "note": "n"}).status_code == 404, path
    assert client.get(f"/instances/versions/{version_id}/heatmap").status_code == 200


def test_list_filters_by_process_version_and_status_with_the_dossier_number(services, signed_in):
    support.deploy(services)
    running = support.start(services)
    failing = support.start(services, divisor=0)
    support.deploy(services, support.diagram(second_name="Answer the citizen"))
    on_v2 = support.start(services)
    with services.db.transaction() as session:
        dossier = open_dossier(session, services.engine, "information", "Roof question", user_id=None)
        dossier_number, dossier_instance = dossier.number, dossier.process_instance_id
    client, _user = signed_in(Role.PROCESS_DESIGNER)

    def ids(query: str) -> list[int]:
        html = client.get(f"/instances/?{query}").get_data(as_text=True)
        return [int(n) for n in re.findall(r'<td class="num"><a href="/instances/(\d+)">', html)]

    assert ids("") == sorted([running, failing, on_v2, dossier_instance], reverse=True)
    assert ids("key=viewer_check") == sorted([running, failing, on_v2], reverse=True)
    assert ids("key=viewer_check&version=1") == sorted([running, failing], reverse=True)
    assert ids("key=viewer_check&version=2") == [on_v2]
    assert ids("status=error") == [failing]
    assert ids("status=nonsense") == ids("")  # an unknown status filters nothing
    text = page_text(client.get("/instances/?key=information"))
    assert dossier_number in text and "Incident" not in text.split("Status", 2)[-1]
    with services.db.transaction() as session:
        dossier_id = session.scalar(select(Dossier.id).where(Dossier.number == dossier_number))
    # a designer cannot open dossier pages: the number without a link; a manager gets the link
    assert f'href="/dossiers/{dossier_id}"' not in client.get("/instances/?key=information").get_data(as_text=True)
    manager, _user = signed_in(Role.MANAGER)
    assert f'href="/dossiers/{dossier_id}"' in manager.get("/instances/?key=information").get_data(as_text=True)
    assert "No instance matches these filters." in page_text(client.get("/instances/?key=nothing_here"))


def test_viewer_shows_facts_marks_tasks_and_audit(services, signed_in):
    support.deploy(services)
    instance_id = support.start(services)
    client, user = signed_in(Role.MANAGER, name="Mia Manager")
    _complete_first(services, instance_id, user.id)
    support.deploy(services, support.diagram(second_name="Answer the citizen"))
    response = client.get(f"/instances/{instance_id}")
    text = page_text(response)
    assert "Viewer check" in text and "In progress" in text
    assert "newer version available: v2" in text
    assert "Answer" in text.split("Open human tasks", 1)[1]  # the open task
    assert "task_completed" in text and "Mia Manager" in text and "instance_started" in text
    assert "Can I insulate" not in text  # the audit never shows the form data
    data = _viewer_data(response.get_data(as_text=True))
    marks = {m["id"]: m for m in data["marks"]}
    assert marks["start"]["completed"] == 1 and marks["first"]["completed"] == 1
    assert marks["second"]["active"] == 1 and marks["second"]["completed"] == 0
    assert data["urls"]["history"] == f"/instances/{instance_id}/elements/__ID__/history"
    html = response.get_data(as_text=True)
    assert "bpmn-navigated-viewer.production.min.js" in html
    assert '<option value="first">Check the roof (first)</option>' in html  # choosing without a mouse
    assert 'value="f1"' not in html  # flows are not offered


def test_pages_speak_french_and_dutch(services, signed_in):
    version_id = support.deploy(services)
    instance_id = support.start(services)
    french, _user = signed_in(Role.MANAGER, locale="fr")
    assert "Historique du dossier" in page_text(french.get(f"/instances/{instance_id}"))
    assert "Carte de chaleur" in page_text(french.get(f"/instances/versions/{version_id}/heatmap"))
    dutch, _user = signed_in(Role.PROCESS_DESIGNER, locale="nl")
    assert "Procesinstanties" in page_text(dutch.get("/instances/"))
    hidden = dutch.get(f"/instances/{instance_id}/elements/first/history").get_json()["data_hidden"]
    assert hidden == "Gegevens verborgen: uw rol toont geen dossiergegevens"


def test_viewer_of_an_incident_lists_it_with_retry_and_resolve(services, signed_in):
    support.deploy(services)
    instance_id = support.start(services, divisor=0)
    client, _user = signed_in(Role.PROCESS_DESIGNER)
    response = client.get(f"/instances/{instance_id}")
    text = page_text(response)
    assert "ZeroDivisionError" in text and "Retry" in text and "Mark as resolved" in text
    marks = {m["id"]: m for m in _viewer_data(response.get_data(as_text=True))["marks"]}
    assert marks["compute"]["incident"] is True


def test_subject_dossier_is_linked_and_the_dossier_links_back(services, signed_in, make_user):
    with services.db.transaction() as session:
        dossier = open_dossier(session, services.engine, "information", "Roof question", user_id=None)
        dossier_id, number, instance_id = dossier.id, dossier.number, dossier.process_instance_id
    designer, _user = signed_in(Role.PROCESS_DESIGNER, Role.CASE_WORKER)
    html = designer.get(f"/instances/{instance_id}").get_data(as_text=True)
    assert f'href="/dossiers/{dossier_id}"' in html and number in html
    dossier_page = designer.get(f"/dossiers/{dossier_id}").get_data(as_text=True)
    assert f'href="/instances/{instance_id}"' in dossier_page
    worker, _user = signed_in(Role.CASE_WORKER)
    assert f'href="/instances/{instance_id}"' not in worker.get(f"/dossiers/{dossier_id}").get_data(as_text=True)


def test_history_shows_data_to_managers_and_hides_it_from_designers(services, signed_in):
    support.deploy(services)
    instance_id = support.start(services)
    manager, user = signed_in(Role.MANAGER, name="Mia Manager")
    _complete_first(services, instance_id, user.id)
    shown = manager.get(f"/instances/{instance_id}/elements/first/history").get_json()
    assert shown["data_allowed"] is True and shown["name"] == "Check the roof"
    [visit] = shown["visits"]
    assert visit["outcome"] == "completed" and visit["actor"] == "Mia Manager" and visit["left_at"]
    assert visit["data_in"]["divisor"] == 1
    assert visit["data_out"]["question_summary"] == VALID_REQUEST["question_summary"]

    designer, _user = signed_in(Role.PROCESS_DESIGNER)
    hidden = designer.get(f"/instances/{instance_id}/elements/first/history").get_json()
    assert hidden["data_allowed"] is False
    assert hidden["data_hidden"] == "Data hidden: your role does not show case data"
    [visit] = hidden["visits"]
    assert visit["actor"] == "Mia Manager" and visit["data_in"] is None and visit["data_out"] is None
    assert "question_summary" not in json.dumps(hidden)

    still = designer.get(f"/instances/{instance_id}/elements/second/history").get_json()
    assert still["visits"][0]["outcome"] is None and still["visits"][0]["outcome_label"] == "still here"
    assert designer.get(f"/instances/{instance_id}/elements/nowhere/history").get_json()["visits"] == []


def test_heat_map_page_table_and_json(services, signed_in):
    version_id = support.deploy(services)
    done = support.start(services)
    support.start(services)
    support.start(services)
    _manager, user = signed_in(Role.MANAGER)
    _complete_first(services, done, user.id)
    client, _user = signed_in(Role.PROCESS_DESIGNER)
    cells = {c["id"]: c for c in client.get(f"/instances/versions/{version_id}/heatmap.json").get_json()["cells"]}
    assert (cells["first"]["passed"], cells["first"]["waiting"]) == (1, 2)
    assert (cells["second"]["passed"], cells["second"]["waiting"]) == (0, 1)
    assert cells["start"]["passed"] == 3 and cells["first"]["name"] == "Check the roof"
    assert cells["second"]["avg"] == "—" and cells["first"]["avg_seconds"] is not None
    html = client.get(f"/instances/versions/{version_id}/heatmap").get_data(as_text=True)
    row = re.search(r'<tr data-element-id="first">(.*?)</tr>', html, re.S).group(1)
    assert re.findall(r'<td class="num">([^<]*)</td>', row)[:2] == ["1", "2"]
    assert _viewer_data(html)["urls"]["cells"] == f"/instances/versions/{version_id}/heatmap.json"
    assert "This is the newest version" in page_text(client.get(f"/instances/versions/{version_id}/heatmap"))


def test_diagram_endpoint_returns_the_versions_xml(services, signed_in):
    version_id = support.deploy(services)
    client, _user = signed_in(Role.PROCESS_DESIGNER)
    response = client.get(f"/instances/versions/{version_id}/diagram.bpmn")
    assert response.mimetype == "application/xml" and 'id="viewer_check"' in response.get_data(as_text=True)


def test_menu_and_designer_pages_link_to_instances_and_heat_map(services, signed_in):
    version_id = support.deploy(services)
    designer, _user = signed_in(Role.PROCESS_DESIGNER)
    history = designer.get("/designer/processes/viewer_check/history").get_data(as_text=True)
    assert f'href="/instances/versions/{version_id}/heatmap"' in history
    assert 'href="/instances/?key=viewer_check&amp;version=1"' in history
    index = designer.get("/designer/").get_data(as_text=True)
    assert f'href="/instances/versions/{version_id}/heatmap"' in index and 'href="/instances/"' in index
    manager, _user = signed_in(Role.MANAGER)
    assert 'href="/instances/"' in manager.get("/").get_data(as_text=True)
    worker, _user = signed_in(Role.CASE_WORKER)
    assert 'href="/instances/"' not in worker.get("/").get_data(as_text=True)


@pytest.mark.parametrize("seconds, shown", [(None, "—"), (0, "0 s"), (42, "42 s"), (3 * 60 + 5, "3 min 5 s"),
                                            (2 * 3600 + 7 * 60, "2 h 7 min"), (3 * 86400 + 4 * 3600 + 59, "3 d 4 h"),
                                            (86400 + 30, "1 d")])
def test_durations_are_human_readable(app, seconds, shown):
    from flask import session

    from webapp.i18n import SESSION_KEY
    from webapp.instances.formatting import human_duration

    with app.test_request_context():
        session[SESSION_KEY] = "en"
        assert human_duration(seconds) == shown
    with app.test_request_context():  # French by default: days are "j"
        assert human_duration(seconds) == shown.replace(" d", " j")


def test_ended_instance_offers_no_interventions(services, signed_in):
    support.deploy(services)
    instance_id = support.start(services)
    with services.db.transaction() as session:
        services.engine.terminate(session, instance_id, user_id=None, reason="test")
        assert session.get(ProcessInstance, instance_id).status == "terminated"
    client, _user = signed_in(Role.MANAGER)
    text = page_text(client.get(f"/instances/{instance_id}"))
    assert "nothing can be changed any more" in text and "Move the token" not in text
