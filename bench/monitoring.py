"""Benchmark of the managers' monitoring on a large PostgreSQL database (issue 6 §9).

    .venv/bin/python bench/monitoring.py [--scale tiny|small|mid|full] [--samples N] [--reuse] [--explain]
                                         [--try-index TABLE:COL[,COL…] | --try-index "CREATE INDEX …"]…
                                         [--try-setting NAME=VALUE]…
                                         [--docs|--no-docs]

``full`` is the recorded figure: 1,000,000 dossiers and 5,000,000 phase-history rows. ``small``
(10,000 dossiers, 50,000 rows, under a minute) and ``mid`` (100,000) are quicker runs of the same
code, ``tiny`` the test's smoke run.

1. Dossiers through bench/dossiers.py (its functions, imported): the database
   ``guichet_bench_monitoring`` (GUICHET_BENCH_MONITORING_PG_URL) is dropped and created, templates
   are driven through the real engine and the dossiers written with COPY, created over the three
   years before 2026-11-01 (so that "one year" is a third of the history), ~45 % with a main
   project. Open or closed, and the phase each is in, come from the real instance states of the
   templates; a dossier older than 180 days is finished but for 5 % left hanging (about 10 % of the
   dossiers are open; bench/dossiers.py's own mix, 30 % of those older than a year, would give 24 %).
2. The phase history is written again, realistically (bench/dossiers.py writes three days per
   phase): the indexes and keys of ``dossier_phases`` are dropped, the table emptied, and for each
   dossier the phases of its type's flow (``PHASE_FLOWS``) up to the phase its instance is in are
   written with COPY, the first reached when the dossier was created, each phase lasting a
   log-normal time around a median of its own (a few days for a request, months for a loan in
   circulation); the issue's 5 rows per dossier need more than the flows give (about 3.9), the
   rest are returns to the previous phase and back (rework: a file found incomplete, a quote
   redone), spread at random over the dossiers that passed their first phase. ``left_at`` is the
   next row's ``reached_at``; each dossier's last row has none (its current phase, or the final
   one of a finished dossier), and carries the dossier's type in ``open_type`` when the dossier is
   open (active, process neither completed nor terminated), as engine/cases/phases.py keeps it.
   A history that would run past 2026-11-01 is compressed to fit.
   Indexes and keys created again, the schema checked identical to ``create_all``, VACUUM ANALYZE.
3. Measured, interleaved after a warm-up, each in its own session: the engine's functions
   ``phase_board(session, Scope(), now=2026-11-01)`` (every type; also one type at a time) and
   ``dwell_times(session, Scope(start=2025-11-01, end=2026-11-01), by=…)`` (``phase``, also
   ``subtype`` and ``project``, and by phase for one type at a time): wall time of the call in this
   process (SQLAlchemy, psycopg and PostgreSQL), SQL statements and time. Then the pages through
   Flask's test client on an app built like production, signed in as a manager (bench/dossiers.py
   ``signed_in_client``): ``GET /monitoring/phases`` and ``GET /monitoring/dwell`` over the same
   year. The board's counts are checked against an independent count of the open dossiers by
   their instance's phase.
   ``--explain`` prints EXPLAIN (ANALYZE, BUFFERS) of every statement of each call;
   ``--try-index`` creates an index afterwards and measures again (before/after); ``--try-setting``
   does the same with a PostgreSQL setting SET on every connection (``work_mem=64MB``).

``--reuse`` measures again on the database of an earlier run (tables and indexes the code added
since are created, those it dropped removed; a column added to ``dossier_phases`` is added and the
phase history written again; a new column elsewhere needs a new generation). A section is
appended to docs/benchmarks.md at scale full (``--docs`` / ``--no-docs`` to choose). The last
line of stdout is one JSON object: ``{"phase_board_ms_p95", "dwell_report_ms_p95"}`` — the p95 of
the functions over every type and over one year by phase.
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
import math
import random
import re
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import psycopg
from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import make_url
from sqlalchemy.schema import CreateColumn

from bench import dossiers as bd
from bench.workspace import copy_columns, copy_statement
from engine.access.models import Role
from engine.access.users import create_user
from engine.cases.dossier_info import PROJECTS
from engine.cases.phases import PHASE_FLOWS
from engine.db import Base, Database
from engine.monitoring.filters import Scope

ROOT = bd.ROOT
DOCS_PATH = bd.DOCS_PATH
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/guichet_bench_monitoring"

NOW = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)  # bench/dossiers.py creates dossiers until then
FIRST_DAY = dt.datetime(2023, 11, 1, tzinfo=dt.UTC)  # three years of history
YEAR = (dt.datetime(2025, 11, 1, tzinfo=dt.UTC), NOW)  # the dwell report's period
PHASE_ROWS_PER_DOSSIER = 5  # the issue: 5,000,000 rows for 1,000,000 dossiers
CLOSED = ("completed", "terminated")
# A dossier older than this is finished unless it is one of the few left hanging (bench/dossiers.py
# keeps 30 % of those older than a year open, which gives 24 % open dossiers over three years; an
# energy house closes most within months: with these, about 10 % are open).
FINISHED_AFTER_DAYS = 180
FINISHED_SHARE = 0.95

TARGETS = {  # figure -> (limit ms, shown)
    "phase_board_ms_p95": (200.0, "< 200 ms"),
    "dwell_report_ms_p95": (500.0, "< 500 ms"),
}

# Median days in each phase (a log-normal spread around it, sigma PHASE_SIGMA); a return to an
# earlier phase (rework) lasts REWORK_FACTOR of its phase's median.
MEDIAN_DAYS: dict[str, float] = {
    "request": 3, "file": 6, "in_progress": 15, "advice": 21, "customer_survey": 10, "further_studies": 35,
    "quote_request": 25, "preparation": 30, "execution": 60, "analysis": 14, "decision": 8, "signature": 10,
    "collection": 20, "in_circulation": 150, "p10_submitted": 5, "p20_processing": 30, "p30_decision": 12,
    "p40_report": 40, "p50_payment": 15,
}
DEFAULT_MEDIAN_DAYS = 7.0
PHASE_SIGMA = 0.9
REWORK_FACTOR = 0.4


class BenchError(bd.BenchError):
    """The benchmark cannot run (PostgreSQL unreachable, a function it measures is missing…)."""


@dataclass(frozen=True)
class Scale:
    dossiers: int
    samples: int  # measured calls of each headline figure (after the warm-up)
    side_samples: int  # measured calls of the other variants and pages
    warmup: int
    chunk: int = 20_000


SCALES = {
    "tiny": Scale(dossiers=60, samples=3, side_samples=2, warmup=1, chunk=20),
    "small": Scale(dossiers=10_000, samples=50, side_samples=20, warmup=5),
    "mid": Scale(dossiers=100_000, samples=60, side_samples=20, warmup=5),
    "full": Scale(dossiers=1_000_000, samples=100, side_samples=30, warmup=5),
}


def pg_url() -> str:
    return os.environ.get("GUICHET_BENCH_MONITORING_PG_URL", DEFAULT_PG_URL)


# --------------------------------------------------------------------------- phase history


@dataclass
class History:
    """What the phase-history load wrote."""

    rows: int = 0
    dossiers: int = 0
    open_dossiers: int = 0  # active, instance not completed/terminated
    inactive: int = 0
    returns: int = 0  # returns to the previous phase and back (2 rows each)
    with_returns: int = 0  # dossiers with at least one
    compressed: int = 0  # histories squeezed to end before NOW
    left_in_year: int = 0  # rows that left their phase during YEAR (the dwell report's input)
    seconds: float = 0.0
    steps: dict[str, float] = field(default_factory=dict)


def _ts(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).isoformat()


def plan_returns(rng: random.Random, eligible: list[int], base_rows: int, target_rows: int) -> tuple[Counter, int]:
    """How many returns (2 rows each) each eligible dossier gets so that the history has
    ``target_rows`` rows, and the index of the dossier whose first phase is entered twice when one
    row is left over (-1 if none)."""
    extra = max(0, target_rows - base_rows)
    if not eligible:
        return Counter(), -1
    returns = Counter(rng.choices(eligible, k=extra // 2))
    return returns, (rng.choice(eligible) if extra % 2 else -1)


def phase_sequence(path: list[str], returns: int, rng: random.Random) -> list[tuple[str, bool]]:
    """The phases in the order reached: ``path`` with ``returns`` steps back to the previous
    phase and forward again at random places; (phase, is a return) per row."""
    at = Counter(rng.randrange(1, len(path)) for _ in range(returns)) if returns and len(path) > 1 else Counter()
    seq = [(path[0], False)]
    for j in range(1, len(path)):
        seq.append((path[j], False))
        for _ in range(at[j]):
            seq += [(path[j - 1], True), (path[j], False)]
    return seq


def _days(rng: random.Random, phase: str, rework: bool) -> float:
    median = MEDIAN_DAYS.get(phase, DEFAULT_MEDIAN_DAYS) * (REWORK_FACTOR if rework else 1.0)
    return median * math.exp(rng.gauss(0.0, PHASE_SIGMA))


def write_history(url: str, target_rows: int, log: Callable[[str], None], seed: int = 20261106) -> History:
    """Step 2 of the module docstring."""
    rng = random.Random(seed)
    dsn = bd.libpq_dsn(url)
    hist = History()
    t_start = time.perf_counter()
    with psycopg.connect(dsn, autocommit=True) as conn:
        dropped = bd.drop_schema_objects(conn, bd.schema_objects(conn), {"dossier_phases"})
        conn.execute("TRUNCATE dossier_phases RESTART IDENTITY")
        dossiers = conn.execute(
            "SELECT d.id, d.type, extract(epoch FROM d.created_at)::float8, p.status, p.phase, d.active "
            "FROM dossiers d JOIN process_instances p ON p.id = d.process_instance_id ORDER BY d.id").fetchall()
    hist.steps["drop indexes, empty, read the dossiers"] = time.perf_counter() - t_start
    t0 = time.perf_counter()
    paths: list[list[str]] = []
    for _id, dtype, _created, _status, phase, _active in dossiers:
        flow = PHASE_FLOWS.get(dtype, ())
        paths.append(list(flow[: flow.index(phase) + 1]) if phase in flow else [])
    base = sum(len(p) for p in paths)
    eligible = [i for i, p in enumerate(paths) if len(p) > 1]
    returns, doubled = plan_returns(rng, eligible, base, target_rows)
    now_s, year_s, year_e = NOW.timestamp(), YEAR[0].timestamp(), YEAR[1].timestamp()
    table = Base.metadata.tables["dossier_phases"]
    columns, suffix = copy_columns(table, ["id", "dossier_id", "phase", "reached_at", "left_at", "open_type"])
    row_id = 0
    with psycopg.connect(dsn) as conn:
        conn.execute("SET synchronous_commit = off")
        with conn.cursor().copy(copy_statement("dossier_phases", columns)) as copy:
            lines: list[str] = []
            for i, (dossier_id, dtype, created, status, _phase, active) in enumerate(dossiers):
                path = paths[i]
                if not path:
                    continue
                is_open = status not in CLOSED
                hist.dossiers += 1
                hist.open_dossiers += is_open and active
                hist.inactive += not active
                seq = phase_sequence(path, returns[i], rng)
                if i == doubled:
                    seq.insert(0, (path[0], True))
                if returns[i]:
                    hist.returns += returns[i]
                    hist.with_returns += 1
                spans = [_days(rng, phase, rework) * 86400 for phase, rework in seq[:-1]]
                # an open dossier has been in its current phase for part of that phase's time
                tail = _days(rng, seq[-1][0], False) * 86400 * rng.random() if is_open else 0.0
                total = sum(spans) + tail
                # the templates were opened just now, after NOW: their history ends by NOW too
                start = min(created, now_s - 86400)
                room = now_s - start
                if total > room:
                    scale = max(room, 0.0) * 0.98 / total
                    spans = [s * scale for s in spans]
                    hist.compressed += 1
                at = start
                for k, (phase, _rework) in enumerate(seq):
                    row_id += 1
                    if k < len(spans):
                        left = at + spans[k]
                        lines.append(f"{row_id}\t{dossier_id}\t{phase}\t{_ts(at)}\t{_ts(left)}\t\\N{suffix}\n")
                        hist.left_in_year += year_s <= left < year_e
                        at = left
                    else:
                        # the current row of an open dossier carries its type (the board reads it)
                        open_type = dtype if is_open and active else "\\N"
                        lines.append(f"{row_id}\t{dossier_id}\t{phase}\t{_ts(at)}\t\\N\t{open_type}{suffix}\n")
                if len(lines) >= 50_000:
                    copy.write("".join(lines))
                    lines.clear()
                if (i + 1) % 200_000 == 0:
                    log(f"  phase history of {i + 1:,} dossiers written ({time.perf_counter() - t_start:.0f} s)")
            copy.write("".join(lines))
        conn.commit()
    hist.rows = row_id
    hist.steps["phase history (COPY)"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    bd.restore_schema_objects(url, dropped, log)
    hist.steps["recreate keys and indexes of dossier_phases"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SELECT setval(pg_get_serial_sequence('dossier_phases', 'id'), "
                     "(SELECT coalesce(max(id), 1) FROM dossier_phases))")
        conn.execute("VACUUM (ANALYZE)")
    hist.steps["VACUUM ANALYZE"] = time.perf_counter() - t0
    hist.seconds = time.perf_counter() - t_start
    return hist


def rebuild_rollups(url: str, log: Callable[[str], None]) -> dict[str, float]:
    """Rebuild what the code derives from the phase history in bulk (``dwell_histograms``,
    through engine/monitoring/dwell_rollup.py's own rebuild, as ``guichet monitoring rebuild-dwell``
    does), then ANALYZE it; returns seconds per step (none when the code has no rollup)."""
    try:
        from engine.monitoring.dwell_rollup import rebuild_dwell_histograms
    except ImportError:
        return {}
    t0 = time.perf_counter()
    db = Database(url)
    try:
        with db.transaction() as session:
            written = rebuild_dwell_histograms(session)
    finally:
        db.dispose()
    with psycopg.connect(bd.libpq_dsn(url), autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE) dwell_histograms")
    seconds = time.perf_counter() - t0
    log(f"  dwell_histograms rebuilt: {written:,} full-grain rows ({seconds:.1f} s)")
    return {f"dwell_histograms rebuilt ({written:,} full-grain rows)": seconds}


def rollup_is_empty(url: str) -> bool:
    with psycopg.connect(bd.libpq_dsn(url), autocommit=True) as conn:
        exists = conn.execute("SELECT to_regclass('public.dwell_histograms') IS NOT NULL").fetchone()[0]
        return bool(exists) and conn.execute("SELECT NOT EXISTS (SELECT 1 FROM dwell_histograms)").fetchone()[0]


# --------------------------------------------------------------------------- the generated database


def save_meta(url: str, meta: dict[str, Any]) -> None:
    """What was generated, as the database's comment: ``--reuse`` reads it back."""
    name = make_url(url).database
    with psycopg.connect(bd.libpq_dsn(url), autocommit=True) as conn:
        conn.execute(f'COMMENT ON DATABASE "{name}" IS ' + "'" + json.dumps(meta).replace("'", "''") + "'")


def read_meta(url: str) -> dict[str, Any]:
    try:
        with psycopg.connect(bd.libpq_dsn(url), autocommit=True, connect_timeout=5) as conn:
            row = conn.execute("SELECT shobj_description(oid, 'pg_database') FROM pg_database "
                               "WHERE datname = current_database()").fetchone()
    except psycopg.OperationalError as exc:
        raise BenchError(f"cannot reuse {make_url(url).render_as_string(hide_password=True)}: "
                         f"{str(exc).strip()}") from exc
    try:
        meta = json.loads(row[0] or "")
    except ValueError:
        meta = None
    if not isinstance(meta, dict) or meta.get("bench") != "monitoring":
        raise BenchError("the database was not generated by bench/monitoring.py; run it once without --reuse")
    return meta


def add_history_columns(url: str) -> list[str]:
    """Columns the code added to ``dossier_phases`` since the generation, added to the table (its
    rows are then written again by :func:`write_history`); a new column elsewhere needs a new
    generation. Returns the columns added."""
    table = Base.metadata.tables["dossier_phases"]
    with psycopg.connect(bd.libpq_dsn(url), autocommit=True) as conn:
        present = set(conn.execute("SELECT table_name, column_name FROM information_schema.columns "
                                   "WHERE table_schema = 'public'").fetchall())
        if not any(t == table.name for t, _c in present):
            return []  # a table that is new altogether: sync_schema creates it
        elsewhere = [f"{t.name}.{c.name}" for t in Base.metadata.sorted_tables for c in t.columns
                     if t is not table and (t.name, c.name) not in present and any(n == t.name for n, _ in present)]
        if elsewhere:
            raise BenchError(f"columns added since the generation ({', '.join(elsewhere[:5])}): "
                             "run bench/monitoring.py without --reuse")
        added = []
        for column in table.columns:
            if (table.name, column.name) not in present:
                ddl = CreateColumn(column).compile(dialect=postgresql.dialect())
                conn.execute(f"ALTER TABLE {table.name} ADD COLUMN {ddl}")
                added.append(f"{table.name}.{column.name}")
    return added


def sync_schema(url: str, log: Callable[[str], None]) -> list[str]:
    """Bring a reused database to the schema of the code as it is now (new tables empty, indexes
    created or dropped; an index left by ``--try-index`` is dropped). A new column has no data:
    that needs a new generation. Returns what changed."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            before = set(inspect(conn).get_table_names())
        Base.metadata.create_all(engine)
    finally:
        engine.dispose()
    changes = [f"created empty table {t}" for t in sorted(set(Base.metadata.tables) - before)]
    with psycopg.connect(bd.libpq_dsn(url), autocommit=True) as conn:
        present = set(conn.execute("SELECT table_name, column_name FROM information_schema.columns "
                                   "WHERE table_schema = 'public'").fetchall())
        new_columns = [f"{t.name}.{c.name}" for t in Base.metadata.sorted_tables for c in t.columns
                       if (t.name, c.name) not in present]
        if new_columns:
            raise BenchError(f"columns added since the generation ({', '.join(new_columns[:5])}): "
                             "run bench/monitoring.py without --reuse")
        loaded = set(bd.schema_objects(conn))
        expected = set(bd.expected_schema_objects(url))
        extra = sorted(loaded - expected, key=lambda o: o.name)
        bd.drop_objects(conn, extra)
    missing = sorted(expected - loaded, key=lambda o: o.name)
    if missing:
        bd.restore_schema_objects(url, missing, log)
    changes += [f"dropped {o.name}" for o in extra] + [f"created {o.name}" for o in missing]
    if changes:
        with psycopg.connect(bd.libpq_dsn(url), autocommit=True) as conn:
            conn.execute("VACUUM (ANALYZE)")
        log("  schema brought up to date: " + "; ".join(changes))
    return changes


def generate_all(url: str, scale: Scale, scale_name: str, workdir: Path, log: Callable[[str], None]) -> dict[str, Any]:
    """Steps 1 and 2: the dossiers, then their phase history; returns what the database comment keeps."""
    t_start = time.perf_counter()
    bd.recreate_database(url, "GUICHET_BENCH_MONITORING_PG_URL")
    services = bd._services(url, workdir)
    try:
        Base.metadata.create_all(services.db.engine)
        log(f"(1) schema created; templates through the engine, then {scale.dossiers:,} dossiers with COPY…")
        fixture = bd.build_templates(services, log)
        with services.db.transaction() as session:
            manager_id = create_user(session, "manager@bench.test", "Manager", bd.PASSWORD, [Role.MANAGER]).id
    finally:
        services.db.dispose()
    generated = bd.generate(url, fixture, scale.dossiers, scale.chunk, log, first_day=FIRST_DAY,
                            main_projects=PROJECTS, finished_after_days=FINISHED_AFTER_DAYS,
                            finished_share=FINISHED_SHARE)
    target = PHASE_ROWS_PER_DOSSIER * scale.dossiers
    log(f"(2) dossiers took {generated.seconds:.1f} s; the phase history ({target:,} rows)…")
    hist = write_history(url, target, log)
    rollups = rebuild_rollups(url, log)
    t0 = time.perf_counter()
    bd.check_schema(url)
    steps = {**{f"dossiers: {k}": v for k, v in generated.steps.items()},
             **{f"history: {k}": v for k, v in hist.steps.items()},
             **rollups, "schema check": time.perf_counter() - t0}
    meta = {
        "bench": "monitoring", "scale": scale_name, "dossiers": scale.dossiers, "manager_id": manager_id,
        "generated_s": round(time.perf_counter() - t_start, 1), "steps": {k: round(v, 1) for k, v in steps.items()},
        "history": {k: v for k, v in asdict(hist).items() if k not in ("steps", "seconds")},
    }
    save_meta(url, meta)
    return meta


# --------------------------------------------------------------------------- measurement


@dataclass
class Variant:
    """One measured thing: a function call with given arguments, or a page."""

    label: str
    kind: str  # "function" | "page"
    example: str  # the call or the URL, for the doc
    result: bd.PageResult
    rows: list[int] = field(default_factory=list)  # rows returned (functions) / bytes (pages)
    statements: list[str] = field(default_factory=list)  # of one call
    status: str = "measured"

    @property
    def measured(self) -> bool:
        return self.status == "measured" and bool(self.result.ms)


@dataclass
class Check:
    """The board against an independent count of the open dossiers by their instance's phase, and
    the dwell report's counts (by phase, over the year) against a count of the rows left in it."""

    board: dict[tuple[str, str], int]
    independent: dict[tuple[str, str], int]
    dwell: dict[tuple[str, str], int] = field(default_factory=dict)
    dwell_independent: dict[tuple[str, str], int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.board == self.independent and self.dwell == self.dwell_independent


@dataclass
class RunResult:
    variants: dict[str, Variant]
    check: Check
    explains: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # variant -> (statement, plan)


def monitoring_functions() -> tuple[Callable[..., Any], Callable[..., Any]]:
    """``phase_board`` and ``dwell_times``, or a clear error while they are not written yet."""
    try:
        from engine.monitoring.dwell import dwell_times
        from engine.monitoring.phase_board import phase_board
    except ImportError as exc:
        raise BenchError(f"the monitoring queries are not there: {exc} (engine/monitoring/phase_board.py and "
                         "dwell.py define phase_board(session, scope, now=None) and dwell_times(session, scope, "
                         "by=...))") from exc
    return phase_board, dwell_times


def exact_dwell_function() -> Callable[..., Any] | None:
    """``dwell_times_exact`` (the exact percentiles from the phase rows, when ``dwell_times``
    reads a rollup), measured beside it; None when the code has no such function."""
    from engine.monitoring import dwell

    return getattr(dwell, "dwell_times_exact", None)


def board_counts(rows: list[Any]) -> dict[tuple[str, str], int]:
    """(type, phase) -> open dossiers, from the board's rows (phases with none left out)."""
    out: dict[tuple[str, str], int] = {}
    for row in rows:
        if row.count:
            out[(str(row.dossier_type), str(row.phase))] = row.count
    return out


def independent_dwell_counts(db: Database) -> dict[tuple[str, str], int]:
    """Rows of active dossiers that left their phase during YEAR, per type and phase."""
    with db.transaction() as session:
        return {(t, p): n for t, p, n in session.execute(text(
            "SELECT d.type, f.phase, count(*) FROM dossier_phases f JOIN dossiers d ON d.id = f.dossier_id "
            "WHERE d.active AND f.left_at >= :start AND f.left_at < :end GROUP BY d.type, f.phase"),
            {"start": YEAR[0], "end": YEAR[1]})}


def independent_counts(db: Database) -> dict[tuple[str, str], int]:
    """Open dossiers per type and phase, from the instances' phase (not from the history)."""
    with db.transaction() as session:
        return {(t, p): n for t, p, n in session.execute(text(
            "SELECT d.type, p.phase, count(*) FROM dossiers d JOIN process_instances p "
            "ON p.id = d.process_instance_id WHERE d.active AND p.status NOT IN ('completed', 'terminated') "
            "AND p.phase IS NOT NULL GROUP BY d.type, p.phase"))}


def dwell_url(by: str) -> str:
    return "/monitoring/dwell?" + urlencode({"start": YEAR[0].date().isoformat(),
                                             "end": (YEAR[1] - dt.timedelta(days=1)).date().isoformat(), "by": by})


TYPES = [str(t) for t in PHASE_FLOWS]


def measure(services: Any, manager_id: int, scale: Scale, samples: int, side_samples: int,
            log: Callable[[str], None], *, explain: bool = False) -> RunResult:
    """Step 3 of the module docstring."""
    phase_board, dwell_times = monitoring_functions()
    db = services.db
    year = Scope(start=YEAR[0], end=YEAR[1])
    calls: dict[str, tuple[str, Callable[[int], tuple[str, Callable[[Any], Any]]]]] = {
        "board_all": ("phase board, every type", lambda i: (
            "phase_board(session, Scope(), now=2026-11-01)", lambda s: phase_board(s, Scope(), now=NOW))),
        "board_type": ("phase board, one type (the seven in turn)", lambda i: (
            f"phase_board(session, Scope(dossier_type={TYPES[i % len(TYPES)]!r}), now=2026-11-01)",
            lambda s: phase_board(s, Scope(dossier_type=TYPES[i % len(TYPES)]), now=NOW))),
        "dwell_phase": ("dwell times, one year, by phase", lambda i: (
            "dwell_times(session, Scope(start=2025-11-01, end=2026-11-01), by='phase')",
            lambda s: dwell_times(s, year, by="phase"))),
        "dwell_type": ("dwell times, one year, by phase, one type (the seven in turn)", lambda i: (
            f"dwell_times(session, Scope(start=2025-11-01, end=2026-11-01, dossier_type={TYPES[i % len(TYPES)]!r}), "
            "by='phase')",
            lambda s: dwell_times(s, Scope(start=YEAR[0], end=YEAR[1], dossier_type=TYPES[i % len(TYPES)]),
                                  by="phase"))),
        "dwell_subtype": ("dwell times, one year, by subtype", lambda i: (
            "dwell_times(session, Scope(start=2025-11-01, end=2026-11-01), by='subtype')",
            lambda s: dwell_times(s, year, by="subtype"))),
        "dwell_project": ("dwell times, one year, by project", lambda i: (
            "dwell_times(session, Scope(start=2025-11-01, end=2026-11-01), by='project')",
            lambda s: dwell_times(s, year, by="project"))),
    }
    exact = exact_dwell_function()
    if exact is not None:
        calls["dwell_exact"] = ("dwell times, one year, by phase, exact (dwell_times_exact)", lambda i: (
            "dwell_times_exact(session, Scope(start=2025-11-01, end=2026-11-01), by='phase')",
            lambda s: exact(s, year, by="phase")))
    headline = {"board_all", "dwell_phase"}
    variants = {key: Variant(label, "function", make(0)[0], bd.PageResult(label))
                for key, (label, make) in calls.items()}
    urls = {"page_board": ("page GET /monitoring/phases", lambda i: "/monitoring/phases"),
            "page_dwell": ("page GET /monitoring/dwell, one year, by phase", lambda i: dwell_url("phase"))}
    client = bd.signed_in_client(services, manager_id)
    for key, (label, url_of) in urls.items():
        variants[key] = Variant(label, "page", url_of(0), bd.PageResult(label))

    def call(key: str, i: int, keep: bool) -> Any:
        _label, make = calls[key]
        _example, fn = make(i)
        with bd.sql_recorder(db) as records, db.transaction() as session:
            t0 = time.perf_counter()
            rows = fn(session)
            ms = (time.perf_counter() - t0) * 1000
        if keep:
            v = variants[key]
            v.result.add(ms, records)
            v.rows.append(len(rows))
            if not v.statements:
                v.statements = [bd._shape(r[0]) for r in records]
        return rows

    def page(key: str, i: int, keep: bool) -> None:
        v = variants[key]
        path = urls[key][1](i)
        response, ms, records = bd.timed_get(client, db, path)
        if response.status_code != 200:
            v.status = (f"missing: GET {path} answers 404" if response.status_code == 404
                        else f"error: GET {path} answers HTTP {response.status_code}")
            return
        if keep:
            v.result.add(ms, records)
            v.rows.append(len(response.data))

    log(f"(3) measuring: warm-up {scale.warmup}, then {samples} calls of the headline figures and "
        f"{side_samples} of the others, interleaved…")
    for i in range(scale.warmup):
        for key in calls:
            call(key, i, False)
        for key in urls:
            page(key, i, False)
    for i in range(max(samples, side_samples)):
        for key in calls:
            if i < (samples if key in headline else side_samples):
                call(key, i, True)
        for key in urls:
            if i < side_samples and variants[key].status == "measured":
                page(key, i, True)
    dwell = {(str(r.dossier_type), str(r.phase)): r.count for r in call("dwell_phase", 0, False)}
    check = Check(board_counts(call("board_all", 0, False)), independent_counts(db), dwell,
                  independent_dwell_counts(db))
    explains = explain_calls(db, variants) if explain else {}
    return RunResult(variants, check, explains)


def explain_calls(db: Database, variants: dict[str, Variant]) -> dict[str, list[tuple[str, str]]]:
    """EXPLAIN (ANALYZE, BUFFERS) of every SELECT of one call of each function."""
    out: dict[str, list[tuple[str, str]]] = {}
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        for key, v in variants.items():
            if v.kind != "function" or not v.measured:
                continue
            out[key] = []
            for shape in v.statements:
                if not shape.upper().startswith(("SELECT", "WITH")):
                    continue
                statement, params = v.result.example[shape]
                cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, params)
                out[key].append((shape, "\n".join(row[0] for row in cur.fetchall())))
        raw.rollback()
    finally:
        raw.close()
    return out


def try_indexes(url: str, specs: list[str], log: Callable[[str], None]) -> list[str]:
    """Create each index: ``TABLE:COL[,COL…]`` (through bench/dossiers.py) or a whole ``CREATE
    INDEX …`` statement (a partial or expression index); ANALYZE. Returns the DDL."""
    plain = [s for s in specs if not s.lstrip().upper().startswith("CREATE ")]
    ddl = bd.try_indexes(url, plain, log) if plain else []
    statements = [s for s in specs if s not in plain]
    with psycopg.connect(bd.libpq_dsn(url), autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '1GB'")
        for statement in statements:
            t0 = time.perf_counter()
            try:
                conn.execute(statement)
            except psycopg.Error as exc:
                raise BenchError(f"--try-index {statement!r} failed: {str(exc).strip()}") from exc
            log(f"  {statement} ({time.perf_counter() - t0:.1f} s)")
            ddl.append(statement)
        if statements:
            conn.execute("ANALYZE")
    return ddl


# --------------------------------------------------------------------------- report


@dataclass
class Results:
    scale: str
    meta: dict[str, Any]
    reused: bool
    counts: dict[str, int]
    db_size: str
    run: RunResult
    machine: dict[str, str]
    after_index: RunResult | None = None
    index_ddl: list[str] = field(default_factory=list)  # indexes created and settings SET before `after_index`
    tried: list[str] = field(default_factory=list)  # the command-line options that did it

    def p95(self, key: str, run: RunResult | None = None) -> float | None:
        v = (run or self.run).variants.get(key)
        return round(v.result.p95, 2) if v is not None and v.measured else None

    def figures(self) -> dict[str, float | None]:
        return {"phase_board_ms_p95": self.p95("board_all"), "dwell_report_ms_p95": self.p95("dwell_phase")}


FIGURE_OF = {"board_all": "phase_board_ms_p95", "board_type": "phase_board_ms_p95",
             "page_board": "phase_board_ms_p95", "dwell_phase": "dwell_report_ms_p95",
             "dwell_type": "dwell_report_ms_p95", "dwell_exact": "dwell_report_ms_p95",
             "dwell_subtype": "dwell_report_ms_p95", "dwell_project": "dwell_report_ms_p95",
             "page_dwell": "dwell_report_ms_p95"}


def _verdict(key: str, value: float | None) -> str:
    if value is None:
        return "not measured"
    return "pass" if value < TARGETS[FIGURE_OF[key]][0] else "**miss**"


def short(shape: str, width: int = 200) -> str:
    """A statement without its select list, cut at the ``FROM`` outside parentheses (the select
    list of these queries has ``EXTRACT(epoch FROM …)``, which bench/dossiers.py's ``short`` takes
    for the FROM clause)."""
    if shape.upper().startswith("SELECT "):
        depth = 0
        for i, char in enumerate(shape):
            depth += (char == "(") - (char == ")")
            if depth == 0 and shape.startswith(" FROM ", i):
                shape = "SELECT …" + shape[i:]
                break
    return shape if len(shape) <= width else shape[: width - 1] + "…"


def _note(v: Variant) -> str:
    if not v.measured:
        return v.status
    r = v.result
    what = "rows" if v.kind == "function" else "KB of HTML"
    size = statistics.median(v.rows) if v.kind == "function" else statistics.median(v.rows) / 1024
    return (f"`{v.example}`; p50 {r.median:.2f} ms, p95 {r.p95:.2f} ms, max {max(r.ms):.2f} ms over {len(r.ms)} "
            f"calls; {min(r.statements)}-{max(r.statements)} SQL statements, SQL time median "
            f"{statistics.median(r.sql_ms):.2f} ms; {size:.0f} {what}")


def _history_line(meta: dict[str, Any]) -> str:
    h = meta["history"]
    return (f"{h['rows']:,} phase rows for {h['dossiers']:,} dossiers ({h['rows'] / max(h['dossiers'], 1):.2f} "
            f"per dossier), {h['open_dossiers']:,} open ({100 * h['open_dossiers'] / max(h['dossiers'], 1):.0f} %), "
            f"{h['inactive']:,} deactivated; {h['returns']:,} returns to the previous phase in "
            f"{h['with_returns']:,} dossiers; {h['left_in_year']:,} rows left their phase in the measured year; "
            f"{h['compressed']:,} histories compressed to end by 2026-11-01")


def summary_lines(res: Results) -> list[str]:
    m = res.meta
    lines = [
        f"Monitoring on PostgreSQL, scale {res.scale}: {m['dossiers']:,} dossiers, "
        f"{m['history']['rows']:,} phase rows; database {res.db_size}" + (" (reused)" if res.reused else "") + ":",
        f"  generation {m['generated_s']:.1f} s: " + "; ".join(f"{k} {v:.1f} s" for k, v in m["steps"].items()),
        "  data: " + _history_line(m),
    ]
    for key, v in res.run.variants.items():
        lines.append(f"  {v.label}: [{_verdict(key, res.p95(key))}] {_note(v)}")
        if v.measured:
            for shape, median, count in bd.slowest(v.result, 2):
                lines.append(f"      {median:8.2f} ms x{count}  {short(shape, 150)}")
    check = res.run.check
    lines.append(f"  board counts = independent count of open dossiers by instance phase: "
                 f"{'yes' if check.board == check.independent else 'NO'} ({sum(check.board.values()):,} vs "
                 f"{sum(check.independent.values()):,}); dwell counts = rows left in the year: "
                 f"{'yes' if check.dwell == check.dwell_independent else 'NO'} ({sum(check.dwell.values()):,} vs "
                 f"{sum(check.dwell_independent.values()):,})")
    if res.after_index is not None:
        lines.append(f"  after {'; '.join(res.index_ddl)}:")
        for key, v in res.after_index.variants.items():
            before = res.run.variants[key]
            if v.measured and before.measured:
                lines.append(f"    {v.label}: p95 {before.result.p95:.2f} → {v.result.p95:.2f} ms, "
                             f"p50 {before.result.median:.2f} → {v.result.median:.2f} ms")
    lines.append("  rows: " + ", ".join(f"{t} {c:,}" for t, c in res.counts.items() if c))
    return lines


def docs_section(res: Results) -> str:
    f = res.figures()
    m, mach = res.meta, res.machine
    h = m["history"]
    out = [
        f"\n## {mach['date']} — monitoring, bench/monitoring.py, {m['dossiers']:,} dossiers, {h['rows']:,} phase "
        f"rows (scale {res.scale})\n",
        f"Machine: {mach['cpu']}, {mach['cores']} cores; Python {mach['python']}, SQLAlchemy {mach['sqlalchemy']}, "
        f"PostgreSQL {mach['postgresql']} (server settings untouched). Load average (1/5/15 min) at the end: "
        f"{mach['load']}. Code: {mach['code']}. Run: `.venv/bin/python bench/monitoring.py --scale {res.scale}"
        + (" --reuse" if res.reused else "")
        + "".join(f" {t}" for t in res.tried) + "`.\n",
        "| figure | value (ms) | target | verdict | notes |",
        "| --- | --- | --- | --- | --- |",
    ]
    for key, v in res.run.variants.items():
        figure = FIGURE_OF[key]
        name = f"`{figure}`" if key in ("board_all", "dwell_phase") else f"{v.label} (not in the JSON)"
        value = f"{v.result.p95:.2f}" if v.measured else "null"
        out.append(f"| {name} | {value} | {TARGETS[figure][1]} | {_verdict(key, res.p95(key))} | {_note(v)} |")
    check = res.run.check
    out += [
        "",
        "- What: the engine's functions (engine/monitoring/phase_board.py, dwell.py) called in a session of their "
        "own, wall time of the call in this process (SQLAlchemy, psycopg, PostgreSQL); the pages through Flask's "
        "test client on an app built like production, signed in as a manager (Flask, the query, the template, "
        "Chart.js spec and table; no network, no browser). Calls interleaved after a warm-up; p95 of the calls.",
        f"- JSON: `{json.dumps(f)}`."
        + ("" if res.scale == "full" else f" Scale {res.scale}: not the issue's figures, which are those of scale "
           "full (1,000,000 dossiers, 5,000,000 phase rows)."),
        f"- Data: {_history_line(m)}. Dossiers created from 2023-11-01 to 2026-11-01; phases of the type's "
        "flow up to the instance's phase, each a log-normal time around its median (request 3 days, advice 21, "
        "loan in circulation 150, …), returns to the previous phase making up the issue's 5 rows per dossier. "
        f"The board's counts equal an independent count of the open dossiers by their instance's phase: "
        f"{'yes' if check.board == check.independent else '**no**'} ({sum(check.board.values()):,} open "
        f"dossiers); the dwell report's counts equal a count of the rows left in the year: "
        f"{'yes' if check.dwell == check.dwell_independent else '**no**'} ({sum(check.dwell.values()):,} rows).",
        f"- Generation {m['generated_s']:.1f} s (dossiers through bench/dossiers.py, then the phase history): "
        + "; ".join(f"{k} {v:.1f} s" for k, v in m["steps"].items()) + "."
        + (" On `--reuse`: " + "; ".join(m["schema_changes"])
           + (f" (the phase history written again in {m['history_rewritten_s']:.1f} s)"
              if m.get("history_rewritten_s") else "") + "." if m.get("schema_changes") else ""),
        f"- Database size {res.db_size}. Rows: " + ", ".join(f"`{t}` {c:,}" for t, c in res.counts.items() if c) + ".",
        "- Slowest statements (median ms x per call):",
    ]
    for v in res.run.variants.values():
        if v.measured:
            for shape, median, count in bd.slowest(v.result, 2):
                out.append(f"  - {v.label}: {median:.2f} ms x {count} — `{short(shape)}`")
    if res.after_index is not None:
        parts = []
        for key, v in res.after_index.variants.items():
            before = res.run.variants[key]
            if v.measured and before.measured:
                parts.append(f"{v.label} {before.result.p95:.2f} → {v.result.p95:.2f}")
        out.append(f"- With `{'; '.join(res.index_ddl)}` added (p95 in ms, before → after): " + "; ".join(parts) + ".")
    out.append("")
    return "\n".join(out)


def write_docs(res: Results, path: Path = DOCS_PATH) -> None:
    with path.open("a") as fh:
        fh.write(docs_section(res))


# --------------------------------------------------------------------------- main


def parse_settings(specs: list[str]) -> dict[str, str]:
    """``NAME=VALUE`` PostgreSQL settings (``work_mem=64MB``), checked so that they can be SET safely."""
    out = {}
    for spec in specs:
        name, _, value = spec.partition("=")
        if not re.fullmatch(r"[a-z_][a-z0-9_.]*", name.strip()) or not value.strip() or "'" in value:
            raise BenchError(f"--try-setting {spec!r}: write it as NAME=VALUE, e.g. work_mem=64MB")
        out[name.strip()] = value.strip()
    return out


def services_with_settings(url: str, workdir: Path, settings: dict[str, str]) -> Any:
    """The app's services, every database connection of which runs ``SET name = 'value'`` first."""
    services = bd._services(url, workdir)

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        with dbapi_connection.cursor() as cur:
            for name, value in settings.items():
                cur.execute(f"SET {name} = '{value}'")
        dbapi_connection.commit()

    if settings:
        event.listen(services.db.engine, "connect", on_connect)
    return services


def run(scale_name: str, *, workdir: Path, url: str | None = None, scale: Scale | None = None,
        samples: int | None = None, reuse: bool = False, explain: bool = False, try_index: list[str] | None = None,
        try_setting: list[str] | None = None, log: Callable[[str], None] = print) -> Results:
    from bench.engine import machine_facts

    url = url or pg_url()
    monitoring_functions()  # before the generation, not after it
    settings = parse_settings(try_setting or [])
    if reuse:
        meta = read_meta(url)
        scale_name = meta["scale"]
        scale = scale or SCALES.get(scale_name) or SCALES["small"]
        log(f"reusing {make_url(url).database} (scale {scale_name}, generated in {meta['generated_s']} s)")
        added = add_history_columns(url)
        with psycopg.connect(bd.libpq_dsn(url), autocommit=True) as conn:
            rows = conn.execute("SELECT count(*) FROM dossier_phases").fetchone()[0]
        if added or rows != meta["history"]["rows"]:
            log(f"  {', '.join(added)} added since the generation: the phase history is written again" if added
                else f"  {rows:,} phase rows instead of {meta['history']['rows']:,} (an interrupted run?): "
                     "the phase history is written again")
            hist = write_history(url, PHASE_ROWS_PER_DOSSIER * meta["dossiers"], log)
            meta["history"] = {k: v for k, v in asdict(hist).items() if k not in ("steps", "seconds")}
            meta["history_rewritten_s"] = round(hist.seconds, 1)
            save_meta(url, {k: v for k, v in meta.items() if k not in ("schema_changes", "history_rewritten_s")})
        meta["schema_changes"] = [f"added {c} and wrote the phase history again" for c in added] + sync_schema(url, log)
        if added or rows != meta["history"]["rows"] or rollup_is_empty(url):
            for step, seconds in rebuild_rollups(url, log).items():
                meta["schema_changes"].append(f"{step} in {seconds:.1f} s")
    else:
        scale = scale or SCALES[scale_name]
        meta = generate_all(url, scale, scale_name, workdir, log)
    side = max(1, round((samples or scale.samples) * scale.side_samples / scale.samples))
    services = bd._services(url, workdir)
    after = None
    ddl: list[str] = []
    try:
        run_ = measure(services, meta["manager_id"], scale, samples or scale.samples, side, log, explain=explain)
    finally:
        services.db.dispose()
    if try_index or settings:
        ddl = try_indexes(url, try_index, log) if try_index else []
        ddl += [f"SET {k} = '{v}'" for k, v in settings.items()]
        services = services_with_settings(url, workdir, settings)
        try:
            after = measure(services, meta["manager_id"], scale, samples or scale.samples, side, log, explain=explain)
        finally:
            services.db.dispose()
    counts, size, _bytes = bd.table_counts(url)
    with psycopg.connect(bd.libpq_dsn(url), autocommit=True) as conn:
        pg_version = conn.execute("SHOW server_version").fetchone()[0]
    tried = ([f"--samples {samples}"] if samples else []) + [f'--try-index "{spec}"' for spec in try_index or []] + [
        f"--try-setting {k}={v}" for k, v in settings.items()]
    return Results(scale_name, meta, reuse, counts, size, run_, machine_facts(pg_version), after, ddl, tried)


def print_explains(res: Results) -> None:
    for label, run_ in (("", res.run), (" (after the index)", res.after_index)):
        if run_ is None:
            continue
        for key, plans in run_.explains.items():
            for shape, plan in plans:
                print(f"\nEXPLAIN (ANALYZE, BUFFERS){label} — {run_.variants[key].label}: {short(shape)}\n{plan}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=list(SCALES), default="small")
    parser.add_argument("--samples", type=int, help="measured calls of the headline figures (default: the scale's)")
    parser.add_argument("--reuse", action="store_true", help="measure again on the database of an earlier run")
    parser.add_argument("--explain", action="store_true",
                        help="print EXPLAIN (ANALYZE, BUFFERS) of every statement of each measured function")
    parser.add_argument("--try-index", action="append", default=[], metavar="TABLE:COL[,COL] | 'CREATE INDEX …'",
                        help="after measuring, create this index and measure the functions again")
    parser.add_argument("--try-setting", action="append", default=[], metavar="NAME=VALUE",
                        help="after measuring, SET this on every connection (e.g. work_mem=64MB) and measure again "
                             "(with --try-index: both)")
    parser.add_argument("--docs", action=argparse.BooleanOptionalAction, default=None,
                        help="append a section to docs/benchmarks.md (default: at scale full only)")
    args = parser.parse_args(argv)
    if args.samples is not None and args.samples < 1:
        parser.error("--samples must be 1 or more")
    progress = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    with tempfile.TemporaryDirectory(prefix="guichet-bench-monitoring-") as tmp:
        try:
            res = run(args.scale, workdir=Path(tmp), samples=args.samples, reuse=args.reuse, explain=args.explain,
                      try_index=args.try_index, try_setting=args.try_setting, log=progress)
        except bd.BenchError as exc:
            print(f"bench/monitoring.py: {exc}", file=sys.stderr)
            return 2
    for line in summary_lines(res):
        print(line)
    if args.explain:
        print_explains(res)
    if args.docs if args.docs is not None else res.scale == "full":
        write_docs(res)
        print(f"  appended to {DOCS_PATH.relative_to(ROOT)}")
    print(json.dumps(res.figures()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
