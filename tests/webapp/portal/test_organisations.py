"""My organisations: add one by enterprise number (create or join), choose it, several and
switching; the Data tab edited by managers only."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.db import Database
from engine.notify import Notification
from engine.parties.models import Organisation
from engine.portal.models import MemberRole, Membership, MemberStatus
from integrations import bce
from tests.portal_support import PORTAL_PASSWORD, member, portal_account
from tests.webapp.portal.helpers import accept_terms, sign_in, world
from tests.webapp.support import login, page_text
from webapp.portal.context import ORGANISATION_KEY


@pytest.fixture
def sample(db: Database) -> None:
    with db.transaction() as session:
        bce.load_sample(session)


def _account(db: Database):
    with db.transaction() as session:
        user = portal_account(session)
        session.expunge_all()
    accept_terms(db, user)
    return user


def test_create_then_join_by_enterprise_number(client: FlaskClient, db: Database, sample: None) -> None:
    founder = _account(db)
    assert login(client, founder, PORTAL_PASSWORD).status_code == 302
    assert 'data-testid="no-memberships"' in client.get("/portal/organisations").get_data(as_text=True)
    shown = client.post("/portal/organisations/add", data={"number": "0850.412.361"})
    assert shown.status_code == 200 and "VME Residentie Dijlezicht" in page_text(shown)
    created = client.post("/portal/organisations/add", data={"number": "0850.412.361", "confirm": "1",
                                                             "job_title": "Syndic"})
    assert created.status_code == 302 and created.headers["Location"].endswith("/portal/")
    with db.transaction() as session:
        org = session.scalar(select(Organisation).where(Organisation.enterprise_number == "0850412361"))
        assert org is not None and org.municipality == "Mechelen"
        boss = session.scalar(select(Membership).where(Membership.user_id == founder.id))
        assert (boss.role, boss.status) == (MemberRole.MANAGER, MemberStatus.ACTIVE)

    client.get("/logout")
    joiner = _account(db)
    login(client, joiner, PORTAL_PASSWORD)
    joined = client.post("/portal/organisations/add", data={"number": "0850412361", "confirm": "1"})
    assert joined.status_code == 302 and joined.headers["Location"].endswith("/portal/organisations")
    with db.transaction() as session:
        mails = session.scalars(select(Notification).where(Notification.purpose == "member_requested")).all()
        assert [m.recipient for m in mails] == [founder.email]
        org_id = session.scalar(select(Organisation.id).where(Organisation.enterprise_number == "0850412361"))
    mine = client.get("/portal/organisations")
    assert "En attente de confirmation" in page_text(mine)  # the account's language is French
    assert 'data-status="pending"' in mine.get_data(as_text=True)
    assert f"/portal/organisations/{org_id}/use" not in mine.get_data(as_text=True)
    # a pending member gets nothing of the organisation, even by choosing it
    assert client.post(f"/portal/organisations/{org_id}/use").status_code == 404
    with client.session_transaction() as flask_session:
        flask_session[ORGANISATION_KEY] = org_id
    assert client.get("/portal/members").headers["Location"].endswith("/portal/organisations")


def test_invalid_and_unknown_numbers_are_refused_with_their_message(client: FlaskClient, db: Database,
                                                                     sample: None) -> None:
    login(client, _account(db), PORTAL_PASSWORD)
    invalid = client.post("/portal/organisations/add", data={"number": "0850.412.362"})
    assert invalid.status_code == 422 and "0123.456.789" in page_text(invalid)
    unknown = client.post("/portal/organisations/add", data={"number": "0403.170.701"})
    assert unknown.status_code == 422 and "BCE" in page_text(unknown) and "0403.170.701" in page_text(unknown)
    with db.transaction() as session:
        assert session.scalars(select(Organisation)).all() == []


def test_several_organisations_and_switching(client: FlaskClient, db: Database) -> None:
    w = world(db)
    with db.transaction() as session:
        member(session, session.get(Organisation, w.other_org.id), w.manager, MemberRole.TECHNICAL)
    accept_terms(db, w.manager)
    login(client, w.manager, PORTAL_PASSWORD)
    text = page_text(client.get("/portal/organisations"))
    assert "Syndic Dijle SRL" in text and "Syndic Nete BV" in text
    chosen = client.post(f"/portal/organisations/{w.other_org.id}/use")
    assert chosen.status_code == 302 and chosen.headers["Location"].endswith("/portal/")
    assert "Syndic Nete BV" in page_text(client.get("/portal/organisation"))
    client.post(f"/portal/organisations/{w.org.id}/use")
    assert "Syndic Dijle SRL" in page_text(client.get("/portal/organisation"))


def test_only_managers_edit_the_organisation(client: FlaskClient, db: Database) -> None:
    w = world(db)
    accept_terms(db, w.manager)
    accept_terms(db, w.technical)
    sign_in(client, w.manager, w.org.id)
    bad = client.post("/portal/organisation", data={"name": "", "email": "nope"})
    assert bad.status_code == 400
    saved = client.post("/portal/organisation", data={"name": "Dijle Syndic", "email": "info@dijle.test"})
    assert saved.status_code == 302
    with db.transaction() as session:
        org = session.get(Organisation, w.org.id)
        assert (org.name, org.email, org.enterprise_number) == ("Dijle Syndic", "info@dijle.test", "0403170701")
    client.get("/logout")
    sign_in(client, w.technical, w.org.id)
    assert client.post("/portal/organisation", data={"name": "Mine"}).status_code == 403
    assert "Dijle Syndic" in page_text(client.get("/portal/organisation?tab=employees"))
