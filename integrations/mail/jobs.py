"""The mail jobs on the engine's Celery app: ``guichet.fetch_mail`` (periodic intake, every
GUICHET_MAIL_INTERVAL seconds while GUICHET_MAIL_SOURCE is not ``none``) and
``guichet.send_mail`` (one outgoing mail, sent after the commit that stored it).

The composition root calls :func:`configure` after :func:`engine.jobs.configure`; the jobs reach
the database through :func:`engine.jobs.runtime`."""

from __future__ import annotations

import logging
from typing import Any

from engine.config import Settings
from engine.jobs import celery, runtime
from integrations.mail.fetch import SourceProblem, fetch
from integrations.mail.imap import ImapProblem
from integrations.mail.outgoing import send_stored

log = logging.getLogger(__name__)
_settings: Settings | None = None


def configure(settings: Settings) -> None:
    global _settings
    _settings = settings
    schedule = dict(celery.conf.beat_schedule or {})
    schedule.pop("fetch-mail", None)
    if settings.mail_source != "none":
        schedule["fetch-mail"] = {"task": "guichet.fetch_mail", "schedule": settings.mail_interval_s}
    celery.conf.beat_schedule = schedule


def settings() -> Settings:
    if _settings is None:
        raise RuntimeError("integrations.mail.jobs.configure() was not called: start through `guichet worker`")
    return _settings


@celery.task(name="guichet.fetch_mail")
def fetch_mail() -> dict[str, Any]:
    """One intake run. A source that cannot be read is a log line (the next beat tries again)."""
    try:
        result = fetch(settings(), runtime().db)
    except (SourceProblem, ImapProblem) as exc:
        log.warning("mail intake: %s", exc)
        return {"error": str(exc)}
    from integrations.syndic.confirmations import confirm_from_mail  # the counter's confirmations (issue 8)

    outcome: dict[str, Any] = {"stored": result.stored, "skipped": result.skipped}
    confirmed = confirm_from_mail(settings(), runtime().db, runtime().engine)
    if confirmed:
        outcome["syndic_confirmed"] = confirmed
    return outcome


@celery.task(name="guichet.send_mail")
def send_mail(mail_id: int) -> str:
    return send_stored(settings(), runtime().db, mail_id)


def send_after_commit(mail_id: int) -> None:
    """Queue the sending of a committed outgoing mail (runs at once when jobs are eager)."""
    send_mail.delay(mail_id)
