"""Sending a stored outgoing mail: through SMTP when GUICHET_SMTP_HOST is set, otherwise as an
.eml file in the outbox folder (GUICHET_MAIL_OUTBOX), which is what the demo and a test set-up
use. The mail row is committed before this runs (a Celery job after the commit), so a failing
SMTP server never loses the reply: the row says ``failed`` with the reason, and can be sent again."""

from __future__ import annotations

import datetime as dt
import os
import smtplib
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path

from engine.config import Settings
from engine.db import Database
from engine.mail.commands import get_mail, note_sent
from engine.mail.models import Mail, MailDirection, SendStatus


@dataclass(frozen=True)
class Outgoing:
    """What is sent, read from the row inside a short transaction."""

    mail_id: int
    message: EmailMessage


def build_message(mail: Mail, sender_name: str = "") -> EmailMessage:
    message = EmailMessage()
    message["Message-ID"] = f"<{mail.message_id}>"
    message["From"] = formataddr((sender_name, mail.sender)) if sender_name else mail.sender
    message["To"] = ", ".join(mail.recipients)
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(mail.sent_at or dt.datetime.now(dt.UTC))
    if mail.in_reply_to:
        message["In-Reply-To"] = f"<{mail.in_reply_to}>"
    if mail.references:
        message["References"] = mail.references
    message.set_content(mail.body_text)
    return message


def write_outbox(folder: Path, message: EmailMessage, mail_id: int) -> Path:
    """Write the message as ``<time>-mail<id>-<random>.eml``, complete or not at all (temporary
    name, then one rename)."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    target = folder / f"{stamp}-mail{mail_id}-{uuid.uuid4().hex[:8]}.eml"  # a resent mail is a second file
    temporary = folder / f".{uuid.uuid4().hex}.tmp"
    temporary.write_bytes(message.as_bytes())
    os.replace(temporary, target)
    return target


def deliver(settings: Settings, message: EmailMessage, mail_id: int) -> str:
    """Send or write ``message``; returns where it went. Raises on an SMTP failure."""
    if not settings.smtp_host:
        return str(write_outbox(settings.outbox_root, message, mail_id))
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password)
        smtp.send_message(message)
    return f"smtp {settings.smtp_host}:{settings.smtp_port}"


def send_stored(settings: Settings, db: Database, mail_id: int) -> str:
    """Send the pending outgoing mail ``mail_id`` and record the outcome. Returns ``sent``,
    ``failed`` or ``skipped`` (not pending: sent already, e.g. a job delivered twice)."""
    with db.transaction() as session:
        mail = get_mail(session, mail_id)
        if mail.direction != MailDirection.OUT or mail.send_status != SendStatus.PENDING:
            return "skipped"
        message = build_message(mail)
    try:
        deliver(settings, message, mail_id)
    except (OSError, smtplib.SMTPException) as exc:
        with db.transaction() as session:
            note_sent(session, mail_id, error=f"{type(exc).__name__}: {exc}")
        return "failed"
    with db.transaction() as session:
        note_sent(session, mail_id)
    return "sent"
