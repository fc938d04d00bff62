"""The back-office list of buildings per client number, and the demo buildings."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import func, select

from engine.access.models import Role
from engine.db import Database
from engine.metering.models import Building
from tests.portal_support import PORTAL_PASSWORD
from tests.webapp.portal.helpers import world
from tests.webapp.support import login, page_text
from webapp.demo_data.buildings import DEMO_BUILDINGS, load_demo_buildings


def test_staff_see_buildings_per_client_number_with_their_flags(client: FlaskClient, db: Database,
                                                                 make_user) -> None:
    w = world(db)
    login(client, make_user(Role.CASE_WORKER))
    response = client.get("/buildings/?client=c100200")
    text = page_text(response)
    assert response.status_code == 200
    assert w.building_a.code in text and w.building_b.code in text and "Syndic Dijle SRL" in text
    assert w.other_building.code not in text


def test_portal_accounts_are_refused(client: FlaskClient, db: Database) -> None:
    w = world(db)
    login(client, w.manager, PORTAL_PASSWORD)
    assert client.get("/buildings/").status_code == 403


def test_demo_buildings_load_once(db: Database) -> None:
    with db.transaction() as session:
        assert load_demo_buildings(session) == len(DEMO_BUILDINGS)
        assert load_demo_buildings(session) == 0
        assert session.scalar(select(func.count()).select_from(Building).where(Building.radio_meters.is_(False))) == 2
