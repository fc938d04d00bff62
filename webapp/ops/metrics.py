"""Prometheus metrics. Import this module lazily (from :func:`webapp.ops.init_ops`): under
gunicorn, ``prometheus_client`` must first see PROMETHEUS_MULTIPROC_DIR, which ``guichet serve``
sets before its workers build the app; each process then writes its samples to files there and
``/metrics`` adds them up (the Celery worker too, when it shares the folder).

- requests by endpoint, method and status, with a latency histogram per endpoint;
- human tasks completed (counted after the commit, so a refused completion never counts);
- background jobs by task and outcome, with their run time (Celery's prerun/postrun signals);
- at scrape time, from cheap COUNT queries: open incidents, ready human tasks per queue, and
  service calls waiting for a worker (the job backlog, whatever the broker).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import event as sa_event
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.db import Database
from engine.workflow.models import HumanTask, HumanTaskState, Incident, IncidentStatus, ServiceCall, ServiceCallStatus
from engine.workflow.runtime import WorkflowEngine

REQUESTS = Counter("guichet_http_requests", "HTTP requests answered", ["endpoint", "method", "status"])
REQUEST_LATENCY = Histogram(
    "guichet_http_request_duration_seconds", "Time to answer an HTTP request", ["endpoint"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
TASKS_COMPLETED = Counter("guichet_human_tasks_completed", "Human tasks completed (committed)", ["process"])
JOBS = Counter("guichet_jobs", "Background jobs finished", ["task", "state"])
JOB_LATENCY = Histogram(
    "guichet_job_duration_seconds", "Run time of a background job", ["task"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
)

_PENDING_KEY = "guichet_metrics_completed"


def observe_request(endpoint: str, method: str, status: int, duration_s: float | None) -> None:
    REQUESTS.labels(endpoint, method, str(status)).inc()
    if duration_s is not None:
        REQUEST_LATENCY.labels(endpoint).observe(duration_s)


# ----------------------------------------------------------------------------- task completions


class TaskCompletionCounter:
    """``WorkflowEngine.on_task_completed`` listener. The listener runs inside the transaction;
    the count waits for the commit (and is dropped by a rollback)."""

    def __call__(self, session: Session, instance: Any, human_task: HumanTask, _cleaned: Any) -> None:
        pending: list[str] | None = session.info.get(_PENDING_KEY)
        if pending is None:
            pending = session.info[_PENDING_KEY] = []
            sa_event.listen(session, "after_commit", _count_committed)
            sa_event.listen(session, "after_soft_rollback", _forget_pending)
        pending.append(human_task.process_key)


def _count_committed(session: Session) -> None:
    for process in session.info.get(_PENDING_KEY) or []:
        TASKS_COMPLETED.labels(process).inc()
    session.info[_PENDING_KEY] = []


def _forget_pending(session: Session, _previous_transaction: Any) -> None:
    session.info[_PENDING_KEY] = []


def install_task_counter(engine: WorkflowEngine) -> None:
    if not any(isinstance(listener, TaskCompletionCounter) for listener in engine.on_task_completed):
        engine.on_task_completed.append(TaskCompletionCounter())


# ----------------------------------------------------------------------------- Celery jobs

_job_started: dict[str, float] = {}


def _job_prerun(task_id: str | None = None, **_kwargs: Any) -> None:
    if task_id:
        _job_started[task_id] = time.perf_counter()


def _job_postrun(task_id: str | None = None, task: Any = None, state: str | None = None, **_kwargs: Any) -> None:
    started = _job_started.pop(task_id or "", None)
    name = getattr(task, "name", None) or "unknown"
    JOBS.labels(name, state or "UNKNOWN").inc()
    if started is not None:
        JOB_LATENCY.labels(name).observe(time.perf_counter() - started)


def install_job_signals() -> None:
    from celery.signals import task_postrun, task_prerun

    task_prerun.connect(_job_prerun, weak=False, dispatch_uid="guichet-metrics-prerun")
    task_postrun.connect(_job_postrun, weak=False, dispatch_uid="guichet-metrics-postrun")


# ----------------------------------------------------------------------------- scrape


class BacklogCollector:
    """Gauges computed when Prometheus scrapes: three COUNT queries on indexed columns."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def describe(self) -> list[Metric]:
        return []  # computed per scrape: nothing to check for duplicates at registration

    def collect(self) -> Iterator[Metric]:
        ok = GaugeMetricFamily("guichet_metrics_database_up", "1 when the backlog gauges could be read")
        try:
            with self.db.sessionmaker() as session:
                incidents = session.scalar(select(func.count()).select_from(Incident)
                                           .where(Incident.status == IncidentStatus.OPEN)) or 0
                ready = session.execute(select(HumanTask.queue, func.count()).where(
                    HumanTask.state == HumanTaskState.READY).group_by(HumanTask.queue)).all()
                pending = session.scalar(select(func.count()).select_from(ServiceCall).where(
                    ServiceCall.status == ServiceCallStatus.PENDING)) or 0
        except Exception:
            ok.add_metric([], 0)
            yield ok
            return
        ok.add_metric([], 1)
        yield ok
        yield GaugeMetricFamily("guichet_incidents_open", "Incidents waiting for someone", value=incidents)
        queue = GaugeMetricFamily("guichet_human_tasks_ready", "Open human tasks per queue", labels=["queue"])
        for name, count in ready:
            queue.add_metric([name or ""], count)
        yield queue
        yield GaugeMetricFamily("guichet_service_calls_pending", "Service calls waiting for a worker",
                                value=pending)


def render(db: Database) -> tuple[bytes, str]:
    """The exposition text: this process's (or every process's, in multiprocess mode) counters
    and histograms, then the backlog gauges."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    backlog = CollectorRegistry(auto_describe=False)
    backlog.register(BacklogCollector(db))  # type: ignore[arg-type]
    return generate_latest(registry) + generate_latest(backlog), CONTENT_TYPE_LATEST
