"""The enterprise counter's confirmation by mail: an incoming mail from GUICHET_BCE_COUNTER_EMAIL
whose subject carries a request reference (``SYN-2026-000042``) confirms that filed request, as
if a case worker had entered it (engine/syndic/requests.confirm_filing). Run after every mail
intake (integrations/mail/jobs.fetch_mail); a mail is used once, because only a FILED request can
be confirmed and each confirmation records the mail's Message-ID as the counter reference when
the mail names none."""

from __future__ import annotations

import logging
import re

from sqlalchemy import func, select

from engine.config import Settings
from engine.db import Database
from engine.mail.models import Mail, MailDirection
from engine.syndic import requests
from engine.syndic.models import MandateRequest, RequestStatus
from engine.workflow.errors import EngineError

log = logging.getLogger(__name__)
REFERENCE = re.compile(r"\bSYN-\d{4}-\d{6}\b", re.IGNORECASE)
COUNTER_REFERENCE = re.compile(r"(?:counter reference|référence|referentie|reference)\s*:\s*([A-Za-z0-9./_-]{3,80})",
                               re.IGNORECASE)


def counter_reference(mail: Mail) -> str:
    """The counter's own reference when the mail states one, else its Message-ID."""
    found = COUNTER_REFERENCE.search(mail.body_text or "")
    if found and not REFERENCE.fullmatch(found.group(1)):
        return found.group(1)
    return mail.message_id[:80]


def confirm_from_mail(settings: Settings, db: Database, workflow: object) -> list[str]:
    """Confirm every filed request that the counter's mails name; returns their references."""
    address = settings.bce_counter_email.strip().lower()
    if not address:
        return []
    confirmed: list[str] = []
    with db.transaction() as session:
        filed = {r.reference.upper(): (r.id, r.sent_to_counter_at) for r in session.scalars(
            select(MandateRequest).where(MandateRequest.status == RequestStatus.FILED))}
        if not filed:
            return []
        query = select(Mail).where(Mail.direction == MailDirection.IN, func.lower(Mail.sender) == address)
        earliest = min((sent for _id, sent in filed.values() if sent is not None), default=None)
        if earliest is not None:  # a confirmation cannot come before the filing
            query = query.where(Mail.received_at >= earliest)
        mails = list(session.scalars(query.order_by(Mail.received_at, Mail.id)))
    for mail in mails:
        for reference in {m.upper() for m in REFERENCE.findall(mail.subject or "")}:
            if reference not in filed or reference in confirmed:
                continue
            try:
                with db.transaction() as session:
                    requests.confirm_filing(session, workflow, filed[reference][0], user_id=None,
                                            counter_reference=counter_reference(mail),
                                            confirmed_on=(mail.sent_at or mail.received_at).date())
                confirmed.append(reference)
            except EngineError as exc:  # confirmed meanwhile by a case worker, or cancelled
                log.info("counter mail %s for %s not used: %s", mail.message_id, reference, exc)
    return confirmed
