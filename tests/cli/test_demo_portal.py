"""The portal's demo data (webapp/demo_data/portal.py) as ``make demo`` loads it: a syndic firm
with its client number and radio buildings, its manager ``demo.syndic`` who signs in with the demo
password, a technical responsible restricted to one building, one person awaiting confirmation,
the tools and the accreditation; a second load adds nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from engine.access.models import User
from engine.config import Settings
from engine.db import Database
from engine.metering.models import Building
from engine.parties.models import Organisation
from engine.portal.access import access_for, visible_buildings_query
from engine.portal.models import Membership, OrganisationBuilding, OrganisationClient
from engine.portal.tools import Accreditation, MemberTool, OrganisationTool, granted_codes
from engine.workflow.models import AuditEvent
from tests.webapp.support import build_app, page_text, use_fast_password_hashing
from webapp.bootstrap import build_services
from webapp.demo import DEMO_PASSWORD, load_demo_data, print_logins

COUNTED = (User, Organisation, Membership, OrganisationBuilding, OrganisationClient, OrganisationTool, MemberTool,
           Accreditation, AuditEvent)


@pytest.fixture(autouse=True)
def _fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    use_fast_password_hashing(monkeypatch)


def _counts(db: Database) -> dict[str, int]:
    with db.transaction() as session:
        return {m.__name__: session.scalar(select(func.count()).select_from(m)) or 0 for m in COUNTED}


def test_the_portal_demo_set_is_complete_idempotent_and_signs_in(settings: Settings, db: Database) -> None:
    lines: list[str] = []

    def echo(message: str = "", **_kwargs: Any) -> None:
        lines.append(message)

    logins = load_demo_data(build_services(settings, db), echo=echo, scale=0)
    assert ("demo.syndic", DEMO_PASSWORD) in {(login, password) for login, password, _ in logins}
    print_logins(logins, echo=echo)
    assert any("demo.syndic" in line and DEMO_PASSWORD in line for line in lines)  # what `make demo` shows

    with db.transaction() as session:
        org = session.scalar(select(Organisation).where(Organisation.enterprise_number == "0440937551"))
        assert org is not None and (org.name, org.kind) == ("Syndicus Van Rompaey", "syndic")
        assert session.scalars(select(OrganisationClient.client_number).where(
            OrganisationClient.organisation_id == org.id)).all() == ["C100200"]
        granted = set(session.scalars(select(Building.code).join(
            OrganisationBuilding, OrganisationBuilding.building_id == Building.id).where(
            OrganisationBuilding.organisation_id == org.id)))
        assert granted == {"B90001", "B90002"}  # the radio buildings of C100200, not B90003 (read on site)
        people = {u.username: u for u in session.scalars(select(User).where(User.kind == "portal"))}
        assert set(people) == {"demo.syndic", "demo.technical", "demo.pending"}
        assert all(u.activated_at is not None for u in people.values())
        members = {m.user_id: m for m in session.scalars(select(Membership).where(
            Membership.organisation_id == org.id))}
        manager = members[people["demo.syndic"].id]
        assert (manager.role, manager.status) == ("manager", "active")
        assert members[people["demo.pending"].id].status == "pending"
        assert access_for(session, people["demo.pending"].id, org.id) is None
        technical = access_for(session, people["demo.technical"].id, org.id)
        assert technical is not None and technical.role == "technical"
        assert [b.code for b in session.scalars(visible_buildings_query(technical))] == ["B90001"]
        assert granted_codes(session, manager.id) == {"consumption_portal", "syndic_filing"}
        assert granted_codes(session, members[people["demo.technical"].id].id) == {"consumption_portal"}
        assert session.scalar(select(Accreditation.kind).where(Accreditation.organisation_id == org.id)) \
            == "ipi_member"
        assert session.scalar(select(func.count()).select_from(OrganisationTool).where(
            OrganisationTool.organisation_id == org.id)) == 2

    before = _counts(db)
    load_demo_data(build_services(settings, db), echo=echo, scale=0)  # a second `make demo`
    assert _counts(db) == before

    client = build_app(settings, db).test_client()
    signed_in = client.post("/login", data={"email": "demo.syndic", "password": DEMO_PASSWORD})
    assert signed_in.status_code == 302
    mine = client.get("/portal/organisations")
    assert mine.status_code == 200 and "Syndicus Van Rompaey" in page_text(mine)
    assert 'class="manager-mark"' in mine.get_data(as_text=True)
