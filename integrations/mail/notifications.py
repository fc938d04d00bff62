"""Sending notifications (engine/notify): job ``guichet.send_notification``, queued after the
commit that recorded the message; through SMTP or the outbox folder like every outgoing mail."""

from __future__ import annotations

import datetime as dt
import smtplib
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from engine.config import Settings
from engine.db import Database
from engine.jobs import celery, runtime
from engine.notify import outbox
from engine.notify.outbox import Notification, NotificationStatus


def build(settings: Settings, row: Notification) -> EmailMessage:
    message = EmailMessage()
    message["Message-ID"] = make_msgid(domain=settings.mail_from.rpartition("@")[2] or None)
    message["From"] = settings.mail_from
    message["To"] = row.recipient
    message["Subject"] = row.subject
    message["Date"] = format_datetime(dt.datetime.now(dt.UTC))
    message.set_content(row.body)
    return message


def send(settings: Settings, db: Database, notification_id: int) -> str:
    """``sent``, ``failed`` (recorded on the row, can be sent again) or ``skipped`` (not pending)."""
    from integrations.mail.outgoing import deliver

    with db.transaction() as session:
        row = session.get(Notification, notification_id)
        if row is None or row.status == NotificationStatus.SENT:
            return "skipped"
        message = build(settings, row)
    try:
        deliver(settings, message, notification_id)
    except (OSError, smtplib.SMTPException) as exc:
        with db.transaction() as session:
            outbox.note_delivery(session, notification_id, error=f"{type(exc).__name__}: {exc}")
        return "failed"
    with db.transaction() as session:
        outbox.note_delivery(session, notification_id)
    return "sent"


@celery.task(name="guichet.send_notification")
def send_notification(notification_id: int) -> str:
    from integrations.mail.jobs import settings

    return send(settings(), runtime().db, notification_id)


def dispatch(ids: list[int]) -> None:
    for notification_id in ids:
        send_notification.delay(notification_id)
