"""Where the time of one Guichet completion goes: SQL statements, phases, cProfile.

    .venv/bin/python bench/profile_completion.py [--db sqlite|pg|both] [--instances N] [--out DIR]

Runs the benchmark process of bench/engine.py (same diagram, forms, operator) and, for completions
only (each its own transaction, as in the benchmark):
  1. lists the SQL statements of a plain completion, of the one that crosses the gateway and of
     the one that queues the service call, with the time each took from send to result;
  2. breaks the completion down by phase (wall time, inclusive: nested phases are also counted
     in their parent) by wrapping the engine's functions in this process only;
  3. profiles many completions with cProfile and prints the top functions (pstats files in --out).
Nothing in engine/ is changed; the wrapping is done at run time in this process.
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
import cProfile
import functools
import inspect
import io
import pstats
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

import engine.workflow.runtime as runtime
from bench.engine import (
    PROCESS_KEY,
    USER_TASKS,
    GuichetSetup,
    _inserted,
    _ready_in_session,
    form_input,
    pg_url,
    prepare_pg,
    setup_guichet,
)
from engine.workflow import audit
from engine.workflow.models import ServiceCall
from forms.registry import FormRegistry

# ----------------------------------------------------------------------------- phase timers

_PHASES: dict[str, list[float]] = defaultdict(list)
_ACTIVE = {"on": False}


def _timed(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not _ACTIVE["on"]:
            return func(*args, **kwargs)
        t0 = time.perf_counter()
        try:
            return func(*args, **kwargs)
        finally:
            _PHASES[name].append((time.perf_counter() - t0) * 1000)

    return wrapper


def install_phase_timers() -> None:
    W = runtime.WorkflowEngine
    for name in (
        "complete",
        "load",
        "_advance",
        "_save",
        "_prepare_save",
        "_sync_human_tasks",
        "_queue_service_calls",
        "_status",
        "_next_timer",
        "_sync_message_waits",
        "_check_open",
        "_human_task_row",
    ):
        raw = inspect.getattr_static(W, name, None)
        if raw is None:  # the engine changed: time what exists
            continue
        if isinstance(raw, staticmethod):
            setattr(W, name, staticmethod(_timed(f"engine.{name}", raw.__func__)))
        else:
            setattr(W, name, _timed(f"engine.{name}", raw))
    runtime.load_state = _timed("serialization.load_state (json.loads + from_dict)", runtime.load_state)
    runtime.dump_state = _timed("serialization.dump_state (to_dict + json.dumps)", runtime.dump_state)
    runtime.to_jsonable = _timed("serialization.to_jsonable", runtime.to_jsonable)
    audit.record = _timed("audit.record", audit.record)
    FormRegistry.validate = _timed("forms.validate (marshmallow)", FormRegistry.validate)
    Session.flush = _timed("Session.flush (all, incl. autoflush)", Session.flush)
    Session.commit = _timed("Session.commit (flush + COMMIT)", Session.commit)
    Session.get = _timed("Session.get", Session.get)
    from SpiffWorkflow.task import Task

    Task.run = _timed("spiff Task.run (the user task)", Task.run)


# ----------------------------------------------------------------------------- SQL capture


class SqlCapture:
    def __init__(self, setup: GuichetSetup) -> None:
        self.on = False
        self.rows: list[tuple[str, float]] = []
        self._t0 = 0.0
        engine = setup.db.engine
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)
        event.listen(engine, "commit", self._commit)

    def _before(self, *args: Any) -> None:
        self._t0 = time.perf_counter()

    def _after(self, conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        if self.on:
            self.rows.append((" ".join(statement.split()), (time.perf_counter() - self._t0) * 1000))

    def _commit(self, conn: Any) -> None:
        if self.on:
            self.rows.append(("COMMIT (DBAPI connection.commit, not a cursor statement)", float("nan")))


# ----------------------------------------------------------------------------- driving


def run_instance(
    setup: GuichetSetup,
    n: int,
    on_completion: Callable[[int, Callable[[], Any]], Any],
    on_other: Callable[[str, Callable[[], Any]], Any] = lambda name, run: run(),
) -> None:
    """One life cycle; ``on_completion(k, run)`` wraps the k-th completion, ``on_other(name, run)``
    the start and the worker's two transactions."""
    db, eng, uid = setup.db, setup.engine, setup.user_id
    box0: dict[str, Any] = {}

    def start() -> None:
        with db.transaction() as session:
            eng.start(session, PROCESS_KEY, subject=("bench", n), user_id=uid)
            box0["ready"] = _ready_in_session(session)

    on_other("start", start)
    ready = box0["ready"]
    call_id = None
    for k in range(1, USER_TASKS + 1):
        ht_id, form_key = ready[0]
        data = form_input(form_key, n)
        box: dict[str, Any] = {}

        def complete(ht_id: int = ht_id, data: dict = data, box: dict = box, k: int = k) -> None:
            with db.transaction() as session:
                eng.complete(session, ht_id, data, user_id=uid)
                box["ready"] = _ready_in_session(session)
                if k == USER_TASKS:
                    box["call"] = [c.id for c in _inserted(session, ServiceCall)]

        on_completion(k, complete)
        ready = box["ready"]
        call_id = box.get("call", [call_id])[0]

    def start_call() -> None:
        with db.transaction() as session:
            call = eng.start_service_call(session, call_id)
            box0["op"] = (call.operator, dict(call.params))

    on_other("start_service_call", start_call)
    result = eng.operators.execute(*box0["op"])

    def finish_call() -> None:
        with db.transaction() as session:
            eng.finish_service_call(session, call_id, result)

    on_other("finish_service_call", finish_call)


def statements(setup: GuichetSetup, label: str) -> None:
    cap = SqlCapture(setup)
    wanted = {
        1: "a plain completion (task_01 → task_02)",
        5: "the completion that crosses the gateway and a script (task_05 → task_06)",
        USER_TASKS: "the last completion, which queues the service call",
    }

    def on_completion(k: int, complete: Callable[[], Any]) -> None:
        cap.on = k in wanted
        cap.rows = []
        complete()
        cap.on = False
        if k in wanted:
            print(f"\n  [{label}] {wanted[k]}: {sum(1 for r in cap.rows if r[0][0] != 'C')} statements")
            for i, (sql, ms) in enumerate(cap.rows, 1):
                shown = sql if len(sql) < 170 else sql[:167] + "…"
                print(f"   {i:2}. {ms:6.3f} ms  {shown}" if ms == ms else f"   {i:2}.   ----    {shown}")

    def on_other(name: str, run: Callable[[], Any]) -> None:
        cap.on = True
        cap.rows = []
        run()
        cap.on = False
        print(f"\n  [{label}] {name}: {sum(1 for r in cap.rows if r[0][0] != 'C')} statements")
        for i, (sql, ms) in enumerate(cap.rows, 1):
            shown = sql if len(sql) < 170 else sql[:167] + "…"
            print(f"   {i:2}. {ms:6.3f} ms  {shown}" if ms == ms else f"   {i:2}.   ----    {shown}")

    for n in range(3):  # warm
        run_instance(setup, 10_000 + n, lambda k, c: c())
    run_instance(setup, 10_100, on_completion, on_other)


def phases(setup: GuichetSetup, label: str, instances: int) -> list[float]:
    totals: list[float] = []

    def on_completion(k: int, complete: Callable[[], Any]) -> None:
        _ACTIVE["on"] = True
        t0 = time.perf_counter()
        complete()
        totals.append((time.perf_counter() - t0) * 1000)
        _ACTIVE["on"] = False

    for n in range(5):
        run_instance(setup, 20_000 + n, lambda k, c: c())
    _PHASES.clear()
    for n in range(instances):
        run_instance(setup, 20_100 + n, on_completion)
    count = len(totals)
    med = statistics.median(totals)
    mean = statistics.mean(totals)
    print(
        f"\n  [{label}] phases of a completion, mean ms per completion over {count} completions "
        f"(whole transaction: mean {mean:.3f}, median {med:.3f}; with the timers' own overhead)"
    )
    for name, values in sorted(_PHASES.items(), key=lambda kv: -sum(kv[1])):
        print(f"   {sum(values) / count:7.3f} ms  {len(values) / count:4.1f}x  {name}")
    _PHASES.clear()
    return totals


def profile(setup: GuichetSetup, label: str, instances: int, out: Path) -> None:
    prof = cProfile.Profile()

    def on_completion(k: int, complete: Callable[[], Any]) -> None:
        prof.enable()
        complete()
        prof.disable()

    for n in range(5):
        run_instance(setup, 30_000 + n, lambda k, c: c())
    for n in range(instances):
        run_instance(setup, 30_100 + n, on_completion)
    path = out / f"completion-{label.lower()}.pstats"
    prof.dump_stats(path)
    completions = instances * USER_TASKS
    for sort, top in (("tottime", 30), ("cumulative", 45)):
        buf = io.StringIO()
        stats = pstats.Stats(prof, stream=buf).strip_dirs().sort_stats(sort)
        stats.print_stats(top)
        print(
            f"\n  [{label}] cProfile over {completions} completions, sorted by {sort} (times are totals; "
            f"÷{completions} for one completion) — {path}"
        )
        text = buf.getvalue()
        start = text.find("   ncalls")
        print(text[start:] if start >= 0 else text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "pg", "both"], default="both")
    parser.add_argument("--instances", type=int, default=60)
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "guichet-profile")
    parser.add_argument("--skip", nargs="*", default=[], choices=["statements", "phases", "profile"])
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    targets = []
    with tempfile.TemporaryDirectory(prefix="guichet-prof-") as tmp:
        if args.db in ("sqlite", "both"):
            targets.append(("SQLite", f"sqlite:///{Path(tmp) / 'prof.db'}"))
        if args.db in ("pg", "both"):
            prepare_pg(pg_url())
            targets.append(("PostgreSQL", pg_url()))
        for label, url in targets:
            if "statements" not in args.skip:
                setup = setup_guichet(url)
                statements(setup, label)
                setup.db.dispose()
            if "profile" not in args.skip:
                setup = setup_guichet(url)
                profile(setup, label, args.instances, args.out)
                setup.db.dispose()
        if "phases" not in args.skip:
            install_phase_timers()
            for label, url in targets:
                setup = setup_guichet(url)
                phases(setup, label, args.instances)
                setup.db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
