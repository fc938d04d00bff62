"""The authorisation walk (issue 7 §7, §9): every route of the web app, requested as people who
must not see a victim organisation's data, and checked for refusals and leaked data.

    .venv/bin/python bench/authz_walk.py [--database-url URL] [--verbose]

One app (CSRF on, built like production), one world, Flask's test client, each persona signed
in once. The world (:func:`build_world`) holds a victim organisation whose name, buildings,
wallet reference, client number and members' e-mail addresses carry secret marker strings.
Then for every rule of ``app.url_map`` (none listed by hand: routes added later are walked
without edits) and every method (GET; POST/PUT/PATCH/DELETE with and without a CSRF token), the
URL parameters are filled with ids of the VICTIM's objects (a parameter name is matched to the
world's objects, then to a table with a row of the victim; an unknown integer gets 1 and 999999)
and the URL is requested as:

- ``anonymous`` (every route),
- ``outsider``: the manager of another organisation (every route),
- ``pending``: an employee of the victim awaiting confirmation (every route),
- ``technical``: a technical responsible of the victim restricted to building A, with building
  parameters filled with building B (portal routes),
- ``portal_manager``: the victim's manager on the back office (non-portal, non-public routes),
- ``staff``: a case worker on the portal (staff are not portal accounts).

A request must be refused when the persona may not use the route at all (anonymous off the
public allow-list, portal accounts in the back office, staff in the portal) or when it names an
object of the victim the persona may not reach. Refused: 401/403/404/429, 400 for a write
without its CSRF token, or a redirect to the sign-in page, the choice of organisation or the
terms. Whatever the answer, no 500 and no marker of the victim in the body or the Location
header, and a refused write leaves no audit event. Every miss is a :class:`Violation` with the
method, URL, persona, status and the marker that leaked.

Limits: markers are searched in the raw body, so text inside compressed PDF streams is not seen
(a voucher of another organisation must then be refused by its status, which the walk checks).
"""

from __future__ import annotations

import os
import sys

if __name__ == "__main__":  # run as a script: bench/ would shadow the top-level ``engine`` package
    _HERE = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]
    sys.path.insert(len([p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]), os.path.dirname(_HERE))

import argparse
import json
import logging
import re
import secrets
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, got_request_exception
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select
from werkzeug.routing import AnyConverter, PathConverter, Rule, UnicodeConverter
from werkzeug.routing.converters import FloatConverter, IntegerConverter, UUIDConverter
from werkzeug.test import TestResponse

import engine.models  # noqa: F401 - every table
from bench.portal_world import PORTAL_PASSWORD, building, member, organisation, portal_account
from engine.access.models import Role
from engine.access.users import create_user
from engine.config import Settings
from engine.db import Base, Database
from engine.portal.access_requests import AccessRequest
from engine.portal.models import MemberRole, MemberStatus, OrganisationClient
from engine.portal.terms import accept as accept_terms
from engine.wallet import ledger
from engine.wallet.models import EntryKind
from engine.workflow.models import AuditEvent

STAFF_PASSWORD = "Staff-Walk-Pass-2026!"

# Routes anybody may request (signed in or not). Explicit and small: everything else needs an
# account. Each is still walked: no 500, no marker of the victim.
PUBLIC_ENDPOINTS = frozenset({
    "static",
    "auth.login",
    "auth.logout",  # POST; signs out whoever is signed in (anonymous: refused by login_required)
    "auth.set_language",
    "api.openapi_document",  # the API's description, no data
    "api.fallback",  # unknown API paths: a JSON 404
    # portal accounts: sign-up, activation, password forgotten and reset (sign-in is auth.login)
    "portal.signup",
    "portal.activate",
    "portal.resend_activation",
    "portal.forgot_password",
    "portal.reset_password",
    # payments: the provider's callback checks its own signature (no session, no CSRF); the
    # simulated provider's pages stand for the provider's site (the reference is the secret)
    "portal.wallet_payment_callback",
    "payments.simulated_checkout",
    "payments.simulated_cancel",
    "payments.simulated_pay",
    # operations (webapp/ops): liveness and readiness probes (no data, no secrets); the metrics
    # answer only loopback without forwarding headers or a bearer token (the walk comes from loopback)
    "ops.healthz",
    "ops.readyz",
    "ops.metrics",
})

# A redirect to one of these is a refusal: sign in, choose an organisation, accept the terms,
# give the client number. (A redirect to /portal/ is one too, from a back-office route.)
REFUSAL_REDIRECTS = re.compile(r"^/(login|portal/(login|sign-?in|organisations))(/|$|\?)|terms|client[-_]?number")
REFUSED_STATUSES = frozenset({401, 403, 404, 429})
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")

# URL parameter names -> the world's object they name (integers)
PARAMETER_OBJECTS = {
    "organisation_id": "organisation", "organization_id": "organisation", "org_id": "organisation",
    "building_id": "building",
    "membership_id": "membership", "member_id": "membership", "employee_id": "membership",
    "user_id": "user", "account_id": "user",
    "wallet_id": "wallet",
    "entry_id": "wallet_entry", "wallet_entry_id": "wallet_entry", "transaction_id": "wallet_entry",
    "client_id": "client",
}
# Columns through which a row of another table belongs to the victim (generic discovery).
OWNER_COLUMNS = ("organisation_id", "wallet_id", "membership_id", "building_id", "user_id")
STRING_VALUES = {"entity": "dossiers", "key": "information", "locale": "fr", "lang": "fr", "language": "fr"}
UNKNOWN_IDS = (1, 999999)
ALL_OBJECTS = frozenset(PARAMETER_OBJECTS.values()) | {"*"}  # "*": a victim's row found by table


class WalkError(RuntimeError):
    """The walk cannot run (a persona cannot sign in, the world cannot be built)."""


@dataclass(frozen=True)
class Violation:
    method: str
    url: str
    persona: str
    status: int
    reason: str
    markers: tuple[str, ...] = ()

    @property
    def area(self) -> str:
        """The part of the app it belongs to (``portal/wallet``, ``back office``), for routing the fix."""
        parts = [p for p in urlsplit(self.url).path.split("/") if p]
        if parts[:1] == ["portal"]:
            return "portal/" + (parts[1] if len(parts) > 1 else "")
        return "back office" + (f" /{parts[0]}" if parts else " /")

    def __str__(self) -> str:
        leaked = f" leaked {', '.join(self.markers)}" if self.markers else ""
        return f"[{self.area}] {self.method} {self.url} as {self.persona}: {self.status} {self.reason}{leaked}"


@dataclass
class WalkResult:
    violations: list[Violation] = field(default_factory=list)
    csrf_misses: list[str] = field(default_factory=list)  # writes without a token that were not refused with 400
    unfilled: list[str] = field(default_factory=list)  # rules whose parameters the walker cannot fill
    guessed: dict[str, list[str]] = field(default_factory=dict)  # rule -> parameters tried with 1 and 999999
    rules_total: int = 0
    rules_visited: set[str] = field(default_factory=set)
    all_rules: list[str] = field(default_factory=list)
    public_endpoints: list[str] = field(default_factory=list)  # allow-listed endpoints present in the app
    csrf_exempt: list[str] = field(default_factory=list)  # endpoints without CSRF (API, payment callback)
    requests: int = 0
    by_persona: Counter[str] = field(default_factory=Counter)
    answered: Counter[str] = field(default_factory=Counter)  # 2xx answers per persona (the walk reached pages)
    # markers the victim's own manager sees on /portal/: proof the markers are shown where allowed,
    # so their absence elsewhere means something
    control_seen: tuple[str, ...] = ()
    trace: list[tuple[str, str, str, int]] = field(default_factory=list)  # (persona, method, url, status)
    setup_s: float = 0.0
    walk_s: float = 0.0

    @property
    def unvisited(self) -> list[str]:
        return [r for r in self.all_rules if r not in self.rules_visited]

    @property
    def elapsed_s(self) -> float:
        return self.setup_s + self.walk_s

    def summary(self) -> str:
        lines = [
            f"authorisation walk: {self.rules_total} rules ({len(self.rules_visited)} visited), "
            f"{self.requests} requests in {self.walk_s:.2f} s (+{self.setup_s:.2f} s setup)",
            "  per persona (requests/answered 2xx): "
            + ", ".join(f"{k} {v}/{self.answered[k]}" for k, v in sorted(self.by_persona.items())),
            f"  public: {', '.join(self.public_endpoints)}",
            f"  without CSRF: {', '.join(self.csrf_exempt) or '-'}",
        ]
        for rule, names in sorted(self.guessed.items()):
            if rule.startswith("/portal"):
                lines.append(f"  guessed ids (1, 999999) for {', '.join(names)} in {rule}")
        others = sum(1 for rule in self.guessed if not rule.startswith("/portal"))
        lines.append(f"  guessed ids (1, 999999) in {others} back-office rules (walked by personas refused there)")
        lines += [f"  UNFILLED: {u}" for u in self.unfilled]
        lines += [f"  UNVISITED: {u}" for u in self.unvisited]
        lines += [f"  CSRF: {m}" for m in self.csrf_misses]
        lines.append(f"  violations: {len(self.violations)}")
        by_area = Counter(v.area for v in self.violations)
        lines += [f"    {area}: {n}" for area, n in sorted(by_area.items())]
        lines += [f"  {v}" for v in self.violations]
        return "\n".join(lines)


# --- the world -------------------------------------------------------------------------------


@dataclass
class World:
    """Ids of the victim's objects and the personas' accounts; ``markers`` name -> secret string."""

    token: str
    victim_id: int
    other_id: int
    building_a: int
    building_b: int
    objects: dict[str, int]  # object kind -> id of the victim's (see PARAMETER_OBJECTS)
    accounts: dict[str, tuple[int, str, str]]  # persona -> (user id, e-mail, password)
    markers: dict[str, str]


def _enterprise_number(seed: int) -> str:
    """A well-formed Belgian enterprise number (mod-97 check), different each run."""
    base = 1_000_000 + seed % 9_000_000  # 0 + 7 digits + 2 check digits
    return f"0{base:07d}{97 - base % 97:02d}"


def build_world(db: Database) -> World:
    """The victim organisation (marked data, two buildings, a wallet with a marked reference, a
    manager, a technical responsible restricted to building A, an employee awaiting
    confirmation), another organisation with its manager, and a staff case worker. Unique names
    each run, so the walk can run on a database that already has data."""
    token = secrets.token_hex(4)
    mark = f"zq{token}"
    seed = secrets.randbelow(10**9)
    markers = {
        "organisation": f"{mark}org",
        "building_a": f"{mark}blda",
        "building_b": f"{mark}bldb",
        "wallet_reference": f"{mark}ref",
        "client_number": f"V{seed % 10**8:08d}",
        "manager_email": f"{mark}.manager@victim.test",
        "technical_email": f"{mark}.technical@victim.test",
        "pending_email": f"{mark}.pending@victim.test",
        "access_request": f"{mark}req",
    }
    with db.transaction() as session:
        victim = organisation(session, name=f"Syndic {markers['organisation']} SRL",
                              enterprise_number=_enterprise_number(seed), client_number=markers["client_number"])
        other = organisation(session, name=f"Syndic Outsider {token} BV",
                             enterprise_number=_enterprise_number(seed + 1), client_number=f"W{seed % 10**8:08d}")
        a = building(session, client_number=markers["client_number"], name=f"Residence {markers['building_a']}",
                     granted_to=victim)
        b = building(session, client_number=markers["client_number"], name=f"Residence {markers['building_b']}",
                     granted_to=victim, remote=True)
        building(session, client_number=f"W{seed % 10**8:08d}", name=f"Residence outsider {token}", granted_to=other)
        manager = portal_account(session, username=f"{mark}mgr", email=markers["manager_email"], first_name="Marie")
        technical = portal_account(session, username=f"{mark}tech", email=markers["technical_email"], first_name="Tom")
        pending = portal_account(session, username=f"{mark}pend", email=markers["pending_email"], first_name="Paul")
        outsider = portal_account(session, username=f"{mark}out", email=f"{mark}.outsider@other.test",
                                  first_name="Olivia")
        member(session, victim, manager, MemberRole.MANAGER)
        technical_membership = member(session, victim, technical, MemberRole.TECHNICAL, buildings=[a])
        pending_membership = member(session, victim, pending, status=MemberStatus.PENDING)
        member(session, other, outsider, MemberRole.MANAGER)
        wallet = ledger.wallet_for(session, victim.id, user_id=manager.id)
        entry = ledger.credit(session, wallet.id, "120.00", kind=EntryKind.TOPUP_TRANSFER,
                              reference=markers["wallet_reference"], user_id=manager.id)
        other_wallet = ledger.wallet_for(session, other.id, user_id=outsider.id)
        ledger.credit(session, other_wallet.id, "75.00", kind=EntryKind.TOPUP_TRANSFER, reference=f"out{token}",
                      user_id=outsider.id)
        staff = create_user(session, f"{mark}.staff@guichet.test", f"Case worker {token}", STAFF_PASSWORD,
                            {Role.CASE_WORKER})
        session.add(AccessRequest(organisation_id=victim.id, requester_id=manager.id,
                                  client_number=markers["client_number"], message=f"Please {markers['access_request']}",
                                  building_codes=[b.code]))
        client_id = session.scalar(select(OrganisationClient.id).where(OrganisationClient.organisation_id == victim.id))
        world = World(
            token=token, victim_id=victim.id, other_id=other.id, building_a=a.id, building_b=b.id,
            objects={"organisation": victim.id, "building": b.id, "membership": technical_membership.id,
                     "user": technical.id, "wallet": wallet.id, "wallet_entry": entry.id,
                     "client": client_id or 0, "pending_membership": pending_membership.id},
            accounts={"portal_manager": (manager.id, manager.email, PORTAL_PASSWORD),
                      "technical": (technical.id, technical.email, PORTAL_PASSWORD),
                      "pending": (pending.id, pending.email, PORTAL_PASSWORD),
                      "outsider": (outsider.id, outsider.email, PORTAL_PASSWORD),
                      "staff": (staff.id, staff.email, STAFF_PASSWORD)},
            markers=markers,
        )
    return world


# --- personas --------------------------------------------------------------------------------


@dataclass
class Persona:
    name: str
    scope: str  # "all" | "portal" | "back_office": the routes it walks
    markers: dict[str, str]  # which of the victim's markers it must never see
    refuse_objects: frozenset[str] | None  # object kinds in the URL that make a refusal mandatory; None: all
    organisation_id: int | None = None
    client: FlaskClient | None = None
    csrf: str = ""
    cookies: dict[str, Any] = field(default_factory=dict)


def _personas(world: World) -> list[Persona]:
    every = dict(world.markers)
    everything_but_own = {k: v for k, v in every.items() if k not in ("organisation", "pending_email", "client_number")}
    return [
        Persona("anonymous", "all", every, None),
        Persona("outsider", "all", every, None, organisation_id=world.other_id),
        # the pending employee knows the organisation it asked to join (name, number) and itself
        Persona("pending", "all", everything_but_own, ALL_OBJECTS - {"organisation"}, organisation_id=world.victim_id),
        Persona("technical", "portal", {"building_b": every["building_b"]}, frozenset({"building"}),
                organisation_id=world.victim_id),
        Persona("portal_manager", "back_office", every, None, organisation_id=world.victim_id),
        Persona("staff", "portal", every, None),
    ]


def _pass_gates(app: Flask, db: Database, world: World) -> None:
    """Every portal account accepted the current terms, so the walk reaches the pages behind
    them (a persona stopped at the terms would prove nothing about the page)."""
    from webapp.portal.terms import current_version

    with app.app_context():
        version = current_version()
    with db.transaction() as session:
        for name, (user_id, _email, _password) in world.accounts.items():
            if name != "staff":
                accept_terms(session, user_id, version, "fr")


def _csrf_token(app: Flask, client: FlaskClient) -> str:
    """A valid CSRF token for the client's session, made as Flask-WTF makes it."""
    field_name = app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    with client.session_transaction() as flask_session:
        raw = flask_session.get(field_name) or secrets.token_hex(20)
        flask_session[field_name] = raw
    secret = app.config.get("WTF_CSRF_SECRET_KEY") or app.secret_key
    return URLSafeTimedSerializer(secret, salt="wtf-csrf-token").dumps(raw)


def _sign_in(app: Flask, persona: Persona, world: World) -> None:
    from webapp.portal.client_number import CHECKED_KEY
    from webapp.portal.context import ORGANISATION_KEY

    client = app.test_client()
    if persona.name != "anonymous":
        _user_id, email, password = world.accounts[persona.name]
        page = client.get("/login").get_data(as_text=True)
        match = re.search(r'name="csrf_token" value="([^"]+)"', page)
        form = {"email": email, "login": email, "password": password, "csrf_token": match.group(1) if match else ""}
        response = client.post("/login", data=form)
        if response.status_code != 302:
            raise WalkError(f"{persona.name} could not sign in: {response.status_code}")
        if persona.organisation_id is not None:
            with client.session_transaction() as flask_session:
                flask_session[ORGANISATION_KEY] = persona.organisation_id
                flask_session[CHECKED_KEY] = [persona.organisation_id]  # gave its client number
    persona.csrf = _csrf_token(app, client)
    persona.client = client
    names = (app.config.get("SESSION_COOKIE_NAME", "session"), app.config.get("REMEMBER_COOKIE_NAME", "remember_token"))
    persona.cookies = {name: client.get_cookie(name) for name in names}


def _restore(persona: Persona) -> FlaskClient:
    """The persona's client with the cookies it had once signed in (a sign-out or a changed
    organisation of one request does not carry over to the next)."""
    client = persona.client
    assert client is not None
    for name, cookie in persona.cookies.items():
        if cookie is None:
            client.delete_cookie(name)
        else:
            client.set_cookie(name, cookie.value, path=cookie.path or "/")
    return client


# --- URLs ------------------------------------------------------------------------------------


@dataclass
class Target:
    url: str
    objects: frozenset[str]  # kinds of the victim's objects named in the URL ("*": found in a table)


class Filler:
    """Values for a rule's parameters: the victim's objects by name, then by table."""

    def __init__(self, app: Flask, db: Database, world: World) -> None:
        self.world = world
        self.db = db
        self.static_file = self._a_static_file(app)
        self._tables: dict[str, tuple[int | None, bool]] = {}

    @staticmethod
    def _a_static_file(app: Flask) -> str:
        folder = Path(app.static_folder or ".")
        for path in sorted(folder.rglob("*.css")) + sorted(folder.rglob("*")):
            if path.is_file():
                return path.relative_to(folder).as_posix()
        return "missing.css"

    def _from_tables(self, name: str) -> tuple[int | None, bool]:
        """(id, belongs to the victim) of a row of a table named after ``name``, or (None, False)."""
        if name in self._tables:
            return self._tables[name]
        base = name[:-3] if name.endswith("_id") else name
        plurals = {base + "s", base + "es", base[:-1] + "ies" if base.endswith("y") else base + "s"}
        tables = [t for t in Base.metadata.sorted_tables
                  if "id" in t.c and (t.name in plurals or any(t.name.endswith("_" + p) for p in plurals))]
        answer: tuple[int | None, bool] = (None, False)
        owners = {"organisation_id": [self.world.victim_id], "wallet_id": [self.world.objects["wallet"]],
                  "membership_id": [self.world.objects["membership"], self.world.objects["pending_membership"]],
                  "building_id": [self.world.building_b, self.world.building_a],
                  "user_id": [uid for uid, _e, _p in self.world.accounts.values()]}
        with self.db.transaction() as session:
            for table in tables:
                for column in OWNER_COLUMNS:
                    if column in table.c:
                        row = session.scalar(select(table.c.id).where(table.c[column].in_(owners[column]))
                                             .order_by(table.c.id).limit(1))
                        if row is not None:
                            answer = (row, True)
                            break
                if answer[1]:
                    break
                if answer[0] is None:
                    answer = (session.scalar(select(func.min(table.c.id))), False)
        self._tables[name] = answer
        return answer

    def targets(self, rule: Rule) -> tuple[list[Target], list[str], str | None]:
        """(URLs to request, parameters guessed, why it cannot be filled)."""
        variants: list[tuple[dict[str, Any], set[str]]] = [({}, set())]
        guessed: list[str] = []
        for name, converter in rule._converters.items():
            options: list[tuple[Any, str | None]]
            if isinstance(converter, AnyConverter):
                options = [(sorted(converter.items)[0], None)]
            elif isinstance(converter, IntegerConverter):
                kind = PARAMETER_OBJECTS.get(name)
                if kind is not None and self.world.objects.get(kind):
                    options = [(self.world.objects[kind], kind)]
                else:
                    row, victims = self._from_tables(name)
                    if victims:
                        options = [(row, "*")]
                    else:
                        guessed.append(name)
                        options = [(value, None) for value in ((row or UNKNOWN_IDS[0]), UNKNOWN_IDS[1])]
            elif isinstance(converter, FloatConverter):
                options = [(1.0, None)]
            elif isinstance(converter, UUIDConverter):
                options = [("00000000-0000-4000-8000-000000000001", None)]
            elif isinstance(converter, PathConverter):
                options = [(self.static_file if name == "filename" else "x", None)]
            elif type(converter) is UnicodeConverter:
                options = [(STRING_VALUES.get(name, "x"), None)]
            else:
                return [], guessed, f"{rule.rule}: parameter {name!r} has a converter the walker cannot fill " \
                                    f"({type(converter).__name__})"
            variants = [({**values, name: value}, kinds | ({kind} if kind else set()))
                        for values, kinds in variants for value, kind in options]
        targets = []
        for values, kinds in variants:
            built = rule.build(values, append_unknown=False)
            if built is None:
                return [], guessed, f"{rule.rule}: cannot build with {values}"
            targets.append(Target(built[1], frozenset(kinds)))
        return targets, guessed, None


# --- the walk --------------------------------------------------------------------------------


def _csrf_exempt(app: Flask, endpoint: str) -> bool:
    from webapp.security import csrf

    view = app.view_functions.get(endpoint)
    if view is None:
        return False
    blueprint = endpoint.rsplit(".", 1)[0] if "." in endpoint else None
    exempt_blueprints = {getattr(bp, "name", bp) for bp in csrf._exempt_blueprints}
    return f"{view.__module__}.{view.__name__}" in csrf._exempt_views or blueprint in exempt_blueprints


def _route_kind(rule: Rule) -> str:
    if rule.endpoint in PUBLIC_ENDPOINTS:
        return "public"
    return "portal" if rule.rule == "/portal" or rule.rule.startswith("/portal/") else "back_office"


def _walks(persona: Persona, route_kind: str) -> bool:
    if persona.scope == "all":
        return True
    return route_kind == persona.scope


def _must_refuse(persona: Persona, route_kind: str, target: Target) -> bool:
    if route_kind == "public":
        return False
    if persona.name == "anonymous":
        return True
    if persona.name == "staff":
        return route_kind == "portal"
    if route_kind == "back_office":
        return True  # every portal account
    if persona.refuse_objects is None:
        return bool(target.objects)
    return bool(target.objects & persona.refuse_objects)


def _refused(response: TestResponse, method: str, with_token: bool, route_kind: str) -> bool:
    status = response.status_code
    if status in REFUSED_STATUSES:
        return True
    if status == 400 and method != "GET" and not with_token:
        return True
    if status in (301, 302, 303, 307, 308):
        location = urlsplit(response.headers.get("Location", ""))
        if location.netloc not in ("", "localhost"):
            return False
        path = location.path + ("?" + location.query if location.query else "")
        if REFUSAL_REDIRECTS.search(path):
            return True
        return route_kind == "back_office" and location.path == "/portal/"
    return False


def _leaked(response: TestResponse, markers: dict[str, str]) -> tuple[str, ...]:
    text = (response.get_data() + response.headers.get("Location", "").encode()).lower()
    return tuple(f"{name}={value}" for name, value in markers.items() if value.lower().encode() in text)


def _requests(method: str, exempt: bool) -> Iterator[bool]:
    """with_token flags to try: GET once; a write without then with its CSRF token (once when exempt)."""
    if method == "GET" or exempt:
        yield False
    else:
        yield False
        yield True


def _last_audit(db: Database) -> int:
    with db.engine.connect() as conn:
        return conn.scalar(select(func.coalesce(func.max(AuditEvent.id), 0))) or 0


def walk(app: Flask, db: Database, world: World) -> WalkResult:
    """Walk every rule as every persona. The app's logger (a process-wide logger) is quietened
    for the walk only: the walk reports the 500s itself."""
    previous = app.logger.level
    app.logger.setLevel(logging.CRITICAL)
    try:
        return _walk(app, db, world)
    finally:
        app.logger.setLevel(previous)


def _walk(app: Flask, db: Database, world: World) -> WalkResult:
    result = WalkResult()
    started = time.perf_counter()
    personas = _personas(world)
    _pass_gates(app, db, world)
    for persona in personas:
        _sign_in(app, persona, world)
    filler = Filler(app, db, world)
    rules = sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint))
    result.all_rules = [f"{r.rule} ({r.endpoint})" for r in rules]
    result.rules_total = len(rules)
    result.public_endpoints = sorted(e for e in PUBLIC_ENDPOINTS if e in app.view_functions)
    result.csrf_exempt = sorted({r.endpoint for r in rules if _csrf_exempt(app, r.endpoint)})
    manager = next(p for p in personas if p.name == "portal_manager")
    result.control_seen = tuple(m.split("=")[0] for m in _leaked(_restore(manager).get("/portal/"), world.markers))
    result.setup_s = time.perf_counter() - started
    started = time.perf_counter()
    last_audit = _last_audit(db)
    errors: list[BaseException] = []

    def record(_sender: Any, exception: BaseException, **_extra: Any) -> None:
        errors.append(exception)

    got_request_exception.connect(record, app)
    for rule in rules:
        label = f"{rule.rule} ({rule.endpoint})"
        targets, guessed, unfilled = filler.targets(rule)
        if unfilled:
            result.unfilled.append(unfilled)
            continue
        if guessed:
            result.guessed[label] = guessed
        route_kind = _route_kind(rule)
        exempt = _csrf_exempt(app, rule.endpoint)
        methods = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
        for persona in personas:
            if not _walks(persona, route_kind):
                continue
            for target in targets:
                refuse = _must_refuse(persona, route_kind, target)
                for method in methods:
                    for with_token in _requests(method, exempt):
                        client = _restore(persona)
                        errors.clear()
                        data = {"csrf_token": persona.csrf} if with_token else {}
                        response = client.open(target.url, method=method, data=data if method != "GET" else None)
                        result.requests += 1
                        result.by_persona[persona.name] += 1
                        result.rules_visited.add(label)
                        shown = f"{method}{' +csrf' if with_token else ''}"
                        status = response.status_code
                        result.trace.append((persona.name, shown, target.url, status))
                        if status < 300:
                            result.answered[persona.name] += 1
                        if status >= 500:
                            cause = f": {type(errors[-1]).__name__}: {str(errors[-1])[:160]}" if errors else ""
                            result.violations.append(Violation(shown, target.url, persona.name, status,
                                                               "server error" + cause))
                        leaked = _leaked(response, persona.markers)
                        if leaked:
                            result.violations.append(Violation(shown, target.url, persona.name, status,
                                                               "victim data in the response", leaked))
                        if refuse and status < 500 and not _refused(response, method, with_token, route_kind):
                            result.violations.append(Violation(shown, target.url, persona.name, status,
                                                               "not refused"))
                        if method != "GET" and not with_token and not exempt and status not in (400, 429):
                            result.csrf_misses.append(f"{method} {target.url} as {persona.name}: {status}")
                        audit = _last_audit(db) if method != "GET" else last_audit
                        if refuse and audit != last_audit:
                            result.violations.append(Violation(shown, target.url, persona.name, status,
                                                               "state changed (audit event written)"))
                        last_audit = audit
                        response.close()
    got_request_exception.disconnect(record, app)
    result.walk_s = time.perf_counter() - started
    return result


def build_app(database_url: str, instance: Path) -> tuple[Flask, Database]:
    """The app as in production (CSRF on, the real rate limits), on ``database_url``."""
    from webapp import create_app
    from webapp.bootstrap import build_services

    settings = Settings(instance_path=instance, database_url=database_url, broker_url="memory://",
                        secret_key=secrets.token_hex(32), jobs_eager=True, mail_outbox=instance / "outbox",
                        files_path=instance / "files")
    db = Database(database_url)
    Base.metadata.create_all(db.engine)
    # exceptions become 500 pages (reported with their cause), as in production
    app = create_app(build_services(settings, db), {"TESTING": True, "WTF_CSRF_ENABLED": True,
                                                    "PROPAGATE_EXCEPTIONS": False})
    return app, db


def run_walk(database_url: str | None = None) -> WalkResult:
    """Build the app and the world on ``database_url`` (None: a new SQLite file) and walk."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="authz-walk-") as folder:
        instance = Path(folder)
        app, db = build_app(database_url or f"sqlite:///{instance / 'walk.db'}", instance)
        try:
            world = build_world(db)
            built = time.perf_counter() - started
            result = walk(app, db, world)
            result.setup_s += built
        finally:
            db.dispose()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=None, help="default: a new SQLite database in a temporary folder")
    parser.add_argument("--trace", metavar="PREFIX", help="print every request whose URL starts with PREFIX")
    args = parser.parse_args(argv)
    result = run_walk(args.database_url)
    for persona, method, url, status in result.trace if args.trace else ():
        if url.startswith(args.trace):
            print(f"{status} {method} {url} as {persona}")
    print(result.summary())
    print(json.dumps({"authz_walk_s": round(result.elapsed_s, 2), "requests": result.requests,
                      "rules": result.rules_total, "violations": len(result.violations),
                      "unfilled": len(result.unfilled), "csrf_misses": len(result.csrf_misses)}))
    return 1 if result.violations or result.unfilled or result.csrf_misses or result.unvisited else 0


if __name__ == "__main__":
    sys.exit(main())
