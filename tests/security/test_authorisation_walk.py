"""Issue 7 §7: nobody sees data that is not theirs. The walk (bench/authz_walk.py) requests
every route of the app as anonymous, a member of another organisation, an employee awaiting
confirmation, a technical responsible without the building, a portal manager in the back office
and a case worker in the portal; here it must find nothing. Also: CSRF on every write, and the
sign-in and activation attempts limited."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from flask import abort

from bench import authz_walk
from bench.authz_walk import WalkResult, run_walk
from engine.access.models import Role
from engine.config import Settings
from engine.db import Database
from tests.portal_support import PORTAL_PASSWORD, portal_account
from tests.webapp.support import build_app, create_user, use_fast_password_hashing

WRONG = "Not-The-Password-1!"


@pytest.fixture(autouse=True)
def _fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    use_fast_password_hashing(monkeypatch)


@pytest.fixture(scope="module")
def walk(database_url: str, db: Database) -> WalkResult:
    """One walk for the module (a few seconds), on the test database (SQLite or PostgreSQL)."""
    from engine.access import passwords
    from tests.webapp.support import FAST_HASHER

    hasher, passwords._hasher = passwords._hasher, FAST_HASHER
    try:
        return run_walk(database_url)
    finally:
        passwords._hasher = hasher


def test_no_route_lets_anybody_see_or_change_what_is_not_theirs(walk: WalkResult) -> None:
    if walk.violations:
        pytest.fail(f"{len(walk.violations)} violations:\n" + "\n".join(map(str, walk.violations)), pytrace=False)


def test_every_rule_of_the_app_is_walked(walk: WalkResult) -> None:
    assert walk.unfilled == [], "the walker cannot fill these rules' parameters:\n" + "\n".join(walk.unfilled)
    assert walk.unvisited == [], "rules never requested:\n" + "\n".join(walk.unvisited)
    assert walk.rules_total == len(walk.all_rules) > 100
    # the portal personas got past sign-in, the terms and the organisation choice: pages answered
    assert walk.answered["technical"] > 0 and walk.answered["outsider"] > 0, dict(walk.answered)
    # the markers are on the victim's own pages, so their absence elsewhere is meaningful
    assert {"organisation", "building_a", "building_b"} <= set(walk.control_seen), walk.control_seen


def test_the_walk_is_fast(walk: WalkResult) -> None:
    assert walk.elapsed_s < 60, f"{walk.elapsed_s:.1f} s for {walk.requests} requests"


def test_every_write_without_its_csrf_token_is_refused(walk: WalkResult) -> None:
    """Every POST/PUT/PATCH/DELETE of every persona without a token got 400, except the routes
    exempt on purpose: the bearer-token API and the payment provider's signed callback."""
    assert walk.csrf_misses == [], "\n".join(walk.csrf_misses)
    for endpoint in walk.csrf_exempt:
        assert endpoint.startswith("api.") or "callback" in endpoint, f"{endpoint} has no CSRF protection"


def test_the_walk_finds_a_leak(settings: Settings, db: Database, tmp_path: Path) -> None:
    """The walk itself can fail: a portal page that shows any building by id, a back-office page
    open to everybody and a write without an object check are all reported."""
    from engine.metering.models import Building
    from webapp.context import db_session
    from webapp.portal.context import portal_required

    app, walk_db = authz_walk.build_app(settings.database_url, tmp_path)

    @app.get("/portal/leaky/<int:building_id>", endpoint="leaky_building")
    @portal_required()
    def leaky_building(building_id: int) -> str:
        building = db_session().get(Building, building_id)
        return building.name if building else abort(404)

    @app.get("/open-report", endpoint="open_report")
    def open_report() -> str:
        return "open"

    try:
        world = authz_walk.build_world(walk_db)
        result = authz_walk.walk(app, walk_db, world)
    finally:
        walk_db.dispose()
    found = {(v.url.split("/")[1 if v.url.startswith("/open") else 2], v.persona, v.reason.split(" (")[0])
             for v in result.violations}
    building_b = world.markers["building_b"]
    assert ("leaky", "technical", "victim data in the response") in found
    assert ("leaky", "outsider", "not refused") in found
    assert ("open-report", "anonymous", "not refused") in found
    assert ("open-report", "portal_manager", "not refused") in found
    leak = next(v for v in result.violations if v.persona == "technical" and v.markers)
    assert leak.markers == (f"building_b={building_b}",) and leak.status == 200 and leak.method == "GET"


def _wrong_sign_ins(settings: Settings, db: Database, login: str) -> list[int]:
    client = build_app(settings, db).test_client()
    return [client.post("/login", data={"email": login, "password": WRONG}).status_code for _ in range(6)]


@pytest.mark.parametrize("identifier", ["staff e-mail", "portal e-mail", "portal username"])
def test_six_rapid_wrong_sign_ins_are_rate_limited(settings: Settings, db: Database, identifier: str) -> None:
    staff = create_user(db, Role.CASE_WORKER)
    with db.transaction() as session:
        portal = portal_account(session)
        session.expunge_all()
    login = {"staff e-mail": staff.email, "portal e-mail": portal.email, "portal username": portal.username}[identifier]
    assert settings.login_rate_limit == "5 per minute"
    assert _wrong_sign_ins(settings, db, login) == [401, 401, 401, 401, 401, 429]


def test_a_portal_account_signs_in_with_its_username(settings: Settings, db: Database) -> None:
    with db.transaction() as session:
        portal = portal_account(session)
        session.expunge_all()
    client = build_app(settings, db).test_client()
    assert client.post("/login", data={"email": portal.username, "password": PORTAL_PASSWORD}).status_code == 302


def test_activation_attempts_are_rate_limited(settings: Settings, db: Database) -> None:
    limited = dataclasses.replace(settings, account_rate_limit="5 per minute")
    with db.transaction() as session:
        waiting = portal_account(session, activated=False)
        session.expunge_all()
    client = build_app(limited, db).test_client()
    statuses = [client.post("/portal/activate", data={"login": waiting.email, "code": "000000"}).status_code
                for _ in range(6)]
    assert statuses[-1] == 429 and 429 not in statuses[:5]
