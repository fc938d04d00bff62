"""The monthly mail of saved reports: the Celery beat job ``guichet.send_scheduled_reports``.

Every beat (hourly) the job looks for monthly reports not yet sent this month, i.e. whose
``last_sent_at`` (or, never sent, whose creation) is before the first day of the current month:
on the 1st they all are; a report created during the month waits for the next 1st; a beat missed
on the 1st (worker down) is caught up by the next one. Each report runs over the previous
calendar month and goes out as an .xlsx attachment.

Never twice a month: the report is claimed with a conditional UPDATE (``last_sent_at`` still
before the month start) in the same transaction as the sending, so two beats at once send it
once, and a failed sending rolls the claim back for the next beat to try again.

engine/ cannot import the mail integration nor the web app's labels and workbooks: the
composition root (webapp/bootstrap.py) binds a :data:`ReportMailer` that renders and sends one
report (webapp/monitoring/report_mail.py, through integrations/mail/outgoing.py).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from engine.config import Settings
from engine.db import Database, utcnow
from engine.jobs import celery, runtime
from engine.monitoring.reports import SavedReport

log = logging.getLogger(__name__)

BEAT_ENTRY = "send-scheduled-reports"
BEAT_INTERVAL_S = 3600.0

# (session, report, period start, period end) -> None; raises when the report could not be sent
ReportMailer = Callable[[Session, SavedReport, dt.datetime, dt.datetime], None]
_mailer: ReportMailer | None = None


def configure(settings: Settings, mailer: ReportMailer) -> None:
    """Add the beat entry and remember who renders and sends a report."""
    global _mailer
    _mailer = mailer
    schedule = dict(celery.conf.beat_schedule or {})
    schedule[BEAT_ENTRY] = {"task": "guichet.send_scheduled_reports", "schedule": BEAT_INTERVAL_S}
    celery.conf.beat_schedule = schedule


def month_start(moment: dt.datetime) -> dt.datetime:
    moment = moment.astimezone(dt.UTC)
    return dt.datetime(moment.year, moment.month, 1, tzinfo=dt.UTC)


def previous_month(moment: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The calendar month before ``moment``'s, as [start, end) in UTC."""
    end = month_start(moment)
    return month_start(end - dt.timedelta(days=1)), end


def _not_sent_since(since: dt.datetime) -> object:
    return and_(SavedReport.schedule == "monthly",
                or_(SavedReport.last_sent_at < since,
                    and_(SavedReport.last_sent_at.is_(None), SavedReport.created_at < since)))


def due_report_ids(session: Session, now: dt.datetime) -> list[int]:
    return list(session.scalars(select(SavedReport.id).where(_not_sent_since(month_start(now)))
                                .order_by(SavedReport.id)))


def send_due_reports(db: Database, mailer: ReportMailer, now: dt.datetime | None = None) -> list[int]:
    """Send every monthly report due at ``now``; returns the ids sent. One transaction per
    report: a report that fails is logged and left due, the others still go."""
    now = now or utcnow()
    since = month_start(now)
    start, end = previous_month(now)
    with db.transaction() as session:
        due = due_report_ids(session, now)
    sent = []
    for report_id in due:
        try:
            with db.transaction() as session:
                claimed = session.execute(
                    update(SavedReport).where(SavedReport.id == report_id, _not_sent_since(since))
                    .values(last_sent_at=now)
                    .execution_options(synchronize_session=False)
                ).rowcount
                if claimed != 1:
                    continue  # another beat sent it meanwhile
                report = session.get(SavedReport, report_id)
                if report is None:
                    continue
                mailer(session, report, start, end)
            sent.append(report_id)
        except Exception:
            log.exception("monthly report %s could not be sent; the next beat tries again", report_id)
    return sent


@celery.task(name="guichet.send_scheduled_reports")
def send_scheduled_reports(now: str | None = None) -> list[int]:
    """The beat job. ``now`` (ISO time) replays a given moment, e.g. a missed 1st of the month."""
    if _mailer is None:
        raise RuntimeError("engine.monitoring.report_jobs.configure() was not called: start through `guichet worker`")
    moment = dt.datetime.fromisoformat(now) if now else None
    if moment is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return send_due_reports(runtime().db, _mailer, moment)
