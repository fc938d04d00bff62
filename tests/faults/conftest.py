"""Fixtures of the fault tests: services that send jobs to a real broker (never eagerly), the
worker command with the fault operators, and readers of what the workers did."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from engine import jobs
from engine.config import Settings
from engine.db import Database
from engine.workflow.models import (
    AuditEvent,
    ElementVisit,
    InstanceStatus,
    ProcessInstance,
    ServiceCall,
)
from tests.faults import operators as fault_operators
from tests.support.processes import forget_broker_connections, guichet_env, redis_server, wait_until
from webapp.bootstrap import Services, build_services

DIAGRAMS = Path(__file__).parent / "diagrams"
FAULT_WORKER = [sys.executable, "-m", "tests.faults.fault_worker"]
# Short periods so that a test sees the sweep and the timers within seconds (production: 60 s,
# 300 s and 5 s, docs/deployment.md).
FAST_JOBS_ENV = {"GUICHET_TIMER_INTERVAL": "1", "GUICHET_RESEND_INTERVAL": "1", "GUICHET_RESEND_AFTER": "3"}
WAIT_S = 25.0


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "faults: makes a production fault really happen (tests/faults)")


@contextmanager
def services_on(settings: Settings, db: Database, broker_url: str, queue: str = "celery") -> Iterator[Services]:
    """Services of the test process sending jobs to ``broker_url`` (queue ``queue``), not eagerly,
    with the fault operators registered (so their diagrams deploy)."""
    saved = {key: jobs.celery.conf[key] for key in ("broker_url", "task_always_eager", "task_default_queue")}
    services = build_services(dataclasses.replace(settings, broker_url=broker_url, jobs_eager=False), db)
    fault_operators.register(services.engine.operators)
    jobs.celery.conf.task_default_queue = queue
    forget_broker_connections()
    try:
        yield services
    finally:
        jobs.celery.conf.update(saved)
        forget_broker_connections()


@pytest.fixture
def marker_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "markers"
    folder.mkdir()
    return folder


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[Any]:
    with redis_server(tmp_path / "redis") as server:
        yield server


@pytest.fixture
def worker_env(tmp_path: Path, database_url: str) -> Any:
    """The environment of worker and beat processes on a given broker."""
    def make(broker_url: str) -> dict[str, str]:
        return guichet_env(database_url, broker_url, tmp_path / "worker-instance", **FAST_JOBS_ENV)

    return make


def deploy(services: Services, db: Database, name: str) -> int:
    with db.transaction() as session:
        return services.engine.deploy(session, (DIAGRAMS / name).read_text(), name).version.id


def start(services: Services, db: Database, process: str, **data: Any) -> int:
    with db.transaction() as session:
        return services.engine.start(session, process, data=data).id


@dataclasses.dataclass
class Snapshot:
    status: str
    version_id: int
    data: dict[str, Any] | None
    calls: list[tuple[str, str, int]]  # (bpmn id, status, attempts)
    audit: list[str]
    visits: list[str]  # bpmn ids of the closed visits, in order


def snapshot(services: Services, db: Database, instance_id: int) -> Snapshot:
    with db.transaction() as session:
        instance = session.get(ProcessInstance, instance_id)
        assert instance is not None
        calls = session.execute(
            select(ServiceCall.bpmn_id, ServiceCall.status, ServiceCall.attempts)
            .where(ServiceCall.instance_id == instance_id).order_by(ServiceCall.id)
        ).all()
        audit = session.scalars(
            select(AuditEvent.kind).where(AuditEvent.instance_id == instance_id).order_by(AuditEvent.id)
        ).all()
        visits = session.scalars(
            select(ElementVisit.bpmn_id)
            .where(ElementVisit.instance_id == instance_id, ElementVisit.left_at.is_not(None))
            .order_by(ElementVisit.id)
        ).all()
        data = services.engine.task_data(instance) if instance.status == InstanceStatus.COMPLETED else None
        return Snapshot(str(instance.status), instance.process_version_id, data,
                        [(b, str(s), a) for b, s, a in calls], list(audit), list(visits))


def wait_completed(services: Services, db: Database, instance_ids: list[int], logs: Any, timeout: float = WAIT_S
                   ) -> dict[int, Snapshot]:
    """Wait until every instance completed; on time-out show their state and the process logs."""
    def done() -> dict[int, Snapshot] | None:
        snaps = {i: snapshot(services, db, i) for i in instance_ids}
        return snaps if all(s.status == InstanceStatus.COMPLETED for s in snaps.values()) else None

    def state() -> str:
        snaps = {i: snapshot(services, db, i) for i in instance_ids}
        return f"instances not completed: {snaps}\n" + "\n".join(p.log()[-6000:] for p in logs())

    return wait_until(done, timeout, state, interval=0.2)


def count_audit(db: Database, instance_id: int, kind: str) -> int:
    with db.transaction() as session:
        return session.scalar(
            select(func.count()).select_from(AuditEvent)
            .where(AuditEvent.instance_id == instance_id, AuditEvent.kind == kind)
        ) or 0
