"""The flow, workload and incidents pages: managers only, the figures on the page and in the CSV
and Excel exports, wrong settings answered with what to fix, and the retry / resolve actions of
the incidents page (a reason required, kept in the history, CSRF-protected)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import func, select

from engine.access.models import Role, User
from engine.config import Settings
from engine.db import Database, utcnow
from engine.workflow.models import AuditEvent, Incident, ProcessInstance
from tests.engine.monitoring.work_data import dossier, task, user, version
from tests.webapp.instances import support as viewer
from tests.webapp.support import build_app, csrf_token, login, page_text
from webapp.bootstrap import Services

PAGES = ("/monitoring/flow", "/monitoring/workload", "/monitoring/incidents")
FLOW = "/monitoring/flow?start=2026-03-01&end=2026-04-30"


@pytest.fixture
def services(app: Flask) -> Services:
    return app.extensions["guichet"]


@pytest.fixture
def manager(client: FlaskClient, make_user: Callable[..., User]) -> User:
    account = make_user(Role.MANAGER, locale="en")
    login(client, account)
    return account


def _csv(client: FlaskClient, path: str) -> list[dict[str, str]]:
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def _text(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    return page_text(response)


@pytest.mark.parametrize("path", PAGES)
def test_case_workers_are_refused_managers_see_the_page(client, make_user, path):
    worker = make_user(Role.CASE_WORKER, locale="en")
    login(client, worker)
    assert client.get(path).status_code == 403
    client.get("/logout")
    login(client, make_user(Role.MANAGER, locale="en"))
    assert client.get(path).status_code == 200


@pytest.fixture
def flow_data(db: Database) -> dict[str, list[str]]:
    """The numbers of the dossiers opened in March and in April 2026."""
    with db.transaction() as s:
        pv = version(s)
        first = dossier(s, pv, "information", "2026-03-02 09:00", closed_at="2026-03-10 12:00")
        second = dossier(s, pv, "information", "2026-03-20 09:00")
        follow_up = dossier(s, pv, "advice", "2026-04-03 09:00", journey=first)
        loan = dossier(s, pv, "loan", "2026-04-04 09:00")
        return {"march": [first.number, second.number], "april": [follow_up.number, loan.number]}


def test_flow_per_month_on_the_page_and_in_the_exports(client, manager, flow_data):
    text = _text(client, FLOW)
    assert "Dossiers opened and closed" in text and "Journey funnel" in text
    rows = _csv(client, FLOW + "&format=csv&table=flow")
    assert [(r["Month"], r["Opened"], r["Closed"]) for r in rows] == [("2026-03", "2", "1"), ("2026-04", "2", "0")]
    breakdown = _csv(client, FLOW + "&format=csv&table=flow-breakdown")
    assert ("2026-04", "Loan", "1", "0") in [(r["Month"], r["Dossier type"], r["Opened"], r["Closed"])
                                            for r in breakdown]
    funnel = _csv(client, FLOW + "&format=csv&table=funnel")
    assert [(r["Journey stage"], r["Journeys that reached it"], r["Moved on to the next stage"])
            for r in funnel][:3] == [("Information", "2", "1"), ("Advice", "1", "0"), ("Project design", "1", "0")]
    workbook = load_workbook(io.BytesIO(client.get(FLOW + "&format=xlsx&table=funnel").data))
    sheet = workbook.worksheets[0]
    assert [c.value for c in next(sheet.iter_rows(min_row=2, max_row=2))][:4] == ["Information", 2, 1, 50.0]


def test_flow_per_week_by_stage_keeps_empty_weeks(client, manager, flow_data):
    rows = _csv(client, FLOW + "&interval=week&breakdown=stage&format=csv")
    assert rows[0]["Week"] == "2026-W09"  # 1 March 2026 is a Sunday: the week of 23 February
    assert len(rows) == 10 and [r["Opened"] for r in rows] == ["0", "1", "0", "1", "0", "2", "0", "0", "0", "0"]
    breakdown = _csv(client, FLOW + "&interval=week&breakdown=stage&format=csv&table=flow-breakdown")
    assert {(r["Journey stage"], r["Opened"]) for r in breakdown} >= {("Advice", "1"), ("Project design", "1")}


def test_flow_drill_down_link_lists_the_dossiers_of_the_bucket(client, manager, flow_data):
    page = client.get(FLOW).get_data(as_text=True)
    link = "/views/dossiers?f=created_at:between:2026-03-01..2026-03-31&amp;f=active:eq:true"
    assert f'href="{link}"' in page
    listed = _text(client, link.replace("&amp;", "&"))
    assert all(number in listed for number in flow_data["march"])
    assert not any(number in listed for number in flow_data["april"])


def test_flow_wrong_settings_say_what_to_fix(client, manager, flow_data):
    text = _text(client, FLOW + "&interval=fortnight&breakdown=colour")
    assert "Unknown choice fortnight for Per: choose one from the list." in text
    assert "Unknown choice colour for Breakdown: choose one from the list." in text


@pytest.fixture
def work_data(db: Database) -> dict[str, int]:
    now = utcnow()

    def ago(days: float) -> str:
        return (now - dt.timedelta(days=days)).replace(tzinfo=None).isoformat(sep=" ")

    with db.transaction() as s:
        pv = version(s)
        alice = user(s, "Alice Martin")
        d = dossier(s, pv, "loan", ago(30))
        inst = s.get(ProcessInstance, d.process_instance_id)
        late = task(s, inst, "loans", ago(10), due_at=ago(2), assignee=alice, name="Check the income")
        task(s, inst, "loans", ago(7), name="Sign the offer")  # unclaimed for 7 days
        task(s, inst, "frontdesk", ago(1), due_at=ago(-3))
        return {"late": late.id, "dossier": d.id, "alice": alice.id}


def test_workload_counts_lists_and_links(client, manager, work_data):
    response = client.get("/monitoring/workload")
    text, page = page_text(response), response.get_data(as_text=True)
    assert "Open tasks per queue" in text and "Check the income" in text
    assert f'/tasks/{work_data["late"]}"' in page and f'/dossiers/{work_data["dossier"]}"' in page
    assert "/queues/loans" in page and "/tasks/?queue=loans&amp;assignee=any&amp;due=overdue" in page
    queues = _csv(client, "/monitoring/workload?format=csv&table=workload-queues")
    assert {r["Queue"]: (r["Open"], r["Overdue"], r["Unassigned"], r["Unclaimed for more than 5 days"])
            for r in queues} == {"Loans": ("2", "1", "1", "1"), "Front desk": ("1", "0", "1", "0")}
    people = _csv(client, "/monitoring/workload?format=csv&table=workload-people")
    assert [(r["Person"], r["Open"], r["Overdue"]) for r in people] == [("Alice Martin", "1", "1"),
                                                                        ("Unassigned", "2", "0")]
    overdue = _csv(client, "/monitoring/workload?format=csv&table=overdue-tasks")
    assert [r["Task"] for r in overdue] == ["Check the income"]
    assert float(overdue[0]["Overdue by (days)"]) == pytest.approx(2, abs=0.01)


def test_workload_days_field_moves_the_boundary_and_is_validated(client, manager, work_data):
    unclaimed = _csv(client, "/monitoring/workload?days=8&format=csv&table=unclaimed-tasks")
    assert unclaimed == []
    unclaimed = _csv(client, "/monitoring/workload?days=6&format=csv&table=unclaimed-tasks")
    assert [r["Task"] for r in unclaimed] == ["Sign the offer"]
    for wrong in ("0", "366", "abc"):
        text = _text(client, f"/monitoring/workload?days={wrong}")
        assert f"The number of days {wrong} is not valid: write a whole number from 1 to 365." in text
    queue_only = _csv(client, f"/monitoring/workload?person={work_data['alice']}&format=csv&table=workload-queues")
    assert [(r["Queue"], r["Open"]) for r in queue_only] == [("Loans", "1")]


@pytest.fixture
def incident(services: Services) -> tuple[int, int]:
    """An instance whose script failed: (instance id, incident id)."""
    viewer.deploy(services)
    instance_id = viewer.start(services, divisor=0)
    with services.db.transaction() as session:
        return instance_id, session.scalar(select(Incident.id).where(Incident.instance_id == instance_id))


def _open_incidents(services: Services, instance_id: int) -> int:
    with services.db.transaction() as session:
        return session.scalar(select(func.count()).select_from(Incident).where(
            Incident.instance_id == instance_id, Incident.status != "resolved")) or 0


def test_incidents_page_groups_per_operator_and_links_the_viewer(client, manager, incident):
    instance_id, incident_id = incident
    response = client.get("/monitoring/incidents")
    assert f'/instances/{instance_id}"' in response.get_data(as_text=True)
    assert "division by zero" in page_text(response)
    groups = _csv(client, "/monitoring/incidents?format=csv&table=incidents-per-operator")
    assert [(r["Operator"], r["Open incidents"]) for r in groups] == [("script", "1")]
    listing = _csv(client, "/monitoring/incidents?format=csv&table=incidents")
    assert [(r["Incident"], r["Instance"]) for r in listing] == [(str(incident_id), str(instance_id))]
    assert _csv(client, "/monitoring/incidents?operator=bce.lookup&format=csv&table=incidents") == []


def test_retry_needs_a_reason_and_keeps_it(client, manager, services, incident):
    instance_id, incident_id = incident
    text = page_text(client.post(f"/monitoring/incidents/{incident_id}/retry", data={"reason": " "},
                                 follow_redirects=True))
    assert "Give a reason: it is kept in the case's history." in text
    with services.db.transaction() as session:
        assert session.get(Incident, incident_id).status == "open"
    response = client.post(f"/monitoring/incidents/{incident_id}/retry", data={"reason": "Divisor corrected"},
                           follow_redirects=True)
    assert "The failed step runs again." in page_text(response)
    assert response.request.path == "/monitoring/incidents"
    with services.db.transaction() as session:
        assert session.get(Incident, incident_id).status == "resolved"
        [detail] = session.scalars(select(AuditEvent.detail).where(AuditEvent.instance_id == instance_id,
                                                                   AuditEvent.kind == "incident_retried")).all()
    assert detail["reason"] == "Divisor corrected"
    assert _open_incidents(services, instance_id) == 1  # the script fails again: a new incident
    text = page_text(client.post(f"/monitoring/incidents/{incident_id}/retry", data={"reason": "Again"},
                                 follow_redirects=True))
    assert "This incident is already resolved or no longer exists" in text


def test_resolve_needs_a_note_and_closes_the_incident(client, manager, services, incident):
    instance_id, incident_id = incident
    text = page_text(client.post(f"/monitoring/incidents/{incident_id}/resolve", data={"note": ""},
                                 follow_redirects=True))
    assert "Write a note saying how the incident was resolved." in text
    text = page_text(client.post(f"/monitoring/incidents/{incident_id}/resolve?type=information",
                                 data={"note": "Handled by phone"}, follow_redirects=True))
    assert "The incident is resolved." in text
    with services.db.transaction() as session:
        row = session.get(Incident, incident_id)
        assert row.status == "resolved" and row.resolution == "Handled by phone"
    assert _open_incidents(services, instance_id) == 0


def test_actions_are_refused_without_the_csrf_token(settings: Settings, db: Database, make_user, incident):
    app = build_app(settings, db, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    login(client, make_user(Role.MANAGER, locale="en"))
    _instance_id, incident_id = incident
    assert client.post(f"/monitoring/incidents/{incident_id}/resolve", data={"note": "x"}).status_code == 400
    token = csrf_token(client, "/monitoring/incidents")
    response = client.post(f"/monitoring/incidents/{incident_id}/resolve",
                           data={"note": "Handled", "csrf_token": token}, follow_redirects=True)
    assert "The incident is resolved." in page_text(response)


@pytest.mark.parametrize(("locale", "words"), [("fr", ("Flux", "Charge de travail", "Incidents et minuteries")),
                                               ("nl", ("Instroom en uitstroom", "Werklast", "Incidenten en timers"))])
def test_pages_speak_french_and_dutch(client, make_user, flow_data, locale, words):
    login(client, make_user(Role.MANAGER, locale=locale))
    for path, word in zip(PAGES, words, strict=True):
        assert word in _text(client, path + "?breakdown=subtype")
