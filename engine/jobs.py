"""The Celery app and the engine's background jobs.

Jobs: run a service call (operator in the worker, retries with back-off, incident after the last
retry), fire due timers (one beat, instances found by the ``next_timer_at`` index, each fired in
its own transaction, idempotently), re-send service calls whose message was lost, and roll up
the closed element visits for the heat map (engine/workflow/heat_rollup.py).

The worker needs a database and an engine; the composition root (``webapp.bootstrap``) binds
them with :func:`bind`, so this module imports nothing outside ``engine``.
"""

from __future__ import annotations

import datetime as dt
import logging
import traceback
from dataclasses import dataclass
from typing import Any

import kombu.exceptions
import kombu.transport.sqlalchemy
from celery import Celery

from engine.config import Settings
from engine.db import Database
from engine.workflow import heat_rollup
from engine.workflow.errors import ConflictError
from engine.workflow.runtime import WorkflowEngine

log = logging.getLogger(__name__)

# kombu's SQLAlchemy transport polls once a second by default; the embedded broker answers
# faster this way (passing polling_interval as a transport option crashes this transport).
kombu.transport.sqlalchemy.Transport.polling_interval = 0.1

celery = Celery("guichet")
celery.conf.update(
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_ignore_result=True,
    broker_connection_retry_on_startup=True,
    timezone="UTC",
)


@dataclass
class _Runtime:
    db: Database
    engine: WorkflowEngine


_runtime: _Runtime | None = None


def configure(settings: Settings) -> None:
    celery.conf.update(
        broker_url=settings.broker_url,
        task_always_eager=settings.jobs_eager,
        task_eager_propagates=False,
        beat_schedule={
            "fire-due-timers": {"task": "guichet.fire_due_timers", "schedule": settings.timer_interval_s},
            "resend-lost-service-calls": {
                "task": "guichet.resend_service_calls",
                "schedule": settings.resend_interval_s,
                "kwargs": {"older_than_s": settings.resend_after_s},
            },
            "roll-up-visits": {"task": "guichet.roll_up_visits", "schedule": heat_rollup.BEAT_INTERVAL_S},
        },
    )


def bind(db: Database, engine: WorkflowEngine) -> None:
    """Give the jobs their database and engine, and make the engine send service calls here."""
    global _runtime
    _runtime = _Runtime(db, engine)
    engine.dispatch_service_calls = send_service_calls


def runtime() -> _Runtime:
    if _runtime is None:
        raise RuntimeError("engine.jobs.bind() was not called: start the worker through `guichet worker`")
    return _runtime


def send_service_calls(call_ids: list[int]) -> None:
    """Send one job per call. Runs after the commit that created the calls, so a broker that is
    down must not turn a committed command into an error page: the calls stay ``pending`` in the
    database (the outbox) and the lost-call sweep sends them again once the broker is back."""
    for position, call_id in enumerate(call_ids):
        try:
            run_service_call.delay(call_id)
        except (kombu.exceptions.OperationalError, OSError) as exc:
            log.warning(
                "broker unreachable (%s): service calls %s stay pending until the lost-call sweep re-sends them",
                type(exc).__name__, call_ids[position:],
            )
            return


@celery.task(name="guichet.run_service_call", bind=True, max_retries=None)
def run_service_call(self: Any, call_id: int) -> str:
    rt = runtime()
    with rt.db.transaction() as session:
        call = rt.engine.start_service_call(session, call_id)
        if call is None:
            return "skipped"
        operator, params, attempts, max_retries = call.operator, dict(call.params), call.attempts, call.max_retries
    try:
        result = rt.engine.operators.execute(operator, params)
    except Exception as exc:
        final = attempts > max_retries
        with rt.db.transaction() as session:
            rt.engine.note_service_failure(session, call_id, exc, traceback.format_exc(), final=final)
        if final:
            log.warning("service call %s (%s) failed for good: %s", call_id, operator, exc)
            return "incident"
        backoff = rt.engine.operators.get(operator).retry_backoff_s * (2 ** (attempts - 1))
        raise self.retry(countdown=backoff, exc=exc) from exc
    for _ in range(3):  # the instance may be changed by a person at the same moment: try again
        try:
            with rt.db.transaction() as session:
                rt.engine.finish_service_call(session, call_id, result)
            return "done"
        except ConflictError:
            continue
    raise RuntimeError(f"service call {call_id}: instance kept changing; will be re-sent")


@celery.task(name="guichet.fire_due_timers")
def fire_due_timers(limit: int = 500) -> int:
    rt = runtime()
    now = dt.datetime.now(dt.UTC)
    with rt.db.transaction() as session:
        due = rt.engine.due_timer_instances(session, now, limit)
    fired = 0
    for instance_id in due:
        try:
            with rt.db.transaction() as session:
                fired += rt.engine.fire_timers(session, instance_id, now)
        except ConflictError:
            continue  # someone changed the instance meanwhile; the next beat looks again
        except Exception:
            log.exception("firing timers of instance %s failed", instance_id)
    return fired


@celery.task(name="guichet.resend_service_calls")
def resend_service_calls(older_than_s: float = 300.0) -> int:
    rt = runtime()
    with rt.db.transaction() as session:
        ids = rt.engine.pending_service_calls(session, dt.timedelta(seconds=older_than_s))
    send_service_calls(ids)
    return len(ids)


@celery.task(name="guichet.roll_up_visits")
def roll_up_visits() -> int:
    """Add the visits closed since the last run to the heat map's totals (engine/workflow/heat_rollup.py)."""
    with runtime().db.transaction() as session:
        return heat_rollup.roll_up_visits(session).cells
