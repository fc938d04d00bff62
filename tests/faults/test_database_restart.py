"""Fault 3: the database restarted under load.

A private PostgreSQL cluster (tests/support/processes.py: initdb + pg_ctl on a free port, as the
``postgres`` user when run as root) so the machine's shared server is never touched; this test
needs no shared database and runs in both suites. ``guichet serve`` (gunicorn, two processes)
answers API reads from four client threads; the cluster is stopped in immediate mode (a crash)
and started again.

While it is down, every request fails at once and cleanly (a 503 with Retry-After and the API's
error document, which says nothing was saved and to try again; no hang) and ``/readyz`` says the
database is down. Once it is up, every request succeeds again, with the same gunicorn
processes: the pool's pre-ping (engine/db.py ``pool_pre_ping``) throws away the connections the
restart broke before a request sees one.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from engine.access.models import Role
from engine.access.users import create_user, issue_token
from engine.db import Base, Database
from engine.ops.heartbeat import record_heartbeat
from tests.support.processes import Server, postgres_cluster, redis_server, serve, wait_until

pytestmark = pytest.mark.faults

CLIENTS = 4
PATH = "/api/process-versions"


@dataclass
class Hit:
    started: float
    ended: float
    status: int
    body: bytes


class Load:
    """Client threads sending the same authenticated API read again and again."""

    def __init__(self, server: Server, token: str) -> None:
        self.server = server
        self.headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        self.hits: list[Hit] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(CLIENTS)]

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                status, body, _ = self.server.get(PATH, self.headers)
            except OSError as exc:  # a refused or reset connection would be a failure too
                status, body = 0, repr(exc).encode()
            with self._lock:
                self.hits.append(Hit(started, time.monotonic(), status, body))
            time.sleep(0.02)

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=15)

    def between(self, start: float, end: float) -> list[Hit]:
        with self._lock:
            return [h for h in self.hits if start <= h.started and h.ended <= end]

    def wait_for(self, count: int, after: float) -> None:
        wait_until(lambda: len(self.between(after, float("inf"))) >= count, 20,
                   lambda: f"only {len(self.between(after, float('inf')))} requests answered")


def test_database_restart_under_load(tmp_path: Path) -> None:
    with postgres_cluster() as pg, redis_server(tmp_path / "redis") as redis:  # redis: /readyz's broker
        database = Database(pg.url)
        Base.metadata.create_all(database.engine)
        with database.transaction() as session:
            user = create_user(session, "probe@example.org", "Probe", "A long enough Password 42",
                               {Role.ADMINISTRATOR})
            token = issue_token(session, user, "fault test")
            record_heartbeat(session, "fault-test-worker")  # /readyz also wants a recent worker
        database.dispose()

        with serve(tmp_path, pg.url, redis.url, workers=2) as server, Load(server, token) as load:
            assert server.json("/readyz")[0] == 200
            t0 = time.monotonic()
            load.wait_for(20, t0)
            before = load.between(t0, time.monotonic())
            assert {h.status for h in before} == {200}

            pg.stop("immediate")  # a crash: no goodbye to the connections in the pools
            t_down = time.monotonic()
            status, ready = server.json("/readyz")
            assert status == 503 and "database" in ready["failing"] and ready["checks"]["database"]["ok"] is False
            load.wait_for(20, t_down)
            down = load.between(t_down, time.monotonic())
            assert down and {h.status for h in down} == {503}, {h.status for h in down}
            assert max(h.ended - h.started for h in down) < 5  # failing fast, not hanging
            error = json.loads(down[-1].body)["error"]  # the API's error document, not a stack trace
            assert error["code"] == "database_unavailable" and "try again" in error["message"].lower()

            pg.start()  # same data, same port
            t_up = time.monotonic()
            load.wait_for(30, t_up)
            after = load.between(t_up, time.monotonic())
            assert {h.status for h in after} == {200}, [(h.status, h.body[:200]) for h in after if h.status != 200]
            status, ready = server.json("/readyz")
            assert status == 200, ready

            # no restart of Guichet: the master and its two first web processes served it all
            assert server.process.alive()
            booted = [line for line in server.log_path.read_text().splitlines() if "Booting worker" in line]
            assert len(booted) == 2, booted

