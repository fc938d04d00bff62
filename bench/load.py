"""Load benchmark (issue 10 part 3): Guichet under gunicorn on PostgreSQL, loaded by wrk from a
second process on loopback.

    .venv/bin/python bench/load.py --scale small   # 3,000 tasks, 8 s of completions, no docs
                                                   # (tiny: the smoke test's run)
    .venv/bin/python bench/load.py                 # 30,000 tasks, 30 s of completions, appends to docs

1. The database ``guichet_bench_load`` (GUICHET_BENCH_LOAD_PG_URL) is dropped and created with
   every table; the shipped dossier diagrams are deployed; a case worker with an API token; a
   portal world (bench/portal_world.py) whose manager accepted the terms; ``tasks`` information
   dossiers opened through the real command (engine/cases/dossiers.open_dossier), each waiting at
   its first task, "Register the request" (form ``information.request``).
2. ``guichet serve`` (gunicorn, ``--workers`` processes, default 2 x CPUs + 1) on a free port.
3. wrk (Debian's package), in its own process, for each phase in turn, after a short warm-up:
   - ``task_list``: ``GET /api/tasks?state=ready&limit=50`` with the token;
   - ``completion``: ``POST /api/tasks/<id>/complete`` with a valid form, every request a task of
     its own (the ids are dealt out to wrk's threads by bench/load.lua), so a completion
     is real work: load the instance, validate, run the task, save state and task rows;
   - ``portal``: ``GET /portal/`` signed in as the portal manager (a session cookie). The portal's
     consumption page arrives with issue 9; until then its home page stands in for it.
   Each phase reports requests per second, p50 / p95 / p99 latency and the non-2xx answers.
4. Lost updates: every 200 of a completion must be one completed task in the database, with one
   ``task_completed`` audit event, and its instance must wait at exactly one next task
   ("Answer and refer"); no other task may have changed. ``lost_updates`` counts every difference.

The last line printed is one JSON object:
``{"completions_per_s": …, "p95_ms": …, "errors": …, "lost_updates": …}`` (p95 of the completions;
errors = non-2xx answers and socket errors over all phases).
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
import re
import resource
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text

from bench.common import BenchError, recreate_database

ROOT = Path(__file__).resolve().parent.parent
DOCS_PATH = ROOT / "docs" / "benchmarks.md"
LUA = Path(__file__).resolve().parent / "load.lua"
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/guichet_bench_load"
FIRST_TASK = "register_request"
NEXT_TASK = "answer_and_refer"
START_TIMEOUT_S = 60.0
# one User-Agent for the sign-in and for wrk: Flask-Login's session protection ties a session
# to the client's address and agent
USER_AGENT = "guichet-load-bench"


@dataclass(frozen=True)
class Scale:
    tasks: int
    completion_s: int
    list_s: int
    portal_s: int
    connections: int


SCALES = {
    "tiny": Scale(tasks=400, completion_s=2, list_s=1, portal_s=1, connections=4),  # the smoke test
    "small": Scale(tasks=3_000, completion_s=8, list_s=5, portal_s=5, connections=16),
    "full": Scale(tasks=30_000, completion_s=30, list_s=15, portal_s=15, connections=32),
}


def completion_form(today: dt.date) -> dict[str, Any]:
    return {"question_types": ["information_request"], "question_summary": "Load test question",
            "request_date": today.isoformat(), "source": "phone", "first_action": "information_given",
            "first_action_date": today.isoformat()}


# --------------------------------------------------------------------------- set-up


@dataclass
class World:
    token: str
    task_ids: list[int]
    portal_login: str
    portal_password: str
    portal_organisation_id: int


def build_world(url: str, tasks: int, log: Any) -> World:
    from bench.portal_world import PORTAL_PASSWORD, portal_world
    from engine.access.models import Role, User
    from engine.access.users import issue_token
    from engine.cases.dossiers import open_dossier
    from engine.cases.models import DossierType
    from engine.config import Settings
    from engine.db import Database
    from engine.portal import terms as engine_terms
    from engine.queues.commands import seed_queues
    from engine.workflow.models import HumanTask, HumanTaskState
    from webapp.bootstrap import build_services
    from webapp.cli import deploy_files

    db = Database(url)
    db.create_all()
    services = build_services(Settings.from_env(), db)
    if deploy_files(services, [ROOT / "bpmn" / "dossiers" / "information.bpmn"], echo=lambda *_a, **_k: None):
        raise BenchError("the information diagram was refused")
    from webapp.portal.terms import versions

    with db.transaction() as session:
        seed_queues(session)
        worker = User(email="load@guichet.test", name="Load Worker", roles_text=Role.CASE_WORKER.value)
        session.add(worker)
        session.flush()
        token = issue_token(session, worker, "load benchmark")
        world = portal_world(session)
        engine_terms.accept(session, world.manager.id, versions()[-1], "fr")
        worker_id, portal_login, organisation_id = worker.id, world.manager.email, world.org.id
    started = time.perf_counter()
    batch = 250
    for first in range(0, tasks, batch):
        with db.transaction() as session:
            for n in range(first, min(first + batch, tasks)):
                open_dossier(session, services.engine, DossierType("information"), f"Load question {n}",
                             user_id=worker_id)
        if first and first % 5_000 == 0:
            log(f"  {first:,} dossiers ({time.perf_counter() - started:.0f} s)")
    with db.transaction() as session:
        ids = list(session.scalars(select(HumanTask.id).where(
            HumanTask.bpmn_id == FIRST_TASK, HumanTask.state == HumanTaskState.READY).order_by(HumanTask.id)))
    db.dispose()
    if len(ids) != tasks:
        raise BenchError(f"expected {tasks} open '{FIRST_TASK}' tasks, found {len(ids)}")
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))  # as autovacuum would have by then (in a transaction it is rolled back)
    return World(token=token, task_ids=ids, portal_login=portal_login, portal_password=PORTAL_PASSWORD,
                 portal_organisation_id=organisation_id)


# --------------------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def guichet_command() -> list[str]:
    script = Path(sys.executable).with_name("guichet")
    return [str(script)] if script.exists() else [sys.executable, "-m", "webapp.cli"]


class Server:
    def __init__(self, url: str, workers: int, workdir: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GUICHET_", "PROMETHEUS_"))}
        env.update(GUICHET_DATABASE_URL=url, GUICHET_INSTANCE_PATH=str(workdir / "instance"),
                   GUICHET_SECRET_KEY="load-bench-secret", GUICHET_LOG_FORMAT="json",
                   GUICHET_LOGIN_RATE_LIMIT="1000 per minute")
        self.log_path = workdir / "serve.log"
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [*guichet_command(), "serve", "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers)],
            cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise BenchError(f"guichet serve did not start; see {self.log_path}:\n"
                                 + self.log_path.read_text(errors="replace")[-2000:])
            time.sleep(0.3)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


def portal_cookie(base: str, login: str, password: str, organisation_id: int, client_number: str) -> str:
    """Sign in through the real form (CSRF token included), choose the organisation as the
    organisations page does, pass the client-number gate, and return the Cookie header."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("User-Agent", USER_AGENT)]

    def csrf(page: str) -> str:
        match = re.search(r'name="csrf_token" value="([^"]+)"', page)
        if not match:
            raise BenchError("no CSRF token on the page")
        return match.group(1)

    with opener.open(base + "/login", timeout=10) as response:
        token = csrf(response.read().decode())
    form = urllib.parse.urlencode({"csrf_token": token, "email": login, "password": password}).encode()
    with opener.open(base + "/login", data=form, timeout=10) as response:
        response.read()
    with opener.open(base + "/portal/organisations", timeout=10) as response:
        token = csrf(response.read().decode())
    form = urllib.parse.urlencode({"csrf_token": token}).encode()
    with opener.open(f"{base}/portal/organisations/{organisation_id}/use", data=form, timeout=10) as response:
        page = response.read().decode()
        landed = response.url
    if urllib.parse.urlparse(landed).path == "/portal/client-number":  # the client-number gate
        form = urllib.parse.urlencode({"csrf_token": csrf(page), "client_number": client_number,
                                       "next": "/portal/"}).encode()
        with opener.open(base + "/portal/client-number", data=form, timeout=10) as response:
            response.read()
            landed = response.url
    if urllib.parse.urlparse(landed).path != "/portal/":
        raise BenchError(f"the portal manager did not reach /portal/ (ended at {landed})")
    return "; ".join(f"{c.name}={c.value}" for c in jar)


# --------------------------------------------------------------------------- wrk


@dataclass
class Phase:
    name: str
    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: int
    statuses: dict[str, int]
    cpu_ms_per_request: dict[str, float] = field(default_factory=dict)

    @property
    def per_s(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def errors(self) -> int:
        """Every answer that is not a 2xx (a redirect to the sign-in page is a failure too) and
        every socket error."""
        wrong = sum(n for status, n in self.statuses.items() if status.isdigit() and not status.startswith("2"))
        return wrong + self.socket_errors


def run_wrk(name: str, url: str, *, seconds: int, connections: int, threads: int, server_pid: int,
            args: list[str] | None = None, headers: dict[str, str] | None = None) -> Phase:
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s",
               "-s", str(LUA)]
    for key, value in (headers or {}).items():
        command += ["-H", f"{key}: {value}"]
    command.append(url)
    command += ["--", *(args or ["report"])]
    before, children_before = cpu_seconds(server_pid), resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    after, children_after = cpu_seconds(server_pid), resource.getrusage(resource.RUSAGE_CHILDREN)
    # wrk has exited by now: its CPU time is in this process's children's usage
    after["wrk"] = before["wrk"] + (children_after.ru_utime + children_after.ru_stime
                                    - children_before.ru_utime - children_before.ru_stime)
    line = next((ln for ln in reversed(done.stdout.splitlines()) if ln.startswith("{")), None)
    if done.returncode != 0 or line is None:
        raise BenchError(f"wrk failed ({done.returncode}): {done.stderr.strip() or done.stdout[-1000:]}")
    data = json.loads(line)
    return Phase(name=name, requests=data["requests"], seconds=data["duration_us"] / 1e6,
                 p50_ms=data["p50_us"] / 1000, p95_ms=data["p95_us"] / 1000, p99_ms=data["p99_us"] / 1000,
                 non_2xx=data["non_2xx"], socket_errors=sum(data["socket"].values()),
                 statuses={str(k): v for k, v in data.get("statuses", {}).items()},
                 cpu_ms_per_request={group: (after[group] - before[group]) * 1000 / max(data["requests"], 1)
                                     for group in after})


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(server_pid: int) -> dict[str, float]:
    """CPU seconds used so far by the gunicorn processes (the server and its children), the
    PostgreSQL backends and wrk, read from /proc: where a completion's time goes."""
    used = {"app": 0.0, "postgres": 0.0, "wrk": 0.0}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        pid, ppid = int(entry.name), int(fields[1])
        seconds = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
        if pid == server_pid or ppid == server_pid:
            used["app"] += seconds
        elif name.startswith("postgres"):
            used["postgres"] += seconds
        elif name == "wrk":
            used["wrk"] += seconds
    return used


def need_wrk() -> None:
    if shutil.which("wrk") is None:
        raise BenchError("wrk is not installed: run `make setup` (it installs Debian's wrk package)")


# --------------------------------------------------------------------------- lost updates


def count_lost_updates(url: str, task_ids: list[int], ok: int, in_flight_max: int) -> tuple[int, dict[str, int]]:
    """Compare the answers with the database. wrk stops at its deadline with up to one request
    per connection still running: those completions happen but their answers are never read,
    so up to ``in_flight_max`` more completed tasks than 200 answers is expected, not lost."""
    from engine.db import Database
    from engine.workflow.models import AuditEvent, HumanTask, HumanTaskState

    db = Database(url)
    try:
        with db.transaction() as session:
            completed = set(session.scalars(select(HumanTask.instance_id).where(
                HumanTask.id.in_(task_ids), HumanTask.state == HumanTaskState.COMPLETED)))
            events = int(session.scalar(select(func.count()).select_from(AuditEvent).where(
                AuditEvent.kind == "task_completed")) or 0)
            next_ready = dict(session.execute(
                select(HumanTask.instance_id, func.count()).where(
                    HumanTask.bpmn_id == NEXT_TASK, HumanTask.state == HumanTaskState.READY)
                .group_by(HumanTask.instance_id)).all())
            still_open = int(session.scalar(select(func.count()).select_from(HumanTask).where(
                HumanTask.id.in_(task_ids), HumanTask.state == HumanTaskState.READY)) or 0)
    finally:
        db.dispose()
    unanswered = len(completed) - ok
    checks = {
        "ok_answers": ok, "completed_in_db": len(completed), "answered_after_cut_off": max(unanswered, 0),
        "answered_but_not_completed": max(-unanswered, 0),
        "events_not_matching": abs(len(completed) - events),
        "not_advanced_exactly_once": sum(1 for iid in completed if next_ready.get(iid) != 1),
        "advanced_without_completion": sum(1 for iid in next_ready if iid not in completed),
        "neither_open_nor_completed": len(task_ids) - len(completed) - still_open,
    }
    lost = (checks["answered_but_not_completed"] + max(unanswered - in_flight_max, 0)
            + checks["events_not_matching"] + checks["not_advanced_exactly_once"]
            + checks["advanced_without_completion"] + abs(checks["neither_open_nor_completed"]))
    return lost, checks


# --------------------------------------------------------------------------- report


def environment() -> dict[str, str]:
    from bench.engine import cpu_model

    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    version = (wrk.stdout or wrk.stderr).split("\n")[0].split(" [")[0]
    return {"cpu": cpu_model(), "cores": str(os.cpu_count()), "wrk": version}


def markdown(scale_name: str, scale: Scale, workers: int, phases: list[Phase], lost: int,
             checks: dict[str, int], env: dict[str, str], pg_version: str) -> str:
    today = dt.date.today().isoformat()
    rows = "\n".join(
        f"| {p.name} | {p.requests:,} | {p.per_s:,.0f} | {p.p50_ms:.1f} | {p.p95_ms:.1f} | {p.p99_ms:.1f} | "
        f"{p.errors} | {p.cpu_ms_per_request['app']:.1f} / {p.cpu_ms_per_request['postgres']:.1f} / "
        f"{p.cpu_ms_per_request['wrk']:.2f} |" for p in phases)
    completion = next(p for p in phases if p.name == "completion")
    verdict = "met" if completion.per_s >= 300 and completion.errors == 0 and lost == 0 else "NOT met"
    return f"""
## Load under gunicorn (issue 10 part 3) — {today}, scale {scale_name}

`.venv/bin/python bench/load.py` — {env['cpu']}, {env['cores']} cores, PostgreSQL {pg_version},
`guichet serve` with {workers} gunicorn workers, {env['wrk']} from a second process on loopback,
{scale.connections} connections. {scale.tasks:,} information dossiers waiting at "Register the
request"; every completion is a different task (POST /api/tasks/<id>/complete with a valid form).
The portal's consumption page comes with issue 9: `/portal/` stands in for it.

| phase | requests | per second | p50 ms | p95 ms | p99 ms | errors | CPU ms per request: app / PostgreSQL / wrk |
|---|---:|---:|---:|---:|---:|---:|---:|
{rows}

Lost updates: {lost} ({', '.join(f'{k} {v:,}' for k, v in checks.items())}).
Target 300 completions/s on PostgreSQL with no error and no lost update: **{verdict}**
({completion.per_s:,.0f} completions/s).
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="full")
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) * 2 + 1,
                        help="gunicorn workers (default: 2 x CPUs + 1, as `guichet serve`)")
    parser.add_argument("--docs", action=argparse.BooleanOptionalAction, default=None,
                        help="append to docs/benchmarks.md (default: at scale full)")
    options = parser.parse_args(argv)
    scale = SCALES[options.scale]
    need_wrk()
    url = os.environ.get("GUICHET_BENCH_LOAD_PG_URL", DEFAULT_PG_URL)

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    pg_version = recreate_database(url, "GUICHET_BENCH_LOAD_PG_URL")
    log(f"opening {scale.tasks:,} dossiers …")
    world = build_world(url, scale.tasks, log)
    phases: list[Phase] = []
    with tempfile.TemporaryDirectory(prefix="guichet-load-") as tmp:
        workdir = Path(tmp)
        ids_file = workdir / "task_ids.txt"
        ids_file.write_text("\n".join(str(i) for i in world.task_ids) + "\n")
        server = Server(url, options.workers, workdir)
        try:
            auth = {"Authorization": f"Bearer {world.token}", "User-Agent": USER_AGENT}

            def wrk(name: str, url: str, seconds: int, **kwargs: Any) -> Phase:
                return run_wrk(name, url, seconds=seconds, connections=scale.connections, threads=2,
                               server_pid=server.proc.pid, **kwargs)

            list_url = server.base + "/api/tasks?state=ready&limit=50"
            wrk("warm-up", list_url, 2, headers=auth)
            log("task list …")
            phases.append(wrk("task_list", list_url, scale.list_s, headers=auth))
            log("completions …")
            body = json.dumps(completion_form(dt.date.today()), separators=(",", ":"))
            completion = wrk("completion", server.base, scale.completion_s,
                             args=["complete", str(ids_file), "2", body], headers=auth)
            phases.append(completion)
            if completion.statuses.get("exhausted"):
                raise BenchError(f"wrk ran out of tasks ({completion.statuses['exhausted']} requests had none): "
                                 "raise the scale's task count")
            log("portal …")
            cookie = portal_cookie(server.base, world.portal_login, world.portal_password, world.portal_organisation_id,
                                  "C100200")
            phases.append(wrk("portal", server.base + "/portal/", scale.portal_s,
                              headers={"Cookie": cookie, "User-Agent": USER_AGENT}))
        finally:
            server.stop()
        lost, checks = count_lost_updates(url, world.task_ids, completion.statuses.get("200", 0), scale.connections)
    for p in phases:
        log(f"{p.name:11} {p.requests:>8,} requests {p.per_s:>8,.0f}/s  p50 {p.p50_ms:6.1f} ms  "
            f"p95 {p.p95_ms:6.1f} ms  p99 {p.p99_ms:6.1f} ms  errors {p.errors}  {p.statuses}  "
            f"CPU ms/request {({k: round(v, 2) for k, v in p.cpu_ms_per_request.items()})}")
    log(f"lost updates {lost}: {checks}")
    if options.docs if options.docs is not None else options.scale == "full":
        with DOCS_PATH.open("a", encoding="utf-8") as handle:
            handle.write(markdown(options.scale, scale, options.workers, phases, lost, checks, environment(),
                                  pg_version))
    completion = next(p for p in phases if p.name == "completion")
    print(json.dumps({"completions_per_s": round(completion.per_s, 1), "p95_ms": round(completion.p95_ms, 1),
                      "errors": sum(p.errors for p in phases), "lost_updates": lost}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
