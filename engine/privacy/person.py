"""What Guichet holds about one contact, gathered in one place: the export (articles 15 and 20 of
the GDPR) and the erasure both start from here, so they agree on what "their data" is.

A contact's data: the contact row; the dossiers they are party to (directly, with their roles);
the mails from or to their address; the timeline entries that name them; the files of their
dossiers (listed by name: the contents belong to the dossier)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.orm import Session

from engine.cases.models import Dossier
from engine.documents.models import DossierFile
from engine.mail.models import Mail
from engine.parties.models import Contact, InvolvedParty
from engine.timeline.models import DossierActivity
from engine.workflow.errors import NotFound
from engine.workflow.models import InstanceStatus

CLOSED_STATUSES = frozenset({InstanceStatus.COMPLETED.value, InstanceStatus.TERMINATED.value})


@dataclass
class PartyTo:
    dossier: Dossier
    roles: list[str] = field(default_factory=list)

    @property
    def is_open(self) -> bool:
        return dossier_is_open(self.dossier)


@dataclass
class PersonData:
    contact: Contact
    dossiers: list[PartyTo]
    mails: list[Mail]
    activities: list[DossierActivity]
    files: list[DossierFile]


def dossier_is_open(dossier: Dossier) -> bool:
    """Open until its process completed or was terminated; a deactivated dossier is closed."""
    if not dossier.active:
        return False
    instance = dossier.process_instance
    return instance is None or instance.status not in CLOSED_STATUSES


def dossier_closed_at(dossier: Dossier) -> dt.datetime | None:
    """When the dossier ended (its process's completion), None while open."""
    if dossier_is_open(dossier):
        return None
    instance = dossier.process_instance
    return (instance.completed_at if instance is not None else None) or dossier.created_at


def contact_or_404(session: Session, contact_id: int) -> Contact:
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise NotFound(f"contact {contact_id} does not exist")
    return contact


def mails_of(session: Session, email: str | None) -> list[Mail]:
    """Mails from or to the address. The recipients are a JSON list: a text match narrows, the
    exact comparison (case-insensitive) decides."""
    if not email:
        return []
    address = email.strip().lower()
    candidates = session.scalars(
        select(Mail).where(or_(func.lower(Mail.sender) == address,
                               func.lower(cast(Mail.recipients, String)).contains(address, autoescape=True)))
        .order_by(Mail.received_at, Mail.id))
    return [mail for mail in candidates
            if mail.sender.lower() == address or address in {r.lower() for r in mail.recipients or []}]


def gather(session: Session, contact_id: int) -> PersonData:
    contact = contact_or_404(session, contact_id)
    party: dict[int, PartyTo] = {}
    for dossier, role in session.execute(
            select(Dossier, InvolvedParty.role).join(InvolvedParty, InvolvedParty.dossier_id == Dossier.id)
            .where(InvolvedParty.contact_id == contact.id).order_by(Dossier.created_at, Dossier.id)):
        party.setdefault(dossier.id, PartyTo(dossier)).roles.append(role)
    mentions = [DossierActivity.contact_id == contact.id]
    if contact.name:
        mentions.append(DossierActivity.contact_name == contact.name)
    activities = list(session.scalars(select(DossierActivity).where(or_(*mentions))
                                      .order_by(DossierActivity.occurred_at, DossierActivity.id)))
    files = list(session.scalars(select(DossierFile).where(DossierFile.dossier_id.in_(list(party)))
                                 .order_by(DossierFile.dossier_id, DossierFile.name))) if party else []
    return PersonData(contact, list(party.values()), mails_of(session, contact.email), activities, files)
