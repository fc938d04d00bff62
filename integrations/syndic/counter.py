"""Filing a paid syndic mandate request at the enterprise counter (guichet d'entreprises /
ondernemingsloket), and reminding it.

Two channels: an e-mail to GUICHET_BCE_COUNTER_EMAIL with the documents attached, through the
outgoing-mail path of integrations/mail (a stored ``mails`` row, then SMTP or the outbox folder);
or, when GUICHET_BCE_COUNTER_URL is set, an HTTP POST of the request as JSON with the documents in
base64. Both are idempotent: the mail row has a Message-ID derived from the request reference
(a replay finds it and sends nothing twice once sent), and a request already marked filed is not
posted again. The counter's confirmation comes back as a message to the process (a case worker
enters it, or integrations/syndic/confirmations.py reads the counter's mail)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import mimetypes
import urllib.error
import urllib.request
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from sqlalchemy import select

from engine.config import Settings
from engine.db import Database, utcnow
from engine.mail.commands import note_sent
from engine.mail.models import Mail, MailAttachment, MailDirection, SendStatus
from engine.parties.enterprise_number import format_number
from engine.syndic import mails, requests
from engine.syndic.models import MandateRequest, RequestStatus
from integrations.documents.store import DiskStore
from integrations.mail.outgoing import deliver


class CounterError(Exception):
    """The counter could not be reached or refused the request; the step is retried."""


def _message_id(request: MandateRequest, what: str, domain: str) -> str:
    return f"{request.reference.lower()}.{what}@{domain}"


def summary(request: MandateRequest) -> dict[str, Any]:
    """The request as the counter receives it (mail body and JSON)."""
    data = {name: getattr(request, name) for name in requests.REQUESTER_FIELDS}
    data.update(reference=request.reference, association_name=request.association_name,
                association_known=request.association_known, representative_case=request.representative_case,
                syndic_person_number_kind=request.syndic_person_number_kind, filed_on=request.filed_on,
                deadline=request.deadline, late_working_days=request.late_working_days,
                fee_total=f"{request.fee_total:.2f}")
    return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in data.items()}


def _body(request: MandateRequest, reminder: int = 0) -> str:
    lines = []
    if reminder:
        lines += [f"Reminder {reminder}: we have not yet received your confirmation of this request, filed on "
                  f"{request.sent_to_counter_at:%Y-%m-%d}.", ""]
    lines += [f"Reference: {request.reference}",
              "Please confirm the registration by replying with this reference in the subject.", ""]
    lines += [f"{key}: {value}" for key, value in summary(request).items() if value not in (None, "")]
    return "\n".join(lines)


def _documents(store: DiskStore, request: MandateRequest) -> list[tuple[str, dict[str, Any], bytes]]:
    out = []
    for name, meta in sorted((request.documents or {}).items()):
        path = store.path_for(meta["sha256"])
        if not path.exists():
            raise CounterError(f"{request.reference}: the document {name} ({meta.get('name')}) is missing from the "
                               "file store; upload it again")
        out.append((name, meta, path.read_bytes()))
    return out


def _subject(request: MandateRequest, reminder: int = 0) -> str:
    values = {"kind": request.kind.replace("_", " "), "reference": request.reference,
              "association": format_number(request.association_number), "count": reminder}
    return (mails.COUNTER_REMINDER_SUBJECT if reminder else mails.COUNTER_SUBJECT).format(**values)


def _send_mail(settings: Settings, db: Database, request_id: int, *, reminder: int = 0) -> str:
    """Store (once) and send (once) the filing or reminder mail; returns its Message-ID."""
    domain = settings.mail_from.rpartition("@")[2] or "guichet.local"
    with db.transaction() as session:
        request = requests.get_request(session, request_id)
        message_id = _message_id(request, f"reminder{reminder}" if reminder else "filing", domain)
        mail = session.scalar(select(Mail).where(Mail.message_id == message_id))
        if mail is not None and mail.send_status == SendStatus.SENT:
            return message_id
        documents = _documents(DiskStore(settings.files_root), request)
        if mail is None:
            mail = Mail(message_id=message_id, direction=MailDirection.OUT.value, subject=_subject(request, reminder),
                        sender=settings.mail_from, sender_name="", recipients=[settings.bce_counter_email],
                        sent_at=utcnow(), received_at=utcnow(), body_text=_body(request, reminder), source="compose",
                        queue="syndic", closed_at=utcnow(), send_status=SendStatus.PENDING.value)
            mail.attachments = [MailAttachment(name=meta["name"], content_type=meta["content_type"],
                                               size=len(content), sha256=meta["sha256"])
                                for _name, meta, content in documents]
            session.add(mail)
            session.flush()
        message = EmailMessage()
        message["Message-ID"] = f"<{mail.message_id}>"
        message["From"] = mail.sender
        message["To"] = ", ".join(mail.recipients)
        message["Subject"] = mail.subject
        message["Date"] = format_datetime(mail.sent_at or dt.datetime.now(dt.UTC))
        message.set_content(mail.body_text)
        for _name, meta, content in documents:
            content_type = (meta.get("content_type") or mimetypes.guess_type(meta["name"])[0]
                            or "application/octet-stream")
            maintype, _, subtype = content_type.partition("/")
            message.add_attachment(content, maintype=maintype, subtype=subtype or "octet-stream",
                                   filename=meta["name"])
        mail_id = mail.id
    try:
        deliver(settings, message, mail_id)
    except OSError as exc:
        with db.transaction() as session:
            note_sent(session, mail_id, error=f"{type(exc).__name__}: {exc}")
        raise CounterError(f"the mail to the enterprise counter could not be sent: {exc}") from exc
    with db.transaction() as session:
        note_sent(session, mail_id)
    return message_id


def _post(settings: Settings, db: Database, request_id: int, *, reminder: int = 0) -> str | None:
    """POST the request (or a reminder) as JSON; returns the counter's reference when it gives one."""
    with db.transaction() as session:
        request = requests.get_request(session, request_id)
        body = {"reference": request.reference, "reminder": reminder, "request": summary(request),
                "documents": [{"kind": name, "name": meta["name"], "content_type": meta["content_type"],
                               "sha256": meta["sha256"], "content": base64.b64encode(content).decode("ascii")}
                              for name, meta, content in _documents(DiskStore(settings.files_root), request)]}
    http = urllib.request.Request(settings.bce_counter_url, data=json.dumps(body).encode("utf-8"), method="POST",
                                  headers={"Content-Type": "application/json",
                                           "Idempotency-Key": f"{body['reference']}:{reminder}"})
    try:
        with urllib.request.urlopen(http, timeout=30) as response:
            raw = response.read()
    except urllib.error.HTTPError as exc:
        raise CounterError(f"the enterprise counter refused {body['reference']}: HTTP {exc.code} "
                           f"{exc.read()[:300].decode('utf-8', 'replace')}") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise CounterError(f"the enterprise counter at {settings.bce_counter_url} cannot be reached: {exc}") from exc
    try:
        answer = json.loads(raw or b"{}")
    except ValueError:
        return None
    return str(answer["reference"]) if isinstance(answer, dict) and answer.get("reference") else None


def _reminder_at(settings: Settings, request: MandateRequest) -> str:
    sent = request.sent_to_counter_at or utcnow()
    if sent.tzinfo is None:
        sent = sent.replace(tzinfo=dt.UTC)
    return requests.reminder_due(sent, settings.syndic_reminder_working_days, request.reminders_sent).isoformat()


def file_at_counter(settings: Settings, db: Database, request_id: int) -> str:
    """Send the request to the counter (once) and mark it filed; returns when to remind it."""
    with db.transaction() as session:
        request = requests.get_request(session, request_id)
        if request.sent_to_counter_at is not None:
            return _reminder_at(settings, request)
        if request.status == RequestStatus.CANCELLED:
            raise CounterError(f"{request.reference} is cancelled: it is not filed")
    if settings.bce_counter_url:
        channel, counter_reference = "http", _post(settings, db, request_id)
    else:
        channel, counter_reference = "mail", None
        _send_mail(settings, db, request_id)
    with db.transaction() as session:
        request = requests.mark_filed(session, request_id, channel=channel, counter_reference=counter_reference)
        return _reminder_at(settings, request)


def remind_counter(settings: Settings, db: Database, request_id: int) -> str:
    """No confirmation yet: send the request again as reminder n, count it, return the next date."""
    with db.transaction() as session:
        request = requests.get_request(session, request_id)
        number = request.reminders_sent + 1
        channel = request.counter_channel or ("http" if settings.bce_counter_url else "mail")
    if channel == "http":
        _post(settings, db, request_id, reminder=number)
    else:
        _send_mail(settings, db, request_id, reminder=number)
    with db.transaction() as session:
        request = requests.note_reminder(session, request_id, number)
        return _reminder_at(settings, request)
