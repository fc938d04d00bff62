"""The data-protection officer's pages: access-log search and CSV, a contact's export and erasure."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable

from flask.testing import FlaskClient
from sqlalchemy import select

from engine.access.models import Role, User
from engine.db import Database, utcnow
from engine.parties.models import Contact
from engine.privacy.access_log import Actor, entry, write
from engine.privacy.models import AccessLog
from engine.workflow.models import InstanceStatus
from tests.engine.privacy.support import contact, dossier, mail
from tests.webapp.support import login, page_text


def _exports(db: Database) -> list[tuple[str, int | None, str | None, int | None]]:
    with db.transaction() as session:
        return [(r.record_type, r.record_id, r.record_key, r.rows)
                for r in session.scalars(select(AccessLog).where(AccessLog.action == "export").order_by(AccessLog.id))]


def test_only_managers_see_the_access_log(client: FlaskClient, make_user: Callable[..., User]) -> None:
    login(client, make_user(Role.CASE_WORKER))
    assert client.get("/privacy/access-log").status_code == 403
    assert client.get("/privacy/access-log.csv").status_code == 403
    assert client.get("/privacy/contacts/1/export.json").status_code == 403


def test_search_pages_and_csv_export(client: FlaskClient, db: Database, make_user: Callable[..., User]) -> None:
    officer = make_user(Role.MANAGER, name="Officer")
    now = utcnow()
    with db.transaction() as session:
        write(session, [entry("view", "contact", 5, actor=Actor(77, "Jan Janssens"), at=now - dt.timedelta(hours=i))
                        for i in range(60)])
        write(session, [entry("view", "dossier", 9, actor=Actor(78, "Els Peeters"), at=now - dt.timedelta(days=40))])
    login(client, officer)
    first = client.get("/privacy/access-log?person=janss&record_type=contact&record_id=5")
    assert first.status_code == 200
    html = first.get_data(as_text=True)
    assert html.count('data-testid="access-log-row"') == 50 and "Els Peeters" not in html
    assert 'data-testid="access-log-next"' in html
    next_url = html.split('data-testid="access-log-next"')[0].rsplit('href="', 1)[1].split('"')[0].replace("&amp;", "&")
    second = client.get(next_url).get_data(as_text=True)
    assert second.count('data-testid="access-log-row"') == 10 and 'data-testid="access-log-next"' not in second

    period = client.get(f"/privacy/access-log?since={(now - dt.timedelta(days=41)).date()}"
                        f"&until={(now - dt.timedelta(days=39)).date()}").get_data(as_text=True)
    assert "Els Peeters" in period and "Jan Janssens" not in period

    response = client.get("/privacy/access-log.csv?person=Els")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [(r["actor_name"], r["record_type"], r["record_id"]) for r in rows] == [("Els Peeters", "dossier", "9")]
    assert _exports(db) == [("access_log", None, "csv", 1)]  # the export itself is logged


def test_invalid_filters_say_what_to_fix(client: FlaskClient, make_user: Callable[..., User]) -> None:
    login(client, make_user(Role.MANAGER, locale="en"))
    response = client.get("/privacy/access-log?record_id=abc&action=peek")
    assert response.status_code == 400
    text = page_text(response)
    assert "Give the record's number as digits." in text
    assert "Choose an action from the list." in text
    period = client.get("/privacy/access-log?since=2026-05-02&until=2026-05-01")
    assert period.status_code == 400 and "The end of the period is before its start." in page_text(period)


def _person(db: Database, status: str) -> tuple[int, str]:
    with db.transaction() as session:
        person = contact(session)
        case = dossier(session, person, status=status, completed_at=utcnow() if status == "completed" else None)
        mail(session, sender="info@guichet.test", recipients=["marie.dupont@example.be"], dossier_id=case.id,
             body="Your premium was granted")
        return person.id, case.number


def test_person_export_as_json_and_pdf(client: FlaskClient, db: Database, make_user: Callable[..., User]) -> None:
    contact_id, number = _person(db, InstanceStatus.WAITING)
    login(client, make_user(Role.MANAGER))
    page = client.get(f"/privacy/contacts/{contact_id}")
    assert page.status_code == 200 and number in page_text(page)
    document = json.loads(client.get(f"/privacy/contacts/{contact_id}/export.json").get_data(as_text=True))
    assert document["contact"]["email"] == "marie.dupont@example.be"
    assert [d["number"] for d in document["dossiers"]] == [number]
    assert [m["body"] for m in document["mails"]] == ["Your premium was granted"]
    pdf = client.get(f"/privacy/contacts/{contact_id}/export.pdf")
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert client.get("/privacy/contacts/999999/export.json").status_code == 404
    assert _exports(db) == [("contact", contact_id, "json", 1), ("contact", contact_id, "pdf", 1)]


def test_erasure_refused_for_an_open_dossier(client: FlaskClient, db: Database,
                                             make_user: Callable[..., User]) -> None:
    contact_id, number = _person(db, InstanceStatus.WAITING)
    login(client, make_user(Role.MANAGER, locale="en"))
    response = client.post(f"/privacy/contacts/{contact_id}/erase", data={"confirm": "erase"}, follow_redirects=True)
    assert "open dossier" in page_text(response) and number in page_text(response)
    with db.transaction() as session:
        assert session.get(Contact, contact_id).email == "marie.dupont@example.be"


def test_erasure_needs_confirmation_then_anonymises(client: FlaskClient, db: Database,
                                                    make_user: Callable[..., User]) -> None:
    contact_id, _number = _person(db, InstanceStatus.COMPLETED)
    officer = make_user(Role.MANAGER, name="Officer", locale="en")
    login(client, officer)
    client.post(f"/privacy/contacts/{contact_id}/erase")
    with db.transaction() as session:
        assert session.get(Contact, contact_id).email is not None  # not confirmed: nothing done
    response = client.post(f"/privacy/contacts/{contact_id}/erase", data={"confirm": "erase"}, follow_redirects=True)
    assert "anonymised" in page_text(response).lower()
    with db.transaction() as session:
        person = session.get(Contact, contact_id)
        assert person.email is None and person.last_name == f"Anonymised #{contact_id}"
        erased = session.scalars(select(AccessLog).where(AccessLog.action == "erase")).all()
        assert [(r.record_id, r.actor_id, r.path) for r in erased] == [
            (contact_id, officer.id, f"/privacy/contacts/{contact_id}/erase")]
