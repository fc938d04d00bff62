"""User management: the list with the manager's star, confirm/refuse, role, buildings
restriction, functions, employee info, and 404 for members of another organisation."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select

from engine.db import Database
from engine.notify import Notification
from engine.portal.access import access_for, visible_building_ids
from engine.portal.models import Membership, MemberStatus
from tests.webapp.portal.helpers import accept_terms, sign_in, world
from tests.webapp.support import page_text


def _ids(db: Database, w) -> dict[str, int]:
    with db.transaction() as session:
        rows = session.scalars(select(Membership)).all()
        by_user = {m.user_id: m.id for m in rows}
    return {"manager": by_user[w.manager.id], "technical": by_user[w.technical.id],
            "pending": by_user[w.pending.id], "outsider": by_user[w.outsider.id]}


def _signed(client: FlaskClient, db: Database, user, org_id: int) -> None:
    accept_terms(db, user)
    sign_in(client, user, org_id)


def test_the_list_marks_managers_and_a_manager_confirms(client: FlaskClient, db: Database) -> None:
    w = world(db)
    ids = _ids(db, w)
    _signed(client, db, w.manager, w.org.id)
    page = client.get("/portal/members")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "★" in html and 'aria-label="' in html
    assert f"/portal/members/{ids['pending']}/confirm" in html
    assert client.post(f"/portal/members/{ids['pending']}/confirm").status_code == 302
    with db.transaction() as session:
        assert session.get(Membership, ids["pending"]).status == MemberStatus.ACTIVE
        mail = session.scalar(select(Notification).where(Notification.purpose == "member_confirmed"))
        assert mail is not None and mail.recipient == w.pending.email


def test_refuse_and_the_last_manager_is_kept(client: FlaskClient, db: Database) -> None:
    w = world(db)
    ids = _ids(db, w)
    _signed(client, db, w.manager, w.org.id)
    client.post(f"/portal/members/{ids['pending']}/refuse")
    kept = client.post(f"/portal/members/{ids['manager']}/role", data={"role": "technical"}, follow_redirects=True)
    assert "last manager" in page_text(kept) or "dernier gestionnaire" in page_text(kept)
    with db.transaction() as session:
        assert session.get(Membership, ids["pending"]).status == MemberStatus.REFUSED
        assert session.get(Membership, ids["manager"]).role == "manager"
        assert session.scalar(select(Notification).where(Notification.purpose == "member_refused")) is not None


def test_promote_and_restrict_to_one_building(client: FlaskClient, db: Database) -> None:
    w = world(db)
    ids = _ids(db, w)
    _signed(client, db, w.manager, w.org.id)
    page = page_text(client.get(f"/portal/members/{ids['technical']}"))
    assert "Résidence Dijle" in page and "Résidence Zenne" in page and "Résidence Nete" not in page
    client.post(f"/portal/members/{ids['technical']}/buildings",
                data={"scope": "some", "building": [str(w.building_b.id)]})
    with db.transaction() as session:
        assert visible_building_ids(session, access_for(session, w.technical.id, w.org.id)) == {w.building_b.id}
    client.post(f"/portal/members/{ids['technical']}/functions", data={"function": ["consumption"]})
    with db.transaction() as session:
        access = access_for(session, w.technical.id, w.org.id)
        assert access.may("consumption") and not access.may("wallet")
    client.post(f"/portal/members/{ids['technical']}/role", data={"role": "manager"})
    with db.transaction() as session:
        assert access_for(session, w.technical.id, w.org.id).is_manager


def test_employees_edit_only_their_own_info(client: FlaskClient, db: Database) -> None:
    w = world(db)
    ids = _ids(db, w)
    _signed(client, db, w.technical, w.org.id)
    assert client.get("/portal/members").status_code == 200
    assert client.post(f"/portal/members/{ids['technical']}/info", data={"job_title": "Technician"}).status_code == 302
    assert client.post(f"/portal/members/{ids['technical']}/info",
                       data={"contact_email": "not-an-address"}).status_code == 400
    assert client.post(f"/portal/members/{ids['manager']}/info", data={"job_title": "X"}).status_code == 404
    assert client.post(f"/portal/members/{ids['pending']}/confirm").status_code == 403
    with db.transaction() as session:
        assert session.get(Membership, ids["technical"]).job_title == "Technician"
        assert session.get(Membership, ids["manager"]).job_title is None


def test_members_of_another_organisation_are_not_found(client: FlaskClient, db: Database) -> None:
    w = world(db)
    ids = _ids(db, w)
    _signed(client, db, w.manager, w.org.id)
    foreign = ids["outsider"]
    assert client.get(f"/portal/members/{foreign}").status_code == 404
    for action in ("confirm", "refuse", "role", "buildings", "functions", "tools", "remove", "info"):
        assert client.post(f"/portal/members/{foreign}/{action}", data={"role": "technical"}).status_code == 404
    with db.transaction() as session:
        assert session.get(Membership, foreign).status == MemberStatus.ACTIVE
