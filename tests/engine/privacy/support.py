"""Rows the privacy tests need: a contact party to dossiers (open or closed), mails, timeline."""

from __future__ import annotations

import datetime as dt
import itertools

from sqlalchemy.orm import Session

from engine.cases.models import Dossier
from engine.mail.models import Mail
from engine.parties.commands import create_contact
from engine.parties.models import Contact, InvolvedParty
from engine.timeline.models import DossierActivity
from engine.workflow.models import InstanceStatus, ProcessInstance, ProcessVersion

_numbers = itertools.count(1)


def contact(session: Session, email: str = "marie.dupont@example.be", actor_id: int | None = None) -> Contact:
    return create_contact(session, {"first_name": "Marie", "last_name": "Dupont", "email": email,
                                    "phone": "+32 470 12 34 56", "notes": "prefers mornings"}, actor_id)


def dossier(session: Session, party: Contact, *, status: str = InstanceStatus.WAITING,
            completed_at: dt.datetime | None = None, role: str = "owner_occupant") -> Dossier:
    n = next(_numbers)
    version = ProcessVersion(key=f"privacy_{n}", version=1, name="Test", source_name="t.bpmn",
                             bpmn_xml="<definitions/>", checksum=f"{n:064d}")
    session.add(version)
    session.flush()
    instance = ProcessInstance(process_version_id=version.id, process_key="information", status=status,
                               completed_at=completed_at)
    session.add(instance)
    session.flush()
    row = Dossier(number=f"P-{n:05d}", type="information", title=f"Renovation {n}", process_instance_id=instance.id)
    session.add(row)
    session.flush()
    session.add(InvolvedParty(dossier_id=row.id, contact_id=party.id, role=role, is_main=True))
    session.flush()
    return row


def mail(session: Session, *, sender: str, recipients: list[str], dossier_id: int | None = None,
         body: str = "Hello", closed_at: dt.datetime | None = None) -> Mail:
    n = next(_numbers)
    row = Mail(message_id=f"<m{n}@test>", subject=f"Subject {n}", sender=sender, sender_name="Marie Dupont",
               recipients=recipients, body_text=body, dossier_id=dossier_id, closed_at=closed_at)
    session.add(row)
    session.flush()
    return row


def note(session: Session, dossier_row: Dossier, party: Contact,
         body: str = "Called about the roof") -> DossierActivity:
    row = DossierActivity(dossier_id=dossier_row.id, kind="call", body=body, contact_id=party.id,
                          contact_name=party.name, phone=party.phone)
    session.add(row)
    session.flush()
    return row
