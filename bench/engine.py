"""Benchmark of Guichet's workflow engine against SpiffWorkflow's own floor.

    .venv/bin/python bench/engine.py [--scale small|full] [--docs|--no-docs]

``small`` takes a few seconds (a smoke run); ``full`` gives the figures recorded in
docs/benchmarks.md (under about two minutes on 2 cores). The process is
bench/diagrams/ten_tasks.bpmn: start, 10 sequential user tasks (each with a form of 2-3 fields),
an exclusive gateway after the 5th with two script branches, a service task, end.

Figures (the last line of stdout is one JSON object with them):
  raw_lifecycles_per_s         SpiffWorkflow alone, in memory, pre-parsed spec, no persistence:
                               full life cycles per second (service task run inline).
  completion_ms_{median,p95}_{sqlite,pg}
                               one Guichet completion = one transaction: load the human task and
                               the instance, validate the form, complete, advance, save the state,
                               human-task rows, audit, commit. Warm-up instances excluded.
  ratio_pg_to_raw              median time of one Guichet life cycle on PostgreSQL (start + 10
                               completions + the service call's two worker transactions) divided
                               by the median time of one raw in-memory life cycle.
  state_bytes_per_instance     len(ProcessInstance.state) (UTF-8 bytes), the larger of: after the
                               5th completion, after the 10th; maximum over the instances.
  startup_s_50_diagrams        wall time, in a fresh interpreter, of ``from webapp import
                               create_app; app = create_app(); app.test_client().get('/')``
                               with 50 diagrams deployed in its SQLite database.

PostgreSQL: GUICHET_BENCH_PG_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/guichet_bench);
the database is created if missing and its tables are dropped and created afresh. An unreachable
server is an error, never a silent skip.

To measure a prototype of engine/ changes without touching the repository, copy engine/ (and
forms/) elsewhere, edit the copy and run ``PYTHONPATH=/path/to/copy .venv/bin/python bench/engine.py``:
the copy is imported before the repository. bench/profile_completion.py tells where the time goes.
"""

from __future__ import annotations

import os
import sys

if __name__ == "__main__":  # run as a script: bench/ would shadow the top-level ``engine`` package
    _HERE = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]
    # after PYTHONPATH, so that PYTHONPATH=/copy/of/repo measures a prototype of engine/ changes
    sys.path.insert(len([p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]), os.path.dirname(_HERE))

import argparse
import datetime as dt
import gc
import importlib.metadata
import json
import platform
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from marshmallow import Schema, fields, validate
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

import engine.models  # noqa: F401 - every table
from engine.access.models import User
from engine.db import Base, Database
from engine.workflow.models import (
    HumanTask,
    HumanTaskState,
    InstanceStatus,
    ProcessInstance,
    ServiceCall,
)
from engine.workflow.operators import OperatorRegistry
from engine.workflow.runtime import WorkflowEngine
from forms.registry import FormRegistry

ROOT = Path(__file__).resolve().parent.parent
DIAGRAM_PATH = Path(__file__).resolve().parent / "diagrams" / "ten_tasks.bpmn"
DOCS_PATH = ROOT / "docs" / "benchmarks.md"
PROCESS_KEY = "ten_tasks"
USER_TASKS = 10
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/guichet_bench"

TARGETS = {  # figure -> (limit, comparison, shown)
    "completion_ms_median_sqlite": (5.0, "<=", "≤ 5 ms"),
    "completion_ms_median_pg": (6.0, "<=", "≤ 6 ms"),
    "completion_ms_p95_sqlite": (12.0, "<=", "≤ 12 ms"),
    "completion_ms_p95_pg": (12.0, "<=", "≤ 12 ms"),
    "state_bytes_per_instance": (10_000, "<=", "≤ 10 KB (10,000 bytes)"),
    "startup_s_50_diagrams": (2.0, "<", "< 2 s"),
}


class BenchError(RuntimeError):
    """The benchmark cannot run (PostgreSQL unreachable, the web app does not start…)."""


@dataclass(frozen=True)
class Scale:
    raw_lifecycles: int  # measured raw life cycles (after raw_warmup)
    raw_warmup: int
    instances: int  # measured Guichet instances per database (after warmup)
    warmup: int
    startup_diagrams: int
    startup_runs: int  # measured fresh-interpreter runs (one unmeasured run first)


SCALES = {
    "small": Scale(raw_lifecycles=100, raw_warmup=10, instances=8, warmup=2, startup_diagrams=50, startup_runs=1),
    "full": Scale(raw_lifecycles=2000, raw_warmup=100, instances=300, warmup=20, startup_diagrams=50, startup_runs=3),
}


# --------------------------------------------------------------------------- forms and operator


class Form01(Schema):
    applicant = fields.String(required=True, validate=validate.Length(min=1, max=200))
    amount = fields.Integer(required=True, validate=validate.Range(min=0))
    received_on = fields.Date(required=True)


class Form02(Schema):
    street = fields.String(required=True, validate=validate.Length(min=1, max=200))
    postcode = fields.String(required=True, validate=validate.Regexp(r"^\d{4}$"))


class Form03(Schema):
    documents_complete = fields.Boolean(required=True)
    missing = fields.String(load_default="")


class Form04(Schema):
    category = fields.String(required=True, validate=validate.OneOf(["renovation", "energy", "other"]))
    priority = fields.Integer(required=True, validate=validate.Range(min=1, max=5))


class Form05(Schema):
    visit_on = fields.Date(required=True)
    inspector = fields.String(required=True)


class Form06(Schema):
    findings = fields.String(required=True)
    rating = fields.Integer(required=True, validate=validate.Range(min=0, max=10))


class Form07(Schema):
    approved = fields.Boolean(required=True)
    approver = fields.String(required=True)
    remark = fields.String(load_default="")


class Form08(Schema):
    grant = fields.Decimal(required=True, places=2)
    paid_in_instalments = fields.Boolean(load_default=False)


class Form09(Schema):
    iban = fields.String(required=True, validate=validate.Regexp(r"^BE\d{14}$"))
    holder = fields.String(required=True)


class Form10(Schema):
    closing_note = fields.String(required=True)
    notify_applicant = fields.Boolean(required=True)


FORM_SCHEMAS: dict[str, type[Schema]] = {
    f"bench.form{i:02d}": schema
    for i, schema in enumerate(
        [Form01, Form02, Form03, Form04, Form05, Form06, Form07, Form08, Form09, Form10], start=1
    )
}


def form_input(form_key: str, n: int) -> dict[str, Any]:
    """What a browser or an API client would post (strings, numbers) for instance ``n``;
    even instances take the standard branch of the gateway, odd ones the expert branch."""
    inputs: dict[str, dict[str, Any]] = {
        "bench.form01": {"applicant": f"Applicant {n}", "amount": 1500 if n % 2 else 500, "received_on": "2026-03-02"},
        "bench.form02": {"street": "Rue de la Loi 16", "postcode": "1000"},
        "bench.form03": {"documents_complete": True},
        "bench.form04": {"category": "renovation", "priority": 2},
        "bench.form05": {"visit_on": "2026-03-16", "inspector": "A. Janssens"},
        "bench.form06": {"findings": "Roof insulation missing; windows single glazed.", "rating": 6},
        "bench.form07": {"approved": True, "approver": "M. Dubois"},
        "bench.form08": {"grant": "2450.00", "paid_in_instalments": False},
        "bench.form09": {"iban": "BE68539007547034", "holder": f"Applicant {n}"},
        "bench.form10": {"closing_note": "Grant paid.", "notify_applicant": True},
    }
    return inputs[form_key]


def build_forms() -> FormRegistry:
    registry = FormRegistry()
    for key, schema in FORM_SCHEMAS.items():
        registry.register(key, schema, title=key)
    return registry


class ScoreParams(Schema):
    amount = fields.Integer(required=True)
    category = fields.String(required=True)


def score(amount: int, category: str) -> dict[str, Any]:
    return {"points": amount // 100 + (5 if category == "energy" else 0), "category": category}


def build_operators() -> OperatorRegistry:
    operators = OperatorRegistry()
    operators.register("bench.score", score, ScoreParams, description="benchmark operator", max_retries=0)
    return operators


def diagram_xml(process_id: str = PROCESS_KEY) -> str:
    xml = DIAGRAM_PATH.read_text()
    if process_id != PROCESS_KEY:
        xml = xml.replace(f'id="{PROCESS_KEY}"', f'id="{process_id}"').replace(
            'name="Ten tasks (benchmark)"', f'name="Ten tasks (benchmark) {process_id}"'
        )
    return xml


# --------------------------------------------------------------------------- helpers


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, int(-(-pct * len(ordered) // 100)))  # ceil
    return ordered[rank - 1]


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "?"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


@contextmanager
def statement_counter(db: Database) -> Iterator[list[str]]:
    """Every SQL statement sent through ``db`` while the block runs (COMMIT/BEGIN not included:
    they are not cursor executions)."""
    seen: list[str] = []

    def before(conn: Any, cursor: Any, statement: str, params: Any, context: Any, executemany: bool) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", before)


# --------------------------------------------------------------------------- (a) raw SpiffWorkflow


class RawScriptEngine(PythonScriptEngine):
    """The plain script engine; the service task's operator runs inline."""

    def call_service(
        self, task: Any, operation_name: str = "", operation_params: dict | None = None, **kwargs: Any
    ) -> str:
        params = {name: p["value"] for name, p in (operation_params or {}).items()}
        return json.dumps(score(**params))


def raw_parse() -> tuple[Any, dict[str, Any]]:
    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(DIAGRAM_PATH))
    return parser.get_spec(PROCESS_KEY), parser.get_subprocess_specs(PROCESS_KEY)


def raw_lifecycle(
    spec: Any, subprocess_specs: dict[str, Any], script_engine: PythonScriptEngine, cleaned: dict[str, dict[str, Any]]
) -> BpmnWorkflow:
    """One full life cycle in memory: start, 10 completions with already validated data, the
    gateway, the scripts, the service task inline, end."""
    wf = BpmnWorkflow(spec, subprocess_specs, script_engine=script_engine)
    wf.do_engine_steps()
    done = 0
    while (task := wf.get_next_task(state=TaskState.READY, manual=True)) is not None:
        task.data.update(cleaned[task.task_spec.extensions["properties"]["formKey"]])
        task.run()
        wf.do_engine_steps()
        done += 1
    if done != USER_TASKS or not wf.is_completed():
        raise BenchError(f"raw life cycle ended after {done} user tasks, completed={wf.is_completed()}")
    return wf


@dataclass
class RawResult:
    lifecycle_ms: list[float]

    @property
    def median_ms(self) -> float:
        return statistics.median(self.lifecycle_ms)

    @property
    def per_s(self) -> float:
        return len(self.lifecycle_ms) / (sum(self.lifecycle_ms) / 1000)


def bench_raw(lifecycles: int, warmup: int) -> RawResult:
    spec, subs = raw_parse()
    script_engine = RawScriptEngine()
    forms = build_forms()
    cleaned = [{key: forms.validate(key, form_input(key, n)) for key in FORM_SCHEMAS} for n in (0, 1)]
    times = []
    for i in range(warmup + lifecycles):
        t0 = time.perf_counter()
        raw_lifecycle(spec, subs, script_engine, cleaned[i % 2])
        elapsed = (time.perf_counter() - t0) * 1000
        if i >= warmup:
            times.append(elapsed)
    return RawResult(times)


# --------------------------------------------------------------------------- (b, c) Guichet


@dataclass
class GuichetSetup:
    db: Database
    engine: WorkflowEngine
    user_id: int


@dataclass
class GuichetResult:
    label: str
    completion_ms: list[float] = field(default_factory=list)
    completion_cpu_ms: list[float] = field(default_factory=list)  # this process's CPU only (not the server's)
    start_ms: list[float] = field(default_factory=list)
    service_ms: list[float] = field(default_factory=list)  # the worker's two transactions + operator
    lifecycle_ms: list[float] = field(default_factory=list)
    state_bytes_mid: list[int] = field(default_factory=list)
    state_bytes_after_tasks: list[int] = field(default_factory=list)
    state_bytes_end: list[int] = field(default_factory=list)
    statements_per_completion: list[int] = field(default_factory=list)

    @property
    def median_ms(self) -> float:
        return statistics.median(self.completion_ms)

    @property
    def p95_ms(self) -> float:
        return percentile(self.completion_ms, 95)

    @property
    def state_bytes(self) -> int:
        return max(self.state_bytes_mid + self.state_bytes_after_tasks)


def setup_guichet(url: str, *, fresh: bool = True) -> GuichetSetup:
    """Tables created afresh, the diagram deployed (validated as in production), one user."""
    db = Database(url)
    if fresh:
        Base.metadata.drop_all(db.engine)
    db.create_all()
    # rows the commands insert, kept by the session so the benchmark finds them without a query
    event.listen(db.sessionmaker, "pending_to_persistent", _remember_inserted)
    wf_engine = WorkflowEngine(operators=build_operators(), forms=build_forms())
    with db.transaction() as session:
        wf_engine.deploy(session, diagram_xml(), "bench/diagrams/ten_tasks.bpmn")
        user = User(email="bench@guichet.test", name="Bench User", roles_text="case_worker")
        session.add(user)
        session.flush()
        user_id = user.id
    return GuichetSetup(db, wf_engine, user_id)


def _remember_inserted(session: Any, obj: Any) -> None:
    if isinstance(obj, HumanTask | ServiceCall):
        session.info.setdefault("bench_inserted", []).append(obj)


def _inserted(session: Any, cls: type) -> list[Any]:
    return [o for o in session.info.get("bench_inserted", []) if isinstance(o, cls)]


def _ready_in_session(session: Any) -> list[tuple[int, str]]:
    """The human tasks the command just opened, taken from the session (no extra query: the
    web app would show them from its task list)."""
    return [(o.id, o.form_key) for o in _inserted(session, HumanTask) if o.state == HumanTaskState.READY]


def run_instance(setup: GuichetSetup, n: int, result: GuichetResult | None, count_statements: bool = False) -> None:
    """One instance through its whole life; figures go to ``result`` (None: warm-up)."""
    db, wf_engine, user_id = setup.db, setup.engine, setup.user_id
    clock, cpu_clock = time.perf_counter, time.process_time
    life = 0.0

    t0 = clock()
    with db.transaction() as session:
        instance = wf_engine.start(session, PROCESS_KEY, subject=("bench", n), user_id=user_id)
        ready = _ready_in_session(session)
    elapsed = clock() - t0
    life += elapsed
    if result is not None:
        result.start_ms.append(elapsed * 1000)

    instance_id = instance.id
    call_ids: list[int] = []
    for k in range(1, USER_TASKS + 1):
        if len(ready) != 1:
            raise BenchError(f"instance {instance_id}: expected one open task before completion {k}, got {ready}")
        ht_id, form_key = ready[0]
        data = form_input(form_key, n)
        with statement_counter(db) if count_statements else _null() as stmts:
            c0, t0 = cpu_clock(), clock()
            with db.transaction() as session:
                instance = wf_engine.complete(session, ht_id, data, user_id=user_id)
                ready = _ready_in_session(session)
                if k == USER_TASKS:
                    call_ids = [o.id for o in _inserted(session, ServiceCall)]
            elapsed, cpu = clock() - t0, cpu_clock() - c0
        life += elapsed
        if result is not None:
            result.completion_ms.append(elapsed * 1000)
            result.completion_cpu_ms.append(cpu * 1000)
            if stmts is not None:
                result.statements_per_completion.append(len(stmts))
            if k == USER_TASKS // 2:
                result.state_bytes_mid.append(len(instance.state.encode()))
            elif k == USER_TASKS:
                result.state_bytes_after_tasks.append(len(instance.state.encode()))

    if len(call_ids) != 1 or ready:
        raise BenchError(f"instance {instance_id}: expected one service call after the last task, got {call_ids}")
    # What the Celery job does (engine.jobs.run_service_call): mark running, run the operator
    # outside any transaction, then finish the call in a transaction of its own.
    t0 = clock()
    with db.transaction() as session:
        call = wf_engine.start_service_call(session, call_ids[0])
        if call is None:
            raise BenchError(f"service call {call_ids[0]} was not pending")
        operator, params = call.operator, dict(call.params)
    outcome = wf_engine.operators.execute(operator, params)
    with db.transaction() as session:
        if not wf_engine.finish_service_call(session, call_ids[0], outcome):
            raise BenchError(f"service call {call_ids[0]} could not be finished")
        instance = session.get(ProcessInstance, instance_id)
        status, state_len = instance.status, len(instance.state.encode())
    elapsed = clock() - t0
    life += elapsed
    if status != InstanceStatus.COMPLETED:
        raise BenchError(f"instance {instance_id} ended as {status}, not completed")
    if result is not None:
        result.service_ms.append(elapsed * 1000)
        result.state_bytes_end.append(state_len)
        result.lifecycle_ms.append(life * 1000)


@contextmanager
def _null() -> Iterator[None]:
    yield None


def bench_guichet(
    setup: GuichetSetup, label: str, instances: int, warmup: int, count_statements_instances: int = 2
) -> GuichetResult:
    result = GuichetResult(label)
    for n in range(warmup):
        run_instance(setup, n, None)
    for n in range(warmup, warmup + instances):
        run_instance(setup, n, result)
    # statement counts in separate, untimed instances (the listener costs time)
    counted = GuichetResult(label)
    for n in range(count_statements_instances):
        run_instance(setup, warmup + instances + n, counted, count_statements=True)
    result.statements_per_completion = counted.statements_per_completion
    return result


def pg_url() -> str:
    return os.environ.get("GUICHET_BENCH_PG_URL", DEFAULT_PG_URL)


def prepare_pg(url: str) -> str:
    """Create the database if missing; return the server version. Unreachable: BenchError."""
    u = make_url(url)
    admin = create_engine(u.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            version = conn.scalar(text("SHOW server_version"))
            exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": u.database})
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{u.database}"'))
    except OperationalError as exc:
        raise BenchError(
            f"PostgreSQL is unreachable at {u.render_as_string(hide_password=True)}: "
            f"{str(exc.orig).strip() if exc.orig else exc}\n"
            "The benchmark measures PostgreSQL as well and does not skip it: start the server "
            "(127.0.0.1:5432, trust) or point GUICHET_BENCH_PG_URL at one."
        ) from exc
    finally:
        admin.dispose()
    return str(version)


# --------------------------------------------------------------------------- (d) start-up

STARTUP_CODE = """
import json, time
t0 = time.perf_counter()
from webapp import create_app
t1 = time.perf_counter()
app = create_app()
t2 = time.perf_counter()
response = app.test_client().get('/')
t3 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "create_app_s": t2 - t1, "get_s": t3 - t2, "total_s": t3 - t0,
                  "status": response.status_code}))
"""


@dataclass
class StartupResult:
    diagrams: int
    runs: list[dict[str, Any]]

    @property
    def total_s(self) -> float:
        return statistics.median(r["total_s"] for r in self.runs)

    @property
    def status(self) -> int:
        return self.runs[-1]["status"]


def deploy_diagrams(url: str, count: int) -> None:
    db = Database(url)
    db.create_all()
    wf_engine = WorkflowEngine(operators=build_operators(), forms=build_forms())
    with db.transaction() as session:
        for i in range(count):
            pid = f"{PROCESS_KEY}_{i:02d}"
            wf_engine.deploy(session, diagram_xml(pid), f"bench/diagrams/{pid}.bpmn")
    db.dispose()


def bench_startup(workdir: Path, diagrams: int, runs: int) -> StartupResult:
    instance = workdir / "startup-instance"
    instance.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{instance / 'guichet.db'}"
    deploy_diagrams(url, diagrams)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GUICHET_")}
    env.update(
        GUICHET_DATABASE_URL=url,
        GUICHET_INSTANCE_PATH=str(instance),
        GUICHET_SECRET_KEY="bench-secret-key-not-for-production",
    )
    measured = []
    for i in range(runs + 1):  # the first run warms the OS file cache and .pyc files
        proc = subprocess.run(
            [sys.executable, "-c", STARTUP_CODE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
        )
        if proc.returncode != 0:
            raise BenchError("the web app did not start:\n" + proc.stderr[-3000:])
        last = proc.stdout.strip().splitlines()[-1]
        if i > 0:
            measured.append(json.loads(last))
    return StartupResult(diagrams, measured)


# --------------------------------------------------------------------------- report


@dataclass
class Results:
    scale: str
    raw: RawResult
    sqlite: GuichetResult
    pg: GuichetResult | None
    startup: StartupResult | None
    machine: dict[str, str]

    def figures(self) -> dict[str, Any]:
        pg = self.pg
        return {
            "raw_lifecycles_per_s": round(self.raw.per_s, 1),
            "completion_ms_median_sqlite": round(self.sqlite.median_ms, 3),
            "completion_ms_p95_sqlite": round(self.sqlite.p95_ms, 3),
            "completion_ms_median_pg": round(pg.median_ms, 3) if pg else None,
            "completion_ms_p95_pg": round(pg.p95_ms, 3) if pg else None,
            "ratio_pg_to_raw": round(statistics.median(pg.lifecycle_ms) / self.raw.median_ms, 1) if pg else None,
            "state_bytes_per_instance": max(self.sqlite.state_bytes, pg.state_bytes if pg else 0),
            "startup_s_50_diagrams": round(self.startup.total_s, 3) if self.startup else None,
        }


def _git(*args: str) -> str:
    try:
        out = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.strip() if out.returncode == 0 else ""


def code_version() -> str:
    """The commit measured, and whether engine/ or forms/ differ from it (read-only git calls)."""
    head = _git("rev-parse", "--short", "HEAD") or "?"
    dirty = _git("status", "--porcelain", "--", "engine", "forms")
    return f"{head}{' + uncommitted changes in engine/ or forms/' if dirty else ''}"


def machine_facts(pg_version: str | None) -> dict[str, str]:
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu_model(),
        "cores": str(os.cpu_count()),
        "python": platform.python_version(),
        "sqlalchemy": _version("SQLAlchemy"),
        "spiffworkflow": _version("SpiffWorkflow"),
        "sqlite": __import__("sqlite3").sqlite_version,
        "postgresql": pg_version or "not measured",
        "load": f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}",
        "code": code_version(),
    }


def _verdict(key: str, value: Any) -> str:
    if key not in TARGETS:
        return ""
    if value is None:
        return "not measured"
    limit, op, _ = TARGETS[key]
    ok = value <= limit if op == "<=" else value < limit
    return "pass" if ok else "**miss**"


def summary_lines(res: Results) -> list[str]:
    f = res.figures()
    raw = res.raw
    lines = [
        f"Guichet engine benchmark, scale={res.scale}, {res.machine['date']}",
        f"  machine: {res.machine['cpu']}, {res.machine['cores']} cores; Python {res.machine['python']}, "
        f"SQLAlchemy {res.machine['sqlalchemy']}, SpiffWorkflow {res.machine['spiffworkflow']}, "
        f"PostgreSQL {res.machine['postgresql']}, SQLite {res.machine['sqlite']}; "
        f"load average at the end {res.machine['load']}; code {res.machine['code']}",
        f"  (a) raw SpiffWorkflow, in memory: {f['raw_lifecycles_per_s']} life cycles/s "
        f"(median {raw.median_ms:.3f} ms per life cycle, {len(raw.lifecycle_ms)} measured)",
    ]
    for r in (res.sqlite, res.pg):
        if r is None:
            continue
        stmts = r.statements_per_completion
        lines.append(
            f"  (b) Guichet on {r.label}: completion median {r.median_ms:.2f} ms, p95 {r.p95_ms:.2f} ms, "
            f"max {max(r.completion_ms):.2f} ms over {len(r.completion_ms)} completions "
            f"(this process's CPU: median {statistics.median(r.completion_cpu_ms):.2f} ms) "
            f"({len(r.lifecycle_ms)} instances); start {statistics.median(r.start_ms):.2f} ms, "
            f"service call (2 transactions) {statistics.median(r.service_ms):.2f} ms, "
            f"life cycle {statistics.median(r.lifecycle_ms):.1f} ms; "
            f"SQL statements per completion {min(stmts)} to {max(stmts)} (mean {statistics.mean(stmts):.1f})"
        )
    if f["ratio_pg_to_raw"] is not None:
        lines.append(
            f"  ratio_pg_to_raw = median Guichet life cycle on PostgreSQL (start + {USER_TASKS} completions + "
            f"service call, each its own transaction) / median raw in-memory life cycle = "
            f"{statistics.median(res.pg.lifecycle_ms):.1f} ms / {raw.median_ms:.3f} ms = {f['ratio_pg_to_raw']}"
        )
    s = res.sqlite
    lines.append(
        f"  (c) state per instance: {f['state_bytes_per_instance']} bytes (max of midpoint "
        f"{max(s.state_bytes_mid)} and after 10 tasks {max(s.state_bytes_after_tasks)}; "
        f"after the end {max(s.state_bytes_end)})"
    )
    if res.startup:
        st = res.startup
        runs = ", ".join(f"{r['total_s']:.3f}" for r in st.runs)
        first = st.runs[0]
        lines.append(
            f"  (d) web app start-up with {st.diagrams} diagrams deployed: {st.total_s:.3f} s "
            f"(median of runs: {runs}; import {first['import_s']:.3f} s, create_app {first['create_app_s']:.3f} s, "
            f"GET / {first['get_s']:.3f} s → HTTP {st.status})"
        )
    for key, value in f.items():
        if key in TARGETS:
            lines.append(f"  target {key}: {TARGETS[key][2]} → {value} {_verdict(key, value).strip('*')}")
    return lines


DOCS_HEADER_PATH = Path(__file__).resolve().parent / "docs_header.md"  # the top of docs/benchmarks.md


def docs_section(res: Results) -> str:
    f = res.figures()
    m = res.machine
    s, pg = res.sqlite, res.pg
    rows = [
        ("raw_lifecycles_per_s", f["raw_lifecycles_per_s"], f"median {res.raw.median_ms:.3f} ms per life cycle"),
        ("completion_ms_median_sqlite", f["completion_ms_median_sqlite"], f"{len(s.completion_ms)} completions"),
        ("completion_ms_p95_sqlite", f["completion_ms_p95_sqlite"], f"max {max(s.completion_ms):.2f} ms"),
        ("completion_ms_median_pg", f["completion_ms_median_pg"], f"{len(pg.completion_ms)} completions" if pg else ""),
        ("completion_ms_p95_pg", f["completion_ms_p95_pg"], f"max {max(pg.completion_ms):.2f} ms" if pg else ""),
        (
            "ratio_pg_to_raw",
            f["ratio_pg_to_raw"],
            f"{statistics.median(pg.lifecycle_ms):.1f} ms / {res.raw.median_ms:.3f} ms" if pg else "",
        ),
        (
            "state_bytes_per_instance",
            f["state_bytes_per_instance"],
            f"midpoint {max(s.state_bytes_mid)}, after 10 tasks {max(s.state_bytes_after_tasks)}, "
            f"at the end {max(s.state_bytes_end)}",
        ),
        (
            "startup_s_50_diagrams",
            f["startup_s_50_diagrams"],
            (f"GET / → HTTP {res.startup.status}; runs " + ", ".join(f"{r['total_s']:.3f}" for r in res.startup.runs))
            if res.startup
            else "",
        ),
    ]
    out = [
        f"\n## {m['date']} — scale {res.scale}\n",
        f"Machine: {m['cpu']}, {m['cores']} cores; Python {m['python']}, SQLAlchemy {m['sqlalchemy']}, "
        f"SpiffWorkflow {m['spiffworkflow']}, PostgreSQL {m['postgresql']}, SQLite {m['sqlite']}. "
        f"Load average (1/5/15 min) at the end: {m['load']}. Code: {m['code']}.\n",
        "| figure | value | target | verdict | notes |",
        "| --- | --- | --- | --- | --- |",
    ]
    for key, value, note in rows:
        target = TARGETS[key][2] if key in TARGETS else "—"
        out.append(f"| `{key}` | {value} | {target} | {_verdict(key, value) or '—'} | {note} |")
    extra = []
    for r in (s, pg):
        if r is None:
            continue
        stmts = r.statements_per_completion
        extra.append(
            f"- {r.label}: completion CPU time of this process (server excluded) median "
            f"{statistics.median(r.completion_cpu_ms):.2f} ms; start {statistics.median(r.start_ms):.2f} ms, "
            "service call "
            f"{statistics.median(r.service_ms):.2f} ms (two transactions), life cycle "
            f"{statistics.median(r.lifecycle_ms):.1f} ms (medians); SQL statements per completion "
            f"{min(stmts)} to {max(stmts)}, mean {statistics.mean(stmts):.1f}."
        )
    out.append("")
    out.extend(extra)
    out.append("")
    return "\n".join(out)


def write_docs(res: Results, path: Path = DOCS_PATH) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or not path.read_text().strip():
        path.write_text(DOCS_HEADER_PATH.read_text())
    with path.open("a") as fh:
        fh.write(docs_section(res))


# --------------------------------------------------------------------------- main


def run(
    scale: Scale,
    scale_name: str,
    *,
    workdir: Path,
    with_pg: bool = True,
    with_startup: bool = True,
    log: Callable[[str], None] = print,
) -> Results:
    pg_version = None
    url = pg_url()
    if with_pg:
        pg_version = prepare_pg(url)  # fail fast, before minutes of other work

    log(f"(a) raw SpiffWorkflow: {scale.raw_lifecycles} life cycles…")
    raw = bench_raw(scale.raw_lifecycles, scale.raw_warmup)

    log(f"(b) Guichet on SQLite: {scale.instances} instances…")
    sqlite_setup = setup_guichet(f"sqlite:///{workdir / 'bench.db'}")
    gc.collect()
    sqlite = bench_guichet(sqlite_setup, "SQLite", scale.instances, scale.warmup)
    sqlite_setup.db.dispose()

    pg = None
    if with_pg:
        log(f"(b) Guichet on PostgreSQL: {scale.instances} instances…")
        pg_setup = setup_guichet(url)
        gc.collect()
        pg = bench_guichet(pg_setup, "PostgreSQL", scale.instances, scale.warmup)
        pg_setup.db.dispose()

    startup = None
    if with_startup:
        log(f"(d) web app start-up with {scale.startup_diagrams} diagrams…")
        startup = bench_startup(workdir, scale.startup_diagrams, scale.startup_runs)

    return Results(scale_name, raw, sqlite, pg, startup, machine_facts(pg_version))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="full")
    parser.add_argument(
        "--docs",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="append a section to docs/benchmarks.md (default: only with --scale full)",
    )
    args = parser.parse_args(argv)
    if args.docs is None:
        args.docs = args.scale == "full"
    progress = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    with tempfile.TemporaryDirectory(prefix="guichet-bench-") as tmp:
        try:
            res = run(SCALES[args.scale], args.scale, workdir=Path(tmp), log=progress)
        except BenchError as exc:
            print(f"bench/engine.py: {exc}", file=sys.stderr)
            return 2
    for line in summary_lines(res):
        print(line)
    if args.docs:
        write_docs(res)
        print(f"  appended to {DOCS_PATH.relative_to(ROOT)}")
    print(json.dumps(res.figures()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
