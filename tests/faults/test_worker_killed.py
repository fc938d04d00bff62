"""Fault 1: a Celery worker killed (SIGKILL) in the middle of a service call.

What recovers it: jobs are acknowledged late (``task_acks_late``), so the broker still holds the
job of a call that was running. RabbitMQ hands it out again as soon as the dead worker's
connection drops; a pool child killed under a living worker is requeued by that worker
(``task_reject_on_worker_lost``). The engine then makes the second delivery safe: the call row is
still ``running``, so the next attempt runs the operator and moves the instance on, and any later
delivery finds it ``done`` and is skipped.

The operator (tests/faults/operators.py) records its start, sleeps on the first attempt, then
records its effect: the kill lands during the sleep, so the first attempt leaves a start and no
effect. Afterwards: two starts, ONE effect, one completion, one token through each element.

On the machine's RabbitMQ (as tests/jobs/test_real_worker.py), on a queue of this test's own.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from kombu import Connection

from engine.config import Settings
from engine.db import Database
from tests.faults.conftest import FAULT_WORKER, count_audit, deploy, services_on, snapshot, start, wait_completed
from tests.faults.operators import lines
from tests.support.processes import Process, start_worker, wait_until
from webapp.bootstrap import Services

pytestmark = [pytest.mark.faults, pytest.mark.broker]

AMQP_URL = os.environ.get("GUICHET_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")


@pytest.fixture
def queue() -> Iterator[str]:
    name = f"guichet-fault-{uuid.uuid4().hex[:12]}"
    try:
        with Connection(AMQP_URL, connect_timeout=5) as conn:
            conn.ensure_connection(max_retries=1)
    except Exception as exc:
        pytest.fail(f"RabbitMQ is needed at {AMQP_URL} (it runs on this machine and CI's): {exc}")
    yield name
    with Connection(AMQP_URL, connect_timeout=5) as conn:
        conn.default_channel.queue_delete(name)


@pytest.fixture
def services(settings: Settings, db: Database, queue: str) -> Iterator[Services]:
    with services_on(settings, db, AMQP_URL, queue) as services:
        yield services


def _assert_ran_once(services: Services, db: Database, instance_id: int, marker_dir: Path, key: str) -> None:
    snap = snapshot(services, db, instance_id)
    assert [line.split()[0] for line in lines(marker_dir, "started.log")] == [key, key]  # killed, then retried
    assert lines(marker_dir, "effects.log") == [key]  # the side effect happened once
    assert snap.calls == [("effect", "done", 2)]
    assert snap.data is not None and snap.data["done_key"] == key.upper()
    assert count_audit(db, instance_id, "service_call_done") == 1
    assert snap.visits.count("effect") == 1 and snap.visits.count("after") == 1  # no duplicate token
    assert snap.visits.count("end") == 1


def test_worker_killed_mid_call_is_redelivered_and_runs_once(
    services: Services, db: Database, queue: str, tmp_path: Path, database_url: str, marker_dir: Path,
    worker_env: object,
) -> None:
    env = worker_env(AMQP_URL)  # type: ignore[operator]
    processes: list[Process] = []
    try:
        first = start_worker(tmp_path / "worker-1.log", env, queue=queue, command=FAULT_WORKER,
                             pool="prefork", concurrency=1)
        processes.append(first)
        deploy(services, db, "slow_effect.bpmn")
        instance_id = start(services, db, "fault_slow_effect", marker_dir=str(marker_dir), key="k1", sleep_s=30.0)
        wait_until(lambda: lines(marker_dir, "started.log"), 20, lambda: f"the call never started:\n{first.log()}")

        first.kill()  # SIGKILL to the worker and its pool child: the machine died mid-call
        assert not first.alive()
        snap = snapshot(services, db, instance_id)
        assert snap.status == "waiting" and snap.calls == [("effect", "running", 1)]
        assert lines(marker_dir, "effects.log") == []

        second = start_worker(tmp_path / "worker-2.log", env, queue=queue, command=FAULT_WORKER)
        processes.append(second)
        wait_completed(services, db, [instance_id], lambda: processes)
        time.sleep(1.0)  # nothing else arrives late
        _assert_ran_once(services, db, instance_id, marker_dir, "k1")
    finally:
        for process in processes:
            process.stop()


def test_pool_child_killed_mid_call_is_requeued_by_its_worker(
    services: Services, db: Database, queue: str, tmp_path: Path, marker_dir: Path, worker_env: object,
) -> None:
    env = worker_env(AMQP_URL)  # type: ignore[operator]
    worker = start_worker(tmp_path / "worker.log", env, queue=queue, command=FAULT_WORKER,
                          pool="prefork", concurrency=1)
    try:
        deploy(services, db, "slow_effect.bpmn")
        instance_id = start(services, db, "fault_slow_effect", marker_dir=str(marker_dir), key="k2", sleep_s=30.0)
        started = wait_until(lambda: lines(marker_dir, "started.log"), 20,
                             lambda: f"the call never started:\n{worker.log()}")
        child = int(started[0].split()[1])
        assert child != worker.pid  # the call runs in a pool child
        os.kill(child, signal.SIGKILL)

        wait_completed(services, db, [instance_id], lambda: [worker])
        time.sleep(1.0)
        _assert_ran_once(services, db, instance_id, marker_dir, "k2")
        assert worker.alive()  # the same worker took the job back and ran it in a new child
        assert f"pid:{child} exited with 'signal 9 (SIGKILL)'" in worker.log()
    finally:
        worker.stop()
