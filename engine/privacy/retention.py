"""Retention rules per record type, and the job that applies them.

The rules are data (``RetentionRule``: a name, how many days, what to do); each can be changed
with an environment variable ``GUICHET_RETENTION_<NAME>_DAYS`` (0 disables the rule). The beat
job ``guichet.apply_retention`` runs daily; each run records its counts in ``audit_events``
(subject_type ``retention``) so the data-protection officer sees what went and when.

The access log's own rows are deleted only here, inside ``append_only.purge_allowed`` (the
database trigger refuses every other DELETE)."""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from engine.accounts.models import OneTimeCode
from engine.db import Database, utcnow
from engine.jobs import celery
from engine.mail.models import Mail
from engine.notify.outbox import Notification, NotificationStatus
from engine.privacy.append_only import purge_allowed
from engine.privacy.models import AccessLog
from engine.workflow.models import AuditEvent

log = logging.getLogger(__name__)

BEAT_ENTRY = "apply-retention"
BEAT_INTERVAL_S = 24 * 3600.0
TASK_NAME = "guichet.apply_retention"


def _access_log(session: Session, before: dt.datetime) -> int:
    with purge_allowed(session):
        return session.execute(delete(AccessLog).where(AccessLog.at < before)).rowcount


def _unlinked_mails(session: Session, before: dt.datetime) -> int:
    """Mails never linked to a dossier and handled (closed) long ago: nothing keeps them.
    Their attachments go with them (ON DELETE CASCADE)."""
    ids = list(session.scalars(select(Mail.id).where(Mail.dossier_id.is_(None), Mail.closed_at.is_not(None),
                                                     Mail.closed_at < before)))
    if not ids:
        return 0
    return session.execute(delete(Mail).where(Mail.id.in_(ids))).rowcount


def _notifications(session: Session, before: dt.datetime) -> int:
    """System e-mails already sent (or given up) long ago."""
    return session.execute(delete(Notification).where(
        Notification.status.in_([NotificationStatus.SENT.value, NotificationStatus.FAILED.value]),
        Notification.created_at < before)).rowcount


def _one_time_codes(session: Session, before: dt.datetime) -> int:
    """Codes that expired long ago (used, killed or not: none can be used any more)."""
    return session.execute(delete(OneTimeCode).where(OneTimeCode.expires_at < before)).rowcount


@dataclass(frozen=True)
class RetentionRule:
    name: str
    days: int
    what: str  # for the DPO: what the rule deletes
    apply: Callable[[Session, dt.datetime], int]


DEFAULT_RULES: tuple[RetentionRule, ...] = (
    RetentionRule("access_log", 400, "access-log rows older than this (a year, plus the time to investigate)",
                  _access_log),
    RetentionRule("unlinked_mails", 180, "closed mails never linked to a dossier", _unlinked_mails),
    RetentionRule("notifications", 90, "system e-mails sent or failed", _notifications),
    RetentionRule("one_time_codes", 30, "one-time codes expired this long ago", _one_time_codes),
)


def rules(environ: Mapping[str, str] | None = None) -> tuple[RetentionRule, ...]:
    environ = os.environ if environ is None else environ
    out = []
    for rule in DEFAULT_RULES:
        value = environ.get(f"GUICHET_RETENTION_{rule.name.upper()}_DAYS")
        out.append(replace(rule, days=int(value)) if value not in (None, "") else rule)
    return tuple(out)


def apply_retention(session: Session, *, now: dt.datetime | None = None,
                    rule_set: tuple[RetentionRule, ...] | None = None) -> dict[str, int]:
    """Apply every enabled rule in the caller's transaction; returns and audits the counts."""
    now = now or utcnow()
    counts: dict[str, int] = {}
    for rule in rule_set if rule_set is not None else rules():
        if rule.days > 0:
            counts[rule.name] = rule.apply(session, now - dt.timedelta(days=rule.days))
    session.add(AuditEvent(instance_id=None, subject_type="retention", subject_id=None, actor_id=None,
                           kind="retention_applied", detail=counts, at=now))
    return counts


# -- the beat job -----------------------------------------------------------------------------

_db: Database | None = None


def configure(db: Database) -> None:
    """Bind the database and add the daily beat entry (called by the composition root)."""
    global _db
    _db = db
    schedule = dict(celery.conf.beat_schedule or {})
    schedule[BEAT_ENTRY] = {"task": TASK_NAME, "schedule": BEAT_INTERVAL_S}
    celery.conf.beat_schedule = schedule


@celery.task(name=TASK_NAME)
def apply_retention_job() -> dict[str, int]:
    if _db is None:
        raise RuntimeError("engine.privacy.retention.configure() was not called")
    with _db.transaction() as session:
        counts = apply_retention(session)
    log.info("retention applied: %s", counts)
    return counts
