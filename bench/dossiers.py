"""Benchmark of the dossier pages on a large PostgreSQL database.

    .venv/bin/python bench/dossiers.py [--scale small|full] [--dossiers N] [--docs|--no-docs]
                                       [--try-index TABLE:COL[,COL…]]…

``small`` (~10,000 dossiers) takes well under a minute; ``full`` (1,000,000 dossiers) is the
recorded figure. ``--dossiers N`` runs any other size (the scale's name then says so).

1. The database ``guichet_bench_dossiers`` (GUICHET_BENCH_DOSSIERS_PG_URL) is dropped and created
   afresh; the tables come from ``Base.metadata.create_all`` after ``import engine.models``.
2. Templates, through the real code: the seven diagrams of bpmn/dossiers are deployed with
   ``WorkflowEngine.deploy`` (real ``process_versions`` rows), the subtypes seeded, and for each
   dossier type one dossier per stage of its flow is opened with ``open_dossier`` and driven
   task by task with valid form answers (0 tasks done, 1, 2, … until completed). Each template
   gives a real serialized state, status and phase, its human-task rows, its ``dossier_phases``
   and its audit events.
3. The bulk: every secondary index and every constraint except the tables themselves is dropped
   (their definitions are read from the catalogue first), N dossiers are written with
   ``COPY … FROM STDIN`` (psycopg 3 ``cursor.copy()``), one connection and one COPY per table
   running side by side, then the primary keys, unique constraints, indexes (two connections
   in parallel) and foreign keys are created again from the saved definitions and checked to
   be exactly those of ``create_all``; sequences are moved past the ids used; ANALYZE. The
   generation time counts all of it. Per dossier: the dossier (the 7 types with their
   subtypes; ~30 % are follow-ups in a journey of an earlier dossier, numbered ``…/2``, ``/3``),
   its process instance (a template's state, version, status and phase), 1-2 human tasks
   (unique uuid4 task_guid), the ``dossier_phases`` rows of the phases its template reached,
   3-6 audit events, and 1-3 involved parties, each a new contact (one is the main contact).
4. Measurement through Flask's test client on an app built like production
   (``build_services`` + ``create_app``), signed in as a case worker: ``GET /dossiers/<id>``
   (overview) on random dossiers and ``GET /dossiers/<id>?tab=journey`` on random dossiers of
   journeys of 3 or more dossiers, after a warm-up. Wall time of the request in this process
   (the server side: Flask, SQLAlchemy and PostgreSQL; no network, no browser), SQL statements
   per request (a before_cursor_execute listener), the slowest statements and their EXPLAIN
   ANALYZE. ``--try-index`` creates an index afterwards and measures again (before/after).

The last line of stdout is one JSON object:
``{"dossier_page_ms_median_pg", "journey_ms_median_pg", "generate_1m_s"}``; below 1,000,000
dossiers ``generate_1m_s`` is the measured generation time extrapolated linearly (the summary
says so).
"""

from __future__ import annotations

import os
import sys

if __name__ == "__main__":  # run as a script: bench/ would shadow the top-level ``engine`` package
    _HERE = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]
    sys.path.insert(len([p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]), os.path.dirname(_HERE))

import argparse
import datetime as dt
import json
import random
import re
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import create_engine, event, select, text
from sqlalchemy.engine import make_url

import engine.models  # noqa: F401 - every table
from bench.common import BenchError, recreate_database
from engine.access.models import Role
from engine.access.users import create_user
from engine.cases.dossiers import open_dossier
from engine.cases.models import DossierPhase, DossierSubtype, DossierType
from engine.cases.subtypes import seed_subtypes
from engine.config import Settings
from engine.db import Base, Database
from engine.workflow.models import AuditEvent, HumanTask, HumanTaskState, ProcessInstance
from forms.samples import SAMPLE_ANSWERS

ROOT = Path(__file__).resolve().parent.parent
DIAGRAMS = sorted((ROOT / "bpmn" / "dossiers").glob("*.bpmn"))
DOCS_PATH = ROOT / "docs" / "benchmarks.md"
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/guichet_bench_dossiers"
PASSWORD = "Bench-Dossiers-42"

TARGETS = {  # figure -> (limit, shown)
    "dossier_page_ms_median_pg": (50.0, "< 50 ms"),
    "journey_ms_median_pg": (50.0, "< 50 ms"),
    "generate_1m_s": (600.0, "< 600 s"),
}


@dataclass(frozen=True)
class Scale:
    dossiers: int
    samples: int  # measured requests per page kind (after warmup)
    warmup: int
    chunk: int = 20_000  # dossiers generated between two writes to the COPY streams


SCALES = {
    "small": Scale(dossiers=10_000, samples=200, warmup=20),
    "full": Scale(dossiers=1_000_000, samples=200, warmup=20),
}

# Valid answers for every task form of the seven flows (the forms of forms/catalog.py).
ANSWERS: dict[str, dict[str, Any]] = {
    **SAMPLE_ANSWERS,
    "advice.request": {**SAMPLE_ANSWERS["advice.request"], "coach_email": "coach@bench.test"},
}

# Share of each type among new journeys, and among follow-up dossiers.
TYPE_WEIGHTS = {
    "information": 30, "requests_loans": 16, "advice": 18, "project_design": 8, "execution": 6, "loan": 8,
    "premiums": 14,
}
FOLLOW_UP_TYPE_WEIGHTS = {
    "information": 5, "requests_loans": 5, "advice": 25, "project_design": 20, "execution": 15, "loan": 15,
    "premiums": 15,
}
PREFIX = {"information": "INF", "requests_loans": "REQ", "advice": "ADV", "project_design": "PRJ",
          "execution": "EXE", "loan": "LOA", "premiums": "PRM"}
SOURCES = ["phone", "email", "counter", "website", "event", None]
ROLES = ["owner_occupant", "owner_landlord", "tenant", "co_owner", "syndic_volunteer", "architect", "other"]
FIRST = ["Anna", "Bart", "Chloé", "Dirk", "Els", "Farid", "Greet", "Hugo", "Inès", "Jan", "Karim", "Lotte",
         "Marc", "Nora", "Olivier", "Petra", "Quentin", "Rik", "Sofie", "Tom", "Yasmine", "Wim"]
LAST = ["Peeters", "Janssens", "Maes", "Jacobs", "Mertens", "Willems", "Claes", "Goossens", "Wouters",
        "De Smet", "Dubois", "Lambert", "Dupont", "Martin", "Simon", "Laurent", "El Amrani", "Van Damme"]
TITLES = ["Roof insulation", "Façade renovation", "Heat pump", "Double glazing", "Green roof",
          "Rainwater tank", "Energy scan", "Terraced house renovation", "Apartment block", "Solar panels"]
FOLLOW_UP_SHARE = 0.30
MAIN_PROJECT_SHARE = 0.45  # of the dossiers, when generate() is given main_projects


def pg_url() -> str:
    return os.environ.get("GUICHET_BENCH_DOSSIERS_PG_URL", DEFAULT_PG_URL)


def libpq_dsn(url: str) -> str:
    """The SQLAlchemy URL as a libpq connection string for psycopg."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    rank = max(1, int(-(-pct * len(ordered) // 100)))
    return ordered[rank - 1]


# --------------------------------------------------------------------------- database


@dataclass(frozen=True)
class SchemaObject:
    table: str
    name: str
    kind: str  # p (primary key) | u (unique) | f (foreign key) | c (check) | i (plain/unique index)
    ddl: str


def schema_objects(conn: psycopg.Connection) -> list[SchemaObject]:
    """Every constraint and every index not backing a constraint, of the public schema."""
    out = []
    for table, name, kind, definition in conn.execute(
        "SELECT c.conrelid::regclass::text, c.conname, c.contype, pg_get_constraintdef(c.oid) "
        "FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
        "WHERE n.nspname = 'public' AND c.contype IN ('p', 'u', 'f', 'c') ORDER BY 1, 2"
    ):
        out.append(SchemaObject(table, name, kind, f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'))
    for table, name, definition in conn.execute(
        "SELECT i.tablename, i.indexname, i.indexdef FROM pg_indexes i "
        "WHERE i.schemaname = 'public' AND NOT EXISTS ("
        "  SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname AND c.contype IN ('p', 'u')) "
        "ORDER BY 1, 2"
    ):
        out.append(SchemaObject(table, name, "i", definition))
    return out


def drop_schema_objects(conn: psycopg.Connection, objects: list[SchemaObject], tables: set[str]) -> list[SchemaObject]:
    """Drop the indexes and constraints of ``tables`` (foreign keys first; also those of other
    tables that point at them); return what was dropped, to be created again."""
    dropped = [o for o in objects if o.table in tables or (o.kind == "f" and _references(o) in tables)]
    drop_objects(conn, dropped)
    return dropped


def drop_objects(conn: psycopg.Connection, objects: list[SchemaObject]) -> None:
    """Drop indexes and constraints, foreign keys first (they depend on the keys they point at)."""
    for o in sorted(objects, key=lambda o: "fcupi".index(o.kind)):
        if o.kind == "i":
            conn.execute(f'DROP INDEX "{o.name}"')
        else:
            conn.execute(f'ALTER TABLE {o.table} DROP CONSTRAINT "{o.name}"')


def _references(o: SchemaObject) -> str:
    match = re.search(r"REFERENCES\s+([\w.\"]+)\(", o.ddl)
    return match.group(1).strip('"') if match else ""


def restore_schema_objects(url: str, objects: list[SchemaObject], log: Callable[[str], None]) -> dict[str, float]:
    """Create again what :func:`drop_schema_objects` dropped: primary keys and unique
    constraints, checks and indexes on two connections side by side, then the foreign keys on
    one (two ADD FOREIGN KEY on the same tables could deadlock). Returns seconds per step."""
    timings: dict[str, float] = {}
    first = [o for o in objects if o.kind in "pu"]
    second = [o for o in objects if o.kind in "ci"]
    fks = [o for o in objects if o.kind == "f"]

    def parallel(items: list[SchemaObject], workers: int = 2) -> None:
        queue = sorted(items, key=lambda o: o.table)  # crude: keep one table's work together
        lock = threading.Lock()
        errors: list[BaseException] = []

        def work() -> None:
            try:
                with psycopg.connect(libpq_dsn(url), autocommit=True) as conn:
                    conn.execute("SET maintenance_work_mem = '1GB'")
                    conn.execute("SET max_parallel_maintenance_workers = 0")
                    while True:
                        with lock:
                            if not queue:
                                return
                            item = queue.pop(0)
                        conn.execute(item.ddl)
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]

    t0 = time.perf_counter()
    parallel(first)
    timings["primary keys and unique constraints"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    parallel(second)
    timings["indexes and checks"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    with psycopg.connect(libpq_dsn(url), autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '1GB'")
        for o in fks:
            conn.execute(o.ddl)
    timings["foreign keys (validated)"] = time.perf_counter() - t0
    log("  restored " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))
    return timings


# --------------------------------------------------------------------------- templates


@dataclass
class Template:
    """One real instance of a dossier type at one stage of its flow."""

    dossier_type: str
    tasks_done: int
    version_id: int
    process_key: str
    status: str
    phase: str | None
    state: str
    completed: bool
    human_tasks: list[dict[str, Any]]  # last completed task (if any) then the ready one (if any)
    phases: list[str]
    audit: list[tuple[str, str]]  # (kind, detail JSON)


@dataclass
class Fixture:
    user_id: int
    user_email: str
    coach_id: int
    templates: dict[str, list[Template]]
    subtypes: dict[str, list[int]]
    template_dossiers: int


def _services(url: str, workdir: Path) -> Any:
    from webapp.bootstrap import build_services

    settings = Settings(
        instance_path=workdir, database_url=url, broker_url="memory://",
        secret_key="bench-secret-key-not-for-production", jobs_eager=True,
        mail_outbox=workdir / "outbox", login_rate_limit="1000 per minute",
    )
    return build_services(settings, Database(url))


def build_templates(services: Any, log: Callable[[str], None]) -> Fixture:
    db, wf_engine = services.db, services.engine
    with db.transaction() as session:
        for path in DIAGRAMS:
            wf_engine.deploy(session, path.read_text(), f"bpmn/dossiers/{path.name}")
        seed_subtypes(session)
        user = create_user(session, "case.worker@bench.test", "Case Worker", PASSWORD, [Role.CASE_WORKER])
        coach = create_user(session, "coach@bench.test", "Coach", PASSWORD, [Role.CASE_WORKER])
        user_id, user_email, coach_id = user.id, user.email, coach.id
    templates: dict[str, list[Template]] = {}
    count = 0
    for dossier_type in DossierType:
        stage = 0
        templates[dossier_type.value] = []
        while True:
            with db.transaction() as session:
                dossier = open_dossier(session, wf_engine, dossier_type, f"Template {dossier_type.value} {stage}",
                                       user_id=user_id)
                dossier_id, instance_id = dossier.id, dossier.process_instance_id
            count += 1
            for _ in range(stage):
                with db.transaction() as session:
                    ht = session.scalar(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                                HumanTask.state == HumanTaskState.READY).limit(1))
                    if ht is None:
                        break
                    wf_engine.complete(session, ht.id, ANSWERS[ht.form_key], user_id=user_id,
                                       may_override_assignee=True)
            with db.transaction() as session:
                template = _read_template(session, dossier_type.value, stage, dossier_id, instance_id)
            templates[dossier_type.value].append(template)
            if template.completed or stage > 20:
                break
            stage += 1
    with db.transaction() as session:
        subtypes: dict[str, list[int]] = {}
        for s in session.scalars(select(DossierSubtype).order_by(DossierSubtype.id)):
            subtypes.setdefault(s.type, []).append(s.id)
    log(f"  templates: {count} real dossiers driven through the engine ("
        + ", ".join(f"{k} {len(v)}" for k, v in templates.items()) + " stages)")
    return Fixture(user_id, user_email, coach_id, templates, subtypes, count)


def _read_template(session: Any, dossier_type: str, stage: int, dossier_id: int, instance_id: int) -> Template:
    inst = session.get(ProcessInstance, instance_id)
    tasks = list(session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id)
                                 .order_by(HumanTask.id)))
    done = [t for t in tasks if t.state == HumanTaskState.COMPLETED]
    ready = [t for t in tasks if t.state == HumanTaskState.READY]
    keep = (done[-1:] + ready[:1]) if ready else done[-2:]
    human_tasks = [
        {c: getattr(t, c) for c in ("process_key", "bpmn_id", "name", "lane", "queue", "form_key", "phase",
                                    "instructions", "state", "assignee_id", "due_at", "claimed_at",
                                    "completed_at", "completed_by_id")}
        for t in keep
    ]
    phases = [p for (p,) in session.execute(select(DossierPhase.phase).where(DossierPhase.dossier_id == dossier_id)
                                            .order_by(DossierPhase.id))]
    audit = [(e.kind, json.dumps(e.detail or {}, ensure_ascii=False)) for e in session.scalars(
        select(AuditEvent).where(AuditEvent.instance_id == instance_id).order_by(AuditEvent.id))]
    return Template(
        dossier_type=dossier_type, tasks_done=len(done), version_id=inst.process_version_id,
        process_key=inst.process_key, status=inst.status, phase=inst.phase, state=inst.state,
        completed=inst.status == "completed", human_tasks=human_tasks, phases=phases, audit=audit,
    )


# --------------------------------------------------------------------------- bulk generation

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def esc(value: Any) -> str:
    """A value in COPY's text format."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return str(value).translate(_ESCAPES)


# The columns written, per table (in COPY order).
COLUMNS: dict[str, tuple[str, ...]] = {
    "process_instances": ("id", "process_version_id", "process_key", "subject_type", "subject_id", "status", "phase",
                          "state", "lock_version", "next_timer_at", "started_by_id", "started_at", "updated_at",
                          "completed_at"),
    "dossiers": ("id", "number", "type", "subtype_id", "title", "description", "source", "process_instance_id",
                 "journey_id", "active", "created_by_id", "created_at", "main_project"),
    "human_tasks": ("id", "instance_id", "task_guid", "process_key", "bpmn_id", "name", "lane", "queue", "form_key",
                    "phase", "instructions", "state", "assignee_id", "due_at", "created_at", "claimed_at",
                    "claimed_by_id", "completed_at", "completed_by_id"),
    "dossier_phases": ("id", "dossier_id", "phase", "reached_at"),
    "audit_events": ("id", "instance_id", "subject_type", "subject_id", "actor_id", "kind", "detail", "at"),
    "contacts": ("id", "first_name", "last_name", "email", "phone", "language", "address_id", "notes", "active",
                 "created_by_id", "created_at"),
    "involved_parties": ("id", "dossier_id", "contact_id", "organisation_id", "role", "is_main", "created_by_id",
                         "created_at"),
    "number_sequences": ("name", "value"),
}
BULK_TABLES = set(COLUMNS)


@dataclass
class Generated:
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    steps: dict[str, float] = field(default_factory=dict)
    journey_roots_3plus: int = 0


def _start_ids(conn: psycopg.Connection) -> dict[str, int]:
    out = {}
    for table in COLUMNS:
        if table == "number_sequences":
            continue
        out[table] = (conn.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone() or (0,))[0] + 1
    return out


def generate(url: str, fixture: Fixture, n: int, chunk: int, log: Callable[[str], None],
             seed: int = 20261123, *, first_day: dt.datetime | None = None,
             main_projects: tuple[str, ...] = (), finished_after_days: int = 365,
             finished_share: float = 0.7) -> Generated:
    """Write ``n`` dossiers and what hangs on them with COPY. Timed by the caller.

    ``first_day``: the dossiers are created from then until 2026-11-01 (default 2019-01-01).
    ``main_projects``: when given, ~45 % of the dossiers get one of them as main project (the
    default leaves it empty and draws nothing more from the random generator, so the data of the
    other benchmarks stays the same). A dossier older than ``finished_after_days`` whose template
    is not finished moves to its type's finished template with probability ``finished_share``."""
    rng = random.Random(seed)
    dsn = libpq_dsn(url)
    result = Generated()
    t_start = time.perf_counter()
    with psycopg.connect(dsn, autocommit=True) as conn:
        ids = _start_ids(conn)
        existing_seq = dict(conn.execute("SELECT name, value FROM number_sequences").fetchall())
        objects = schema_objects(conn)
        dropped = drop_schema_objects(conn, objects, BULK_TABLES - {"number_sequences"})
        # number_sequences keeps its primary key (the template rows are merged in Python)
        conn.execute("DELETE FROM number_sequences")
    result.steps["drop indexes and constraints"] = time.perf_counter() - t_start
    log(f"  dropped {len(dropped)} indexes and constraints for the load")

    # template rows, pre-escaped once
    tpl_rows = {}
    for dtype, tpls in fixture.templates.items():
        weights = [4.0 if t.completed else 1.0 for t in tpls]
        tpl_rows[dtype] = (tpls, weights, [esc(t.state) for t in tpls],
                           [[(k, esc(d)) for k, d in t.audit] for t in tpls])

    now = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    first_day = first_day or dt.datetime(2019, 1, 1, tzinfo=dt.UTC)
    span_s = (now - first_day).total_seconds()
    types = list(TYPE_WEIGHTS)
    type_w = list(TYPE_WEIGHTS.values())
    fu_w = list(FOLLOW_UP_TYPE_WEIGHTS.values())
    counters: dict[str, int] = {}
    journey_count: dict[int, int] = {}  # root id -> last follow-up number
    roots: list[tuple[int, str]] = []  # (id, number)
    user = str(fixture.user_id)
    coach = str(fixture.coach_id)

    conns = {t: psycopg.connect(dsn, autocommit=False) for t in COLUMNS}
    for c in conns.values():
        c.execute("SET synchronous_commit = off")
    copies = {}
    stacks = []
    try:
        for table, cols in COLUMNS.items():
            cur = conns[table].cursor()
            cm = cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN")
            copies[table] = cm.__enter__()
            stacks.append(cm)
        counts = dict.fromkeys(COLUMNS, 0)
        d_id, pi_id, ht_id, ph_id, ae_id, c_id, ip_id = (
            ids["dossiers"], ids["process_instances"], ids["human_tasks"], ids["dossier_phases"],
            ids["audit_events"], ids["contacts"], ids["involved_parties"])
        done = 0
        while done < n:
            m = min(chunk, n - done)
            buf: dict[str, list[str]] = {t: [] for t in COLUMNS}
            b_d, b_pi, b_ht, b_ph, b_ae, b_c, b_ip = (buf["dossiers"], buf["process_instances"], buf["human_tasks"],
                                                      buf["dossier_phases"], buf["audit_events"], buf["contacts"],
                                                      buf["involved_parties"])
            for k in range(m):
                i = done + k
                created = first_day + dt.timedelta(seconds=span_s * i / n + rng.random() * 60)
                created_s = created.isoformat()
                follow = roots and rng.random() < FOLLOW_UP_SHARE
                if follow:
                    dtype = rng.choices(types, fu_w)[0]
                    # mostly a recent journey, so that journeys of several dossiers are common
                    root_id, root_number = roots[-1 - min(len(roots) - 1, int(rng.expovariate(1 / 40)))]
                    seq = journey_count.get(root_id, 1) + 1
                    journey_count[root_id] = seq
                    number = f"{root_number}/{seq}"
                    journey = str(root_id)
                else:
                    dtype = rng.choices(types, type_w)[0]
                    key = f"{PREFIX[dtype]}-{created.year}"
                    value = counters.get(key, existing_seq.get(key, 0)) + 1
                    counters[key] = value
                    number = f"{key}-{value:05d}"
                    journey = "\\N"
                    roots.append((d_id, number))
                tpls, weights, states, audits = tpl_rows[dtype]
                ti = rng.choices(range(len(tpls)), weights)[0]
                tpl = tpls[ti]
                subs = fixture.subtypes.get(dtype)
                subtype = str(rng.choice(subs)) if subs and rng.random() < 0.8 else "\\N"
                age_days = (now - created).days
                # older dossiers are more often finished: move to the completed template
                if age_days > finished_after_days and not tpl.completed and rng.random() < finished_share:
                    ti = len(tpls) - 1
                    tpl = tpls[ti]
                source = rng.choice(SOURCES)
                project = (rng.choice(main_projects) if main_projects and rng.random() < MAIN_PROJECT_SHARE
                           else "\\N")
                b_d.append(f"{d_id}\t{number}\t{dtype}\t{subtype}\t{rng.choice(TITLES)} {i}\t\\N\t"
                           f"{source or chr(92) + 'N'}\t{pi_id}\t{journey}\t{'f' if rng.random() < 0.02 else 't'}\t"
                           f"{user}\t{created_s}\t{project}\n")
                updated = created + dt.timedelta(days=min(age_days, 3 * tpl.tasks_done + 1))
                updated_s = updated.isoformat()
                b_pi.append(f"{pi_id}\t{tpl.version_id}\t{tpl.process_key}\tdossier\t{d_id}\t{tpl.status}\t"
                            f"{tpl.phase or chr(92) + 'N'}\t{states[ti]}\t{tpl.tasks_done + 1}\t\\N\t{user}\t"
                            f"{created_s}\t{updated_s}\t{updated_s if tpl.completed else chr(92) + 'N'}\n")
                for h in tpl.human_tasks:
                    completed = h["state"] == "completed"
                    assignee = h["assignee_id"]
                    assignee = (coach if assignee == fixture.coach_id else user) if assignee else "\\N"
                    due = (updated + dt.timedelta(days=10)).isoformat() if h["due_at"] else "\\N"
                    b_ht.append(
                        f"{ht_id}\t{pi_id}\t{uuid.uuid4()}\t{h['process_key']}\t{esc(h['bpmn_id'])}\t{esc(h['name'])}\t"
                        f"{esc(h['lane'])}\t{esc(h['queue'])}\t{esc(h['form_key'])}\t{esc(h['phase'])}\t"
                        f"{esc(h['instructions'])}\t{h['state']}\t{assignee}\t{due}\t{created_s}\t"
                        f"{updated_s if h['claimed_at'] else chr(92) + 'N'}\t\\N\t"
                        f"{updated_s if completed else chr(92) + 'N'}\t{user if completed else chr(92) + 'N'}\n")
                    ht_id += 1
                for step, phase in enumerate(tpl.phases):
                    b_ph.append(f"{ph_id}\t{d_id}\t{phase}\t{(created + dt.timedelta(days=3 * step)).isoformat()}\n")
                    ph_id += 1
                events = audits[ti]
                want = rng.randint(3, 6)
                for e in range(want):
                    kind, detail = events[e] if e < len(events) else ("task_claimed", "{}")
                    at = (created + dt.timedelta(hours=e)).isoformat()
                    b_ae.append(f"{ae_id}\t{pi_id}\tdossier\t{d_id}\t{user}\t{kind}\t{detail}\t{at}\n")
                    ae_id += 1
                parties = rng.randint(1, 3)
                for p in range(parties):
                    first, last = rng.choice(FIRST), rng.choice(LAST)
                    b_c.append(f"{c_id}\t{first}\t{last}\t{first.lower()}.{c_id}@example.be\t"
                               f"+32 15 {c_id % 1000000:06d}\t"
                               f"{'nl' if c_id % 3 else 'fr'}\t\\N\t\\N\tt\t{user}\t"
                               f"{created_s}\n")
                    b_ip.append(f"{ip_id}\t{d_id}\t{c_id}\t\\N\t{ROLES[(c_id + p) % len(ROLES)]}\t"
                                f"{'t' if p == 0 else 'f'}\t{user}\t{created_s}\n")
                    c_id += 1
                    ip_id += 1
                d_id += 1
                pi_id += 1
            # the instance before the dossier: both go to their own COPY stream; the foreign
            # keys are created afterwards, so the order of the streams does not matter
            for table, lines in buf.items():
                if lines:
                    copies[table].write("".join(lines))
                    counts[table] += len(lines)
            done += m
            if done % (chunk * 10) == 0 or done == n:
                log(f"  {done:,} dossiers written ({time.perf_counter() - t_start:.0f} s)")
        seq_lines = [f"{esc(k)}\t{v}\n" for k, v in {**existing_seq, **counters}.items()]
        seq_lines += [f"journey:{num}\t{journey_count[rid]}\n" for rid, num in roots if rid in journey_count]
        copies["number_sequences"].write("".join(seq_lines))
        counts["number_sequences"] = len(seq_lines)
        t_copy_end = time.perf_counter()
        for cm in stacks:
            cm.__exit__(None, None, None)
        stacks.clear()
        for c in conns.values():
            c.commit()
        result.steps["COPY (generate + send + server ingest)"] = time.perf_counter() - t_start - sum(
            result.steps.values())
        log(f"  COPY done: python side finished at {t_copy_end - t_start:.0f} s, "
            f"server side at {time.perf_counter() - t_start:.0f} s")
    finally:
        for cm in stacks:
            with suppress(Exception):
                cm.__exit__(RuntimeError, RuntimeError("aborted"), None)
        for c in conns.values():
            c.close()

    t0 = time.perf_counter()
    restore_schema_objects(url, dropped, log)
    result.steps["recreate keys, indexes, foreign keys"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    with psycopg.connect(dsn, autocommit=True) as conn:
        for table in COLUMNS:
            if table != "number_sequences":
                conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                             f"(SELECT coalesce(max(id), 1) FROM {table}))")
        conn.execute("ANALYZE")
    result.steps["sequences + ANALYZE"] = time.perf_counter() - t0
    result.seconds = time.perf_counter() - t_start
    result.rows = counts
    result.journey_roots_3plus = sum(1 for v in journey_count.values() if v >= 3)
    return result


def check_schema(url: str) -> None:
    """The loaded database has exactly the indexes and constraints of ``create_all``."""
    with psycopg.connect(libpq_dsn(url), autocommit=True) as conn:
        loaded = {(o.table, o.name, o.kind, o.ddl) for o in schema_objects(conn)}
    expected = {(o.table, o.name, o.kind, o.ddl) for o in expected_schema_objects(url)}
    if loaded != expected:
        raise BenchError(f"schema differs from create_all: missing {sorted(expected - loaded)[:5]}, "
                         f"extra {sorted(loaded - expected)[:5]}")


def expected_schema_objects(url: str) -> list[SchemaObject]:
    """The indexes and constraints ``create_all`` makes, read from a scratch database created
    (and dropped again) on ``url``'s server."""
    probe = make_url(url)
    probe_name = f"{probe.database}_schema_probe"
    admin = create_engine(probe.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{probe_name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{probe_name}"'))
    probe_url = probe.set(database=probe_name).render_as_string(hide_password=False)
    try:
        eng = create_engine(probe_url)
        Base.metadata.create_all(eng)
        eng.dispose()
        with psycopg.connect(libpq_dsn(probe_url), autocommit=True) as conn:
            return schema_objects(conn)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{probe_name}" WITH (FORCE)'))
        admin.dispose()


def table_counts(url: str) -> tuple[dict[str, int], str, int]:
    with psycopg.connect(libpq_dsn(url), autocommit=True) as conn:
        counts = {}
        for table in sorted(Base.metadata.tables):
            counts[table] = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        size = conn.execute("SELECT pg_size_pretty(pg_database_size(current_database())), "
                            "pg_database_size(current_database())").fetchone()
    return counts, size[0], size[1]


# --------------------------------------------------------------------------- measurement


@dataclass
class PageResult:
    label: str
    ms: list[float] = field(default_factory=list)
    statements: list[int] = field(default_factory=list)
    sql_ms: list[float] = field(default_factory=list)
    slow: dict[str, list[float]] = field(default_factory=dict)  # normalised statement -> durations ms
    example: dict[str, tuple[str, Any]] = field(default_factory=dict)

    @property
    def median(self) -> float:
        return statistics.median(self.ms)

    @property
    def p95(self) -> float:
        return percentile(self.ms, 95)

    def add(self, ms: float, records: list[tuple[str, Any, float]]) -> None:
        """One measured request: its wall time and the statements it ran."""
        self.ms.append(ms)
        self.statements.append(len(records))
        self.sql_ms.append(sum(r[2] for r in records))
        for statement, params, dur in records:
            shape = _shape(statement)
            self.slow.setdefault(shape, []).append(dur)
            if shape not in self.example or dur > max(self.slow[shape][:-1] or [0]):
                self.example[shape] = (statement, params)


@dataclass
class Measurement:
    overview: PageResult
    journey: PageResult
    journey_sizes: list[int]
    open_overview: PageResult  # overview of dossiers whose process waits on a ready task
    explains: dict[str, str] = field(default_factory=dict)
    statements: dict[str, list[str]] = field(default_factory=dict)  # page -> statements of one request


@contextmanager
def sql_recorder(db: Database) -> Iterator[list[tuple[str, Any, float]]]:
    """Every statement run on ``db`` with its parameters and duration (ms)."""
    records: list[tuple[str, Any, float]] = []
    starts: list[float] = []

    def before(conn: Any, cursor: Any, statement: str, params: Any, context: Any, executemany: bool) -> None:
        starts.append(time.perf_counter())

    def after(conn: Any, cursor: Any, statement: str, params: Any, context: Any, executemany: bool) -> None:
        records.append((statement, params, (time.perf_counter() - starts.pop()) * 1000))

    event.listen(db.engine, "before_cursor_execute", before)
    event.listen(db.engine, "after_cursor_execute", after)
    try:
        yield records
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
        event.remove(db.engine, "after_cursor_execute", after)


def _shape(statement: str) -> str:
    return re.sub(r"\s+", " ", statement).strip()


def short(shape: str, width: int = 200) -> str:
    """A statement without its select list, for reading: ``SELECT … FROM human_tasks LEFT JOIN …``."""
    shape = re.sub(r"^SELECT (?!count\().*? FROM ", "SELECT … FROM ", shape, count=1)
    return shape if len(shape) <= width else shape[: width - 1] + "…"


def signed_in_client(services: Any, user_id: int) -> Any:
    """A test client of an app built like production (``create_app`` on ``services``), signed in
    as ``user_id`` through the session, so that no request of the measurement is a sign-in."""
    from webapp import create_app

    app = create_app(services, {"TESTING": True, "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = str(user_id)
        sess["_fresh"] = True
    return client


def timed_get(client: Any, db: Database, path: str) -> tuple[Any, float, list[tuple[str, Any, float]]]:
    """``GET path``: the response, its wall time in this process (ms: Flask, SQLAlchemy and the
    database; no network) and the statements it ran (see :func:`sql_recorder`)."""
    with sql_recorder(db) as records:
        t0 = time.perf_counter()
        response = client.get(path)
        ms = (time.perf_counter() - t0) * 1000
    return response, ms, records


def measure(services: Any, fixture: Fixture, samples: int, warmup: int, log: Callable[[str], None],
            seed: int = 7) -> Measurement:
    client = signed_in_client(services, fixture.user_id)
    rng = random.Random(seed)
    db = services.db
    with db.transaction() as session:
        lo, hi = session.execute(text("SELECT min(id), max(id) FROM dossiers")).one()
        roots = [r for (r,) in session.execute(text(
            "SELECT journey_id FROM dossiers WHERE journey_id IS NOT NULL GROUP BY journey_id "
            "HAVING count(*) >= 2 ORDER BY journey_id"))]
        open_ids = [r for (r,) in session.execute(text(
            "SELECT d.id FROM dossiers d JOIN process_instances p ON p.id = d.process_instance_id "
            "WHERE p.status = 'waiting' ORDER BY d.id"))]
    if not roots:
        raise BenchError("no journey of 3 or more dossiers was generated")
    overview = PageResult("overview")
    journey = PageResult("journey")
    open_overview = PageResult("overview, open dossiers")
    listed: dict[str, list[str]] = {}
    sizes: list[int] = []

    def pick_journey_dossier() -> int:
        root = rng.choice(roots)
        with db.transaction() as session:
            members = [r for (r,) in session.execute(text(
                "SELECT id FROM dossiers WHERE id = :r OR journey_id = :r"), {"r": root})]
        sizes.append(len(members))
        return rng.choice(members)

    def one(path: str, result: PageResult | None, listing: str | None = None) -> None:
        response, ms, records = timed_get(client, db, path)
        if response.status_code != 200:
            raise BenchError(f"GET {path} → HTTP {response.status_code}")
        if listing and listing not in listed:
            listed[listing] = [_shape(r[0]) for r in records]
        if result is not None:
            result.add(ms, records)

    for _ in range(warmup):
        one(f"/dossiers/{rng.randint(lo, hi)}", None)
        one(f"/dossiers/{pick_journey_dossier()}?tab=journey", None)
    sizes.clear()
    for _ in range(samples):  # interleaved, so that load from elsewhere hits every kind alike
        one(f"/dossiers/{rng.randint(lo, hi)}", overview)
        one(f"/dossiers/{pick_journey_dossier()}?tab=journey", journey, "journey tab")
        one(f"/dossiers/{rng.choice(open_ids)}", open_overview, "overview (open dossier)")
    meas = Measurement(overview, journey, sizes, open_overview)
    meas.explains = explain_slowest(db, [open_overview, overview, journey])
    meas.statements = listed
    return meas


def slowest(result: PageResult, top: int = 3) -> list[tuple[str, float, int]]:
    """(statement, median ms, count per request) of the statements with the largest total time."""
    per_request = len(result.ms) or 1
    ranked = sorted(result.slow.items(), key=lambda kv: -sum(kv[1]))
    return [(shape, statistics.median(d), round(len(d) / per_request)) for shape, d in ranked[:top]]


def explain_slowest(db: Database, results: list[PageResult], top: int = 2) -> dict[str, str]:
    out: dict[str, str] = {}
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        for result in results:
            for shape, _median, _count in slowest(result, top):
                if shape in out or not shape.upper().startswith("SELECT"):
                    continue
                statement, params = result.example[shape]
                cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, params)
                out[shape] = "\n".join(row[0] for row in cur.fetchall())
        raw.rollback()
    finally:
        raw.close()
    return out


def try_indexes(url: str, specs: list[str], log: Callable[[str], None]) -> list[str]:
    """Create the indexes ``TABLE:COL[,COL…]`` (named ix_bench_…), ANALYZE; return their DDL."""
    ddl = []
    with psycopg.connect(libpq_dsn(url), autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '1GB'")
        for spec in specs:
            table, cols = spec.split(":", 1)
            columns = [c.strip() for c in cols.split(",") if c.strip()]
            statement = f"CREATE INDEX ix_bench_{table}_{'_'.join(columns)} ON {table} ({', '.join(columns)})"
            t0 = time.perf_counter()
            conn.execute(statement)
            conn.execute(f"ANALYZE {table}")
            log(f"  {statement} ({time.perf_counter() - t0:.1f} s)")
            ddl.append(statement)
    return ddl


# --------------------------------------------------------------------------- report


@dataclass
class Results:
    scale: str
    dossiers: int
    generated: Generated
    counts: dict[str, int]
    db_size: str
    db_bytes: int
    template_dossiers: int
    templates: dict[str, int]
    measurement: Measurement
    machine: dict[str, str]
    after_index: Measurement | None = None
    index_ddl: list[str] = field(default_factory=list)

    def figures(self) -> dict[str, Any]:
        m = self.measurement
        return {
            "dossier_page_ms_median_pg": round(m.overview.median, 2),
            "journey_ms_median_pg": round(m.journey.median, 2),
            "generate_1m_s": round(self.generated.seconds * 1_000_000 / self.dossiers, 1),
        }


def _verdict(key: str, value: float) -> str:
    limit, _shown = TARGETS[key]
    return "pass" if value < limit else "miss"


def summary_lines(res: Results) -> list[str]:
    f = res.figures()
    g = res.generated
    extrapolated = res.dossiers != 1_000_000
    lines = [
        f"Dossier pages on PostgreSQL, {res.dossiers:,} generated dossiers (scale {res.scale}), "
        f"database {res.db_size}:",
        f"  generation {g.seconds:.1f} s for {res.dossiers:,} dossiers"
        + (f" → {f['generate_1m_s']} s per 1,000,000 (linear extrapolation, not measured at 1M)"
           if extrapolated else " (measured at 1,000,000)")
        + f"  [{_verdict('generate_1m_s', f['generate_1m_s'])}, target < 600 s]",
        "    " + "; ".join(f"{k} {v:.1f} s" for k, v in g.steps.items()),
    ]
    for label, page, key in (("dossier page (overview)", res.measurement.overview, "dossier_page_ms_median_pg"),
                             ("overview, open dossiers only", res.measurement.open_overview,
                              "dossier_page_ms_median_pg"),
                             ("journey tab", res.measurement.journey, "journey_ms_median_pg")):
        lines.append(
            f"  {label}: median {page.median:.2f} ms, p95 {page.p95:.2f} ms over {len(page.ms)} requests "
            f"[{_verdict(key, page.median)}, target < 50 ms]; SQL statements per request "
            f"{min(page.statements)}-{max(page.statements)}; time in SQL median {statistics.median(page.sql_ms):.2f} ms"
        )
        for shape, median, count in slowest(page):
            lines.append(f"      {median:7.2f} ms x{count}  {short(shape, 150)}")
    js = res.measurement.journey_sizes
    lines.append(f"  journeys measured: {statistics.mean(js):.1f} dossiers on average (max {max(js)})")
    if res.after_index is not None:
        a = res.after_index
        lines.append(f"  after {'; '.join(res.index_ddl)}:")
        lines.append(f"    overview median {a.overview.median:.2f} ms (p95 {a.overview.p95:.2f}), open dossiers "
                     f"{a.open_overview.median:.2f} ms (p95 {a.open_overview.p95:.2f}), journey median "
                     f"{a.journey.median:.2f} ms (p95 {a.journey.p95:.2f})")
    lines.append("  rows: " + ", ".join(f"{t} {c:,}" for t, c in res.counts.items() if c))
    return lines


def docs_section(res: Results) -> str:
    f = res.figures()
    m = res.machine
    g = res.generated
    ov, jo, oo = res.measurement.overview, res.measurement.journey, res.measurement.open_overview
    extrapolated = res.dossiers != 1_000_000
    out = [
        f"\n## {m['date']} — dossier pages, bench/dossiers.py, {res.dossiers:,} dossiers (scale {res.scale})\n",
        f"Machine: {m['cpu']}, {m['cores']} cores; Python {m['python']}, SQLAlchemy {m['sqlalchemy']}, "
        f"SpiffWorkflow {m['spiffworkflow']}, PostgreSQL {m['postgresql']} (server settings untouched: "
        f"shared_buffers {m.get('shared_buffers', '?')}, max_wal_size {m.get('max_wal_size', '?')}). "
        f"Load average (1/5/15 min) at the end: {m['load']}. Code: {m['code']}.\n",
        "| figure | value | target | verdict | notes |",
        "| --- | --- | --- | --- | --- |",
        f"| `dossier_page_ms_median_pg` | {f['dossier_page_ms_median_pg']} | < 50 ms | "
        f"{_verdict('dossier_page_ms_median_pg', ov.median)} | `GET /dossiers/<id>`, p95 {ov.p95:.2f} ms, "
        f"{len(ov.ms)} random dossiers, {min(ov.statements)}-{max(ov.statements)} SQL statements |",
        f"| `journey_ms_median_pg` | {f['journey_ms_median_pg']} | < 50 ms | "
        f"{_verdict('journey_ms_median_pg', jo.median)} | `?tab=journey`, p95 {jo.p95:.2f} ms, {len(jo.ms)} random "
        f"dossiers of journeys of ≥ 3 (mean {statistics.mean(res.measurement.journey_sizes):.1f}), "
        f"{min(jo.statements)}-{max(jo.statements)} SQL statements |",
        f"| overview, open dossiers only | {oo.median:.2f} | < 50 ms | "
        f"{_verdict('dossier_page_ms_median_pg', oo.median)} "
        f"| not in the JSON; p95 {oo.p95:.2f} ms, {len(oo.ms)} random dossiers whose process waits on a ready task |",
        f"| `generate_1m_s` | {f['generate_1m_s']} | < 600 s | {_verdict('generate_1m_s', f['generate_1m_s'])} | "
        + (f"{g.seconds:.1f} s measured for {res.dossiers:,} dossiers, extrapolated linearly to 1,000,000 |"
           if extrapolated else f"measured: {g.seconds:.1f} s for 1,000,000 dossiers |"),
        "",
        "- Generation (COPY through psycopg 3, one stream per table side by side; indexes, keys and foreign "
        "keys dropped before the load and created again after it, then checked identical to `create_all`): "
        + "; ".join(f"{k} {v:.1f} s" for k, v in g.steps.items()) + ".",
        f"- Templates: {res.template_dossiers} real dossiers opened and driven through the engine on the 7 deployed "
        "diagrams of bpmn/dossiers (one per stage of each flow: "
        + ", ".join(f"{k} {v}" for k, v in res.templates.items())
        + "); every generated instance carries one of their serialized states and version ids.",
        f"- Database size {res.db_size}. Rows: " + ", ".join(f"`{t}` {c:,}" for t, c in res.counts.items() if c) + ".",
        f"- Time in SQL per request (median): overview {statistics.median(ov.sql_ms):.2f} ms, journey "
        f"{statistics.median(jo.sql_ms):.2f} ms. Slowest statements (median ms x per request):",
    ]
    for label, page in (("overview", ov), ("overview, open dossiers", oo), ("journey", jo)):
        for shape, median, count in slowest(page):
            out.append(f"  - {label}: {median:.2f} ms x {count} — `{short(shape)}`")
    if res.after_index is not None:
        a = res.after_index
        out.append(f"- With `{'; '.join(res.index_ddl)}` added (median, p95 in ms, before → after): overview "
                   f"{ov.median:.2f}, {ov.p95:.2f} → {a.overview.median:.2f}, {a.overview.p95:.2f}; open dossiers "
                   f"{oo.median:.2f}, {oo.p95:.2f} → {a.open_overview.median:.2f}, {a.open_overview.p95:.2f}; journey "
                   f"{jo.median:.2f}, {jo.p95:.2f} → {a.journey.median:.2f}, {a.journey.p95:.2f}.")
    out.append("")
    return "\n".join(out)


def write_docs(res: Results, path: Path = DOCS_PATH) -> None:
    with path.open("a") as fh:
        fh.write(docs_section(res))


# --------------------------------------------------------------------------- main


def run(n: int, scale_name: str, *, samples: int, warmup: int, chunk: int, workdir: Path,
        url: str | None = None, try_index: list[str] | None = None,
        log: Callable[[str], None] = print) -> Results:
    from bench.engine import machine_facts

    url = url or pg_url()
    t0 = time.perf_counter()
    pg_version = recreate_database(url, "GUICHET_BENCH_DOSSIERS_PG_URL")
    db = Database(url)
    Base.metadata.create_all(db.engine)
    services = _services(url, workdir)
    services.db = db
    log(f"(1) schema created ({time.perf_counter() - t0:.1f} s); (2) templates through the engine…")
    fixture = build_templates(services, log)
    log(f"(3) generating {n:,} dossiers with COPY…")
    generated = generate(url, fixture, n, chunk, log)
    log(f"  generation took {generated.seconds:.1f} s")
    check_schema(url)
    counts, size, size_bytes = table_counts(url)
    log(f"(4) measuring {samples} overview and {samples} journey pages after {warmup} warm-up each…")
    meas = measure(services, fixture, samples, warmup, log)
    after = None
    ddl: list[str] = []
    if try_index:
        ddl = try_indexes(url, try_index, log)
        after = measure(services, fixture, samples, warmup, log, seed=8)
    machine = machine_facts(pg_version)
    with psycopg.connect(libpq_dsn(url), autocommit=True) as conn:
        machine["shared_buffers"] = conn.execute("SHOW shared_buffers").fetchone()[0]
        machine["max_wal_size"] = conn.execute("SHOW max_wal_size").fetchone()[0]
    db.dispose()
    return Results(scale_name, n, generated, counts, size, size_bytes, fixture.template_dossiers,
                   {k: len(v) for k, v in fixture.templates.items()}, meas, machine, after, ddl)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    parser.add_argument("--dossiers", type=int, help="any other number of dossiers")
    parser.add_argument("--samples", type=int)
    parser.add_argument("--try-index", action="append", default=[], metavar="TABLE:COL[,COL]",
                        help="after measuring, create this index and measure again")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of the slowest statements")
    parser.add_argument("--docs", action=argparse.BooleanOptionalAction, default=None,
                        help="append a section to docs/benchmarks.md (default: unless --scale small)")
    args = parser.parse_args(argv)
    scale = SCALES[args.scale]
    n = args.dossiers or scale.dossiers
    name = args.scale if not args.dossiers else f"custom ({n:,})"
    if args.docs is None:
        args.docs = args.scale != "small" or bool(args.dossiers)
    progress = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    with tempfile.TemporaryDirectory(prefix="guichet-bench-dossiers-") as tmp:
        try:
            res = run(n, name, samples=args.samples or scale.samples, warmup=scale.warmup, chunk=scale.chunk,
                      workdir=Path(tmp), try_index=args.try_index, log=progress)
        except BenchError as exc:
            print(f"bench/dossiers.py: {exc}", file=sys.stderr)
            return 2
    for line in summary_lines(res):
        print(line)
    if args.explain:
        for label, m in (("", res.measurement), (" (after the index)", res.after_index)):
            if m is None:
                continue
            for page, statements in m.statements.items():
                print(f"\nStatements of one request, {page}{label}:")
                for number, statement in enumerate(statements, 1):
                    print(f"  {number:2d}. {short(statement, 160)}")
            for shape, plan in m.explains.items():
                print(f"\nEXPLAIN ANALYZE{label} {short(shape)}\n{plan}")
    if args.docs:
        write_docs(res)
        print(f"  appended to {DOCS_PATH.relative_to(ROOT)}")
    print(json.dumps(res.figures()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
