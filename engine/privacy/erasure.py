"""Erasing a contact (GDPR article 17) by anonymising it: the row stays, so that the dossiers it
is party to keep their history, but whatever identifies the person goes.

What the law makes us keep: a dossier's documents stay as long as the dossier is within its
retention (closed less than ``dossier_retention_years`` ago, or still open). So:
- refused while the contact is party to an open dossier (the dossier still needs them: close it
  or replace the party first);
- the contact: names -> "Anonymised #<id>", e-mail, phone, address, language and notes cleared,
  deactivated; the details of its own audit events (names, old and new values) replaced;
- mails from/to their address: the address is masked everywhere (sender, sender's name,
  recipients); the subject and body are kept when the mail belongs to a dossier within retention
  (a record of that dossier), cleared otherwise;
- timeline entries naming them: the name and phone go; the text is the dossier's record and stays;
- files of their dossiers: kept (they are the dossier's documents).
The command returns (and audits) what was cleared and what was kept, with the reason."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from engine.db import utcnow
from engine.parties.commands import audit
from engine.privacy.person import dossier_closed_at, gather
from engine.workflow.errors import InvalidState
from engine.workflow.models import AuditEvent

DEFAULT_DOSSIER_RETENTION_YEARS = 10


class ErasureRefused(InvalidState):
    """The contact cannot be erased now; the message says why and what to do."""


@dataclass
class ErasureReport:
    contact_id: int
    cleared: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)

    def as_detail(self) -> dict[str, Any]:
        return {"cleared": self.cleared, "kept": self.kept}


def anonymised_name(contact_id: int) -> str:
    return f"Anonymised #{contact_id}"


def masked_address(contact_id: int) -> str:
    return f"anonymised-{contact_id}@invalid"


def _within_retention(closed_at: dt.datetime | None, now: dt.datetime, years: int) -> bool:
    return closed_at is None or closed_at + dt.timedelta(days=365 * years) > now


def anonymise_contact(session: Session, contact_id: int, actor_id: int | None, *,
                      now: dt.datetime | None = None,
                      dossier_retention_years: int = DEFAULT_DOSSIER_RETENTION_YEARS) -> ErasureReport:
    now = now or utcnow()
    data = gather(session, contact_id)
    contact = data.contact
    open_numbers = [p.dossier.number for p in data.dossiers if p.is_open]
    if open_numbers:
        raise ErasureRefused(
            f"{contact.name} is party to open dossier(s) {', '.join(open_numbers)}: close them or remove "
            "the contact from them before erasing")
    report = ErasureReport(contact.id)
    kept_dossiers = {p.dossier.id: p.dossier.number for p in data.dossiers
                     if _within_retention(dossier_closed_at(p.dossier), now, dossier_retention_years)}
    old_email = (contact.email or "").lower()
    name = anonymised_name(contact.id)
    masked = masked_address(contact.id)

    for mail in data.mails:
        if mail.sender.lower() == old_email:
            mail.sender, mail.sender_name = masked, ""
        mail.recipients = [masked if r.lower() == old_email else r for r in mail.recipients or []]
        if mail.dossier_id in kept_dossiers:
            report.kept.append(f"mail {mail.id}: subject and body kept, a record of dossier "
                               f"{kept_dossiers[mail.dossier_id]} within its retention")
        else:
            mail.subject, mail.body_text, mail.body_html = "", "", None
            report.cleared.append(f"mail {mail.id}: address masked, subject and body cleared")
    for activity in data.activities:
        activity.contact_name = name if activity.contact_name else activity.contact_name
        activity.phone = None
    if data.activities:
        report.cleared.append(f"{len(data.activities)} timeline entries: name and phone")
        report.kept.append("timeline texts: records of the dossiers")
    for party in data.dossiers:
        reason = "within its retention" if party.dossier.id in kept_dossiers else "past its retention"
        report.kept.append(f"dossier {party.dossier.number} and its files ({reason}); the party is now {name}")

    contact.first_name, contact.last_name = "", name
    contact.email = contact.phone = contact.language = contact.notes = None
    contact.address_id = None
    contact.active = False
    report.cleared.append("contact: names, e-mail, phone, address, language, notes")
    scrubbed = session.execute(update(AuditEvent).where(AuditEvent.subject_type == "contact",
                                                        AuditEvent.subject_id == contact.id)
                               .values(detail={"erased": True}))
    report.cleared.append(f"{scrubbed.rowcount} change-history entries: their details")
    session.flush()
    audit(session, "contact", contact.id, "contact_erased", actor_id, **report.as_detail())
    return report
