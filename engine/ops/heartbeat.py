"""The worker heartbeat: a beat job that a worker runs every 30 s, leaving a timestamp row.

Why a row rather than Celery's ``inspect ping``: a fresh row proves the whole background chain
works — beat schedules, the broker carries, a worker runs, the database commits — which is what
timers and service calls need. Reading it is one cheap SELECT, with no broadcast to wait for
(``inspect ping`` waits its whole timeout when no worker answers, and the embedded SQLite broker
cannot broadcast at all). The web's ``/readyz`` compares its age with a limit.
"""

from __future__ import annotations

import datetime as dt
import socket

from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine.db import Base, utcnow
from engine.jobs import celery, runtime

BEAT_ENTRY = "worker-heartbeat"
TASK_NAME = "guichet.heartbeat"
INTERVAL_S = 30.0


class WorkerHeartbeat(Base):
    """The last time a worker ran the heartbeat job (one row per worker host name)."""

    __tablename__ = "worker_heartbeats"

    worker: Mapped[str] = mapped_column(String(255), primary_key=True)
    beat_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


def configure(interval_s: float = INTERVAL_S) -> None:
    """Add the beat entry (called by the composition root after ``jobs.configure``)."""
    schedule = dict(celery.conf.beat_schedule or {})
    # expires: a heartbeat queued behind a long backlog is worthless once the next one is due
    schedule[BEAT_ENTRY] = {"task": TASK_NAME, "schedule": interval_s, "options": {"expires": interval_s}}
    celery.conf.beat_schedule = schedule


def record_heartbeat(session: Session, worker: str, now: dt.datetime | None = None) -> None:
    row = session.get(WorkerHeartbeat, worker)
    if row is None:
        session.add(WorkerHeartbeat(worker=worker, beat_at=now or utcnow()))
    else:
        row.beat_at = now or utcnow()


def latest_heartbeat(session: Session) -> dt.datetime | None:
    """When any worker last ran the heartbeat job (None: never)."""
    return session.scalar(select(WorkerHeartbeat.beat_at).order_by(WorkerHeartbeat.beat_at.desc()).limit(1))


@celery.task(name=TASK_NAME, ignore_result=True)
def heartbeat() -> str:
    worker = socket.gethostname()
    with runtime().db.transaction() as session:
        record_heartbeat(session, worker)
    return worker
