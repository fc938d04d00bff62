"""Fault 2: the broker stopped and restarted, on a private redis-server (append-only file, as
docs/deployment.md asks) so nobody else's tests are disturbed.

While the broker is down, committed work is not lost: a job already queued stays in Redis's
append-only file; a command that creates a service call commits and answers normally (engine/
jobs.py logs that the broker is unreachable instead of turning a committed command into an error),
and its call waits as ``pending`` in the database — the outbox. When the broker is back, the SAME
worker and beat processes reconnect by themselves, the queued job runs, and beat's lost-call sweep
(``guichet.resend_service_calls``) sends the pending call again. Every call's effect happens once.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from engine.config import Settings
from engine.db import Database
from engine.workflow.models import ServiceCall
from tests.faults.conftest import FAULT_WORKER, deploy, services_on, snapshot, start, wait_completed
from tests.faults.operators import lines
from tests.support.processes import RedisServer, start_beat, start_worker, wait_until

pytestmark = pytest.mark.faults


def _call_id(db: Database, instance_id: int) -> int:
    with db.transaction() as session:
        return session.scalars(select(ServiceCall.id).where(ServiceCall.instance_id == instance_id)).one()


def test_broker_restart_loses_nothing_and_work_resumes(
    settings: Settings, db: Database, redis: RedisServer, tmp_path: Path, marker_dir: Path, worker_env: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    env = worker_env(redis.url)
    worker = beat = None
    try:
        worker = start_worker(tmp_path / "worker.log", env, queue="celery", command=FAULT_WORKER)
        beat = start_beat(tmp_path / "beat.log", env, command=FAULT_WORKER)
        worker_pid, beat_pid = worker.pid, beat.pid
        procs = [worker, beat]
        with services_on(settings, db, redis.url) as services:
            deploy(services, db, "slow_effect.bpmn")
            a = start(services, db, "fault_slow_effect", marker_dir=str(marker_dir), key="a", sleep_s=0.0)
            wait_completed(services, db, [a], lambda: procs)  # everything works before the fault

            # b keeps the only worker busy, so c's job waits in Redis when the broker stops
            b = start(services, db, "fault_slow_effect", marker_dir=str(marker_dir), key="b", sleep_s=4.0)
            wait_until(lambda: "b" in [line.split()[0] for line in lines(marker_dir, "started.log")], 15,
                       lambda: f"b never started:\n{worker.log()[-4000:]}")
            c = start(services, db, "fault_slow_effect", marker_dir=str(marker_dir), key="c", sleep_s=0.0)
            c_job = f'"argsrepr": "({_call_id(db, c)},)"'
            assert c_job in redis.call("LRANGE", "celery", "0", "-1")  # c's job waits in the broker

            redis.stop()  # SIGTERM: Redis writes its append-only file and exits
            aof = "".join(p.read_text(errors="replace") for p in (redis.directory / "appendonlydir").glob("*.aof"))
            assert c_job in aof  # ...and is on disk, to be loaded again at the restart

            started = time.monotonic()
            d = start(services, db, "fault_slow_effect", marker_dir=str(marker_dir), key="d", sleep_s=0.0)
            assert time.monotonic() - started < 10  # the command answered; its job could not be sent
            assert snapshot(services, db, d).calls == [("effect", "pending", 0)]  # kept in the outbox
            time.sleep(3.0)  # the worker and beat see the broker gone meanwhile
            assert worker.alive() and beat.alive()

            redis.start()  # same port, same data directory

            snaps = wait_completed(services, db, [b, c, d], lambda: procs, timeout=40)
            time.sleep(2.0)  # later sweeps and redeliveries must find nothing left to do
            assert sorted(lines(marker_dir, "effects.log")) == ["a", "b", "c", "d"]  # each effect once
            for instance_id in (b, c, d):
                snap = snapshot(services, db, instance_id)
                assert snap.calls[0][:2] == ("effect", "done") and snap.visits.count("end") == 1
            assert snaps[d].calls == [("effect", "done", 1)]
            # no restart of Guichet: the same worker and beat processes did it
            assert worker.alive() and beat.alive() and (worker.pid, beat.pid) == (worker_pid, beat_pid)
            assert "guichet.resend_service_calls" in worker.log()
            assert any("broker unreachable" in r.getMessage() and r.levelname == "WARNING" for r in caplog.records)
    finally:
        for process in (beat, worker):
            if process is not None:
                process.stop()
