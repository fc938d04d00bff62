"""A service call goes through a real broker to a real worker process and back.

The worker is ``guichet worker`` in its own process, on RabbitMQ (running on this machine and
CI's), with the test database of this run (SQLite file shared between the processes, or
PostgreSQL). The test process starts an instance with jobs NOT eager, so the service call is
only sent to the broker; it then polls the database until the worker has moved the instance on.
"""

from __future__ import annotations

import dataclasses
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from kombu import Connection
from sqlalchemy import select

from engine import jobs
from engine.config import Settings
from engine.db import Database
from engine.workflow.models import InstanceStatus, ProcessInstance, ServiceCall, ServiceCallStatus
from tests.support.processes import forget_broker_connections, guichet_env, start_worker
from webapp.bootstrap import Services, build_services

pytestmark = pytest.mark.broker

DIAGRAM = Path(__file__).parent / "diagrams" / "echo.bpmn"
AMQP_URL = os.environ.get("GUICHET_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")
TIMEOUT_S = 30.0


@pytest.fixture
def queue_name() -> str:
    return f"guichet-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def rabbitmq(queue_name: str) -> Iterator[str]:
    try:
        with Connection(AMQP_URL, connect_timeout=5) as conn:
            conn.ensure_connection(max_retries=1)
    except Exception as exc:
        pytest.fail(f"RabbitMQ is needed at {AMQP_URL} (it runs on this machine and CI's): {exc}")
    yield AMQP_URL
    with Connection(AMQP_URL, connect_timeout=5) as conn:
        conn.default_channel.queue_delete(queue_name)


@pytest.fixture
def services(settings: Settings, db: Database, rabbitmq: str, queue_name: str) -> Iterator[Services]:
    """Services that send jobs to RabbitMQ (not eagerly), on this test's own queue."""
    saved = {key: jobs.celery.conf[key] for key in ("broker_url", "task_always_eager", "task_default_queue")}
    services = build_services(dataclasses.replace(settings, broker_url=rabbitmq, jobs_eager=False), db)
    jobs.celery.conf.task_default_queue = queue_name
    forget_broker_connections()
    yield services
    jobs.celery.conf.update(saved)
    forget_broker_connections()


@pytest.fixture
def worker(tmp_path: Path, database_url: str, rabbitmq: str, queue_name: str) -> Iterator[Path]:
    """``guichet worker`` in its own process; yields the path of its log."""
    env = guichet_env(database_url, rabbitmq, tmp_path / "worker-instance")
    process = start_worker(tmp_path / "worker.log", env, queue=queue_name)
    try:
        yield process.log_path
    finally:
        process.stop()


def test_a_service_call_runs_in_a_real_worker(services: Services, db: Database, worker: Path) -> None:
    assert not jobs.celery.conf.task_always_eager
    with db.transaction() as session:
        services.engine.deploy(session, DIAGRAM.read_text(), "echo.bpmn")
    with db.transaction() as session:
        instance_id = services.engine.start(session, "echo_test").id
    # committed: the service call now waits in RabbitMQ for the worker process

    deadline = time.monotonic() + TIMEOUT_S
    while True:
        with db.transaction() as session:
            instance = session.get(ProcessInstance, instance_id)
            assert instance is not None
            call = session.scalar(select(ServiceCall).where(ServiceCall.instance_id == instance_id))
            status = instance.status
            call_status = call.status if call else None
            data = services.engine.task_data(instance) if status == InstanceStatus.COMPLETED else None
        if status == InstanceStatus.COMPLETED:
            break
        if time.monotonic() > deadline:
            pytest.fail(
                f"after {TIMEOUT_S:.0f} s the instance is {status} and its service call {call_status}; "
                f"worker log:\n{worker.read_text(errors='replace')}"
            )
        time.sleep(0.2)

    assert call_status == ServiceCallStatus.DONE
    assert data is not None
    assert data["echoed"] == "hello"
    assert data["shout"] == "HELLO"  # the script after the service task ran on the result
    log = worker.read_text(errors="replace")
    assert "guichet.run_service_call" in log and "succeeded" in log, log
