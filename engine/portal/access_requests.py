"""Portal access requests (seed 000, "Accès"): access is not automatic. A member asks, for a
client number, for the buildings they manage; buildings not read by radio and codes that are
not buildings of that client number are refused at once, with the reason; the rest goes to a
case worker through the BPMN process ``portal_access_request`` (bpmn/portal/access_request.bpmn,
queue ``portal``). On approval the service task ``portal.grant_access`` links the organisation
to the client number and the buildings; either way the requester gets an e-mail.

The decision mails live here, in the three interface languages, rather than in the web app's
catalogues: they are written by an operator in the Celery worker, where no Flask request (and so
no Babel locale) exists, and three short texts are easier to keep correct next to the code that
sends them than a second Flask app bound in the composition root.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine.access.models import User
from engine.db import Base, JSONDoc, utcnow
from engine.metering.models import Building
from engine.notify import queue_notification
from engine.parties.models import Organisation
from engine.portal.models import OrganisationBuilding, OrganisationClient
from engine.workflow.errors import InvalidState, NotFound
from engine.workflow.models import AuditEvent, HumanTask

PROCESS_KEY = "portal_access_request"
REVIEW_TASK = "review_request"
SUBJECT = "portal_access_request"
CLIENT_NUMBER = re.compile(r"^[A-Z0-9]{3,20}$")


class RequestStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REFUSED = "refused"


class AccessRequest(Base):
    __tablename__ = "portal_access_requests"
    __table_args__ = (Index("ix_portal_access_requests_organisation", "organisation_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    requester_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    client_number: Mapped[str] = mapped_column(String(20))
    message: Mapped[str | None] = mapped_column(Text)
    building_codes: Mapped[list[str]] = mapped_column(JSONDoc, default=list)  # accepted for review
    refusals: Mapped[dict[str, str]] = mapped_column(JSONDoc, default=dict)  # code -> reason, at submission
    status: Mapped[str] = mapped_column(String(12), default=RequestStatus.SUBMITTED.value)
    decision_reason: Mapped[str | None] = mapped_column(Text)
    process_instance_id: Mapped[int | None] = mapped_column(
        ForeignKey("process_instances.id", ondelete="SET NULL"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class NothingToRequest(InvalidState):
    """Every building was refused: no request is started."""

    def __init__(self, refusals: dict[str, str]) -> None:
        self.refusals = refusals
        super().__init__("no building is left to ask access for: " + "; ".join(refusals.values()))


@dataclass
class Screening:
    accepted: list[Building] = field(default_factory=list)
    refusals: dict[str, str] = field(default_factory=dict)


def normalise_client_number(value: str) -> str:
    return re.sub(r"[\s.\-/]", "", value or "").upper()


def split_codes(raw: str | list[str]) -> list[str]:
    """Building IDs typed one per line or separated by commas / spaces, upper-cased, no repeats."""
    items = raw if isinstance(raw, list) else re.split(r"[\s,;]+", raw or "")
    seen: list[str] = []
    for item in items:
        code = item.strip().upper()
        if code and code not in seen:
            seen.append(code)
    return seen


def screen(session: Session, client_number: str, codes: list[str]) -> Screening:
    """Which of ``codes`` may be asked for. The reason for a code that is not a building of this
    client number is the same whether it exists elsewhere or not, so nothing leaks."""
    found = {b.code: b for b in session.scalars(select(Building).where(
        Building.code.in_(codes), Building.client_number == client_number, Building.active.is_(True)))}
    result = Screening()
    for code in codes:
        building = found.get(code)
        if building is None:
            result.refusals[code] = f"{code} is not a building of client number {client_number}"
        elif not building.radio_meters:
            result.refusals[code] = (f"{code} is read on site, not by radio: portal access exists only for "
                                     "buildings with radio meters")
        else:
            result.accepted.append(building)
    return result


def _audit(session: Session, request_id: int, kind: str, actor_id: int | None, **detail: Any) -> None:
    session.add(AuditEvent(instance_id=None, subject_type=SUBJECT, subject_id=request_id, actor_id=actor_id,
                           kind=kind, detail=detail, at=utcnow()))


def _review_summary(session: Session, request: AccessRequest, buildings: list[Building]) -> str:
    """What the case worker checks, shown above the review form (the task's instructions)."""
    requester = session.get(User, request.requester_id) if request.requester_id else None
    organisation = session.get(Organisation, request.organisation_id)
    lines = [
        f"Requester: {requester.name if requester else '?'} <{requester.email if requester else '?'}>",
        f"Organisation: {organisation.name if organisation else '?'} "
        f"(enterprise number {organisation.enterprise_number if organisation else '?'})",
        f"Client number: {request.client_number}",
        "Buildings:",
        *[f"  {b.code} {b.name} — radio: {'yes' if b.radio_meters else 'no'}, "
          f"remote reading: {'yes' if b.remote_reading else 'no'}" for b in buildings],
    ]
    if request.refusals:
        lines.append("Refused at submission:")
        lines.extend(f"  {reason}" for reason in request.refusals.values())
    if request.message:
        lines.append(f"Message: {request.message}")
    return "\n".join(lines)


def submit_request(session: Session, workflow: Any, *, organisation_id: int, requester_id: int,
                   client_number: str, codes: list[str], message: str | None = None) -> AccessRequest:
    """Screen the buildings, then create the request row and start its process in the caller's
    transaction. Raises :class:`NothingToRequest` (nothing written) when no building is left."""
    number = normalise_client_number(client_number)
    screening = screen(session, number, codes)
    if not screening.accepted:
        raise NothingToRequest(screening.refusals)
    request = AccessRequest(organisation_id=organisation_id, requester_id=requester_id, client_number=number,
                            message=(message or "").strip() or None,
                            building_codes=[b.code for b in screening.accepted], refusals=screening.refusals)
    session.add(request)
    session.flush()
    instance = workflow.start(session, PROCESS_KEY, data={"request_id": request.id, "client_number": number,
                                                        "building_codes": request.building_codes},
                              subject=(SUBJECT, request.id), user_id=requester_id)
    request.process_instance_id = instance.id
    summary = _review_summary(session, request, screening.accepted)
    for task in session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id)):
        task.instructions = summary
    _audit(session, request.id, "access_requested", requester_id, client_number=number,
           buildings=request.building_codes, refused=screening.refusals)
    return request


def requests_of(session: Session, organisation_id: int) -> list[AccessRequest]:
    return list(session.scalars(select(AccessRequest).where(AccessRequest.organisation_id == organisation_id)
                                .order_by(AccessRequest.created_at.desc(), AccessRequest.id.desc())))


def _decider(session: Session, request: AccessRequest) -> int | None:
    """The case worker who completed the review task (the operator runs later, in the worker)."""
    if request.process_instance_id is None:
        return None
    return session.scalar(select(HumanTask.completed_by_id).where(
        HumanTask.instance_id == request.process_instance_id, HumanTask.bpmn_id == REVIEW_TASK,
        HumanTask.completed_by_id.is_not(None)).order_by(HumanTask.completed_at.desc()).limit(1))


def _get(session: Session, request_id: int) -> AccessRequest:
    request = session.get(AccessRequest, request_id, with_for_update=True)
    if request is None:
        raise NotFound(f"no access request {request_id}")
    return request


def grant_access(session: Session, request_id: int) -> str:
    """Link the organisation to the client number and the approved buildings, mail the requester.
    Idempotent: an operator may run again after a crash; a decided request is left alone."""
    request = _get(session, request_id)
    if request.status != RequestStatus.SUBMITTED:
        return request.status
    decider = _decider(session, request)
    now = utcnow()
    linked = session.scalar(select(OrganisationClient).where(
        OrganisationClient.client_number == request.client_number, OrganisationClient.revoked_at.is_(None)))
    if linked is None:
        session.add(OrganisationClient(organisation_id=request.organisation_id,
                                       client_number=request.client_number, linked_at=now))
    elif linked.organisation_id != request.organisation_id:
        # a client number belongs to one organisation; the case worker must sort this out first
        raise InvalidState(f"client number {request.client_number} is linked to another organisation")
    buildings = list(session.scalars(select(Building).where(Building.code.in_(request.building_codes),
                                                            Building.client_number == request.client_number)))
    for building in buildings:
        grant = session.get(OrganisationBuilding, (request.organisation_id, building.id))
        if grant is None:
            session.add(OrganisationBuilding(organisation_id=request.organisation_id, building_id=building.id,
                                             granted_at=now, granted_by_id=decider))
        elif grant.revoked_at is not None:
            grant.revoked_at, grant.granted_at, grant.granted_by_id = None, now, decider
    request.status, request.decided_at, request.decided_by_id = RequestStatus.APPROVED.value, now, decider
    _audit(session, request.id, "access_granted", decider, organisation_id=request.organisation_id,
           client_number=request.client_number, buildings=[b.code for b in buildings])
    _mail(session, request, approved=True)
    return request.status


def refuse_access(session: Session, request_id: int, reason: str) -> str:
    request = _get(session, request_id)
    if request.status != RequestStatus.SUBMITTED:
        return request.status
    decider = _decider(session, request)
    request.status, request.decided_at, request.decided_by_id = RequestStatus.REFUSED.value, utcnow(), decider
    request.decision_reason = reason
    _audit(session, request.id, "access_refused", decider, reason=reason)
    _mail(session, request, approved=False)
    return request.status


MAILS: dict[str, dict[str, tuple[str, str]]] = {
    "approved": {
        "fr": ("Votre accès au portail est accordé",
               "Bonjour {name},\n\nVotre demande d'accès au portail pour le numéro de client {client} est "
               "acceptée. Immeubles : {buildings}.\nConnectez-vous avec votre numéro de client.\n\n{operator}"),
        "nl": ("Uw toegang tot het portaal is toegekend",
               "Beste {name},\n\nUw aanvraag voor toegang tot het portaal voor klantnummer {client} is "
               "goedgekeurd. Gebouwen: {buildings}.\nMeld u aan met uw klantnummer.\n\n{operator}"),
        "en": ("Your portal access is granted",
               "Hello {name},\n\nYour request for portal access for client number {client} is approved. "
               "Buildings: {buildings}.\nSign in with your client number.\n\n{operator}"),
    },
    "refused": {
        "fr": ("Votre demande d'accès au portail est refusée",
               "Bonjour {name},\n\nVotre demande d'accès au portail pour le numéro de client {client} est "
               "refusée.\nMotif : {reason}\n\n{operator}"),
        "nl": ("Uw aanvraag voor toegang tot het portaal is geweigerd",
               "Beste {name},\n\nUw aanvraag voor toegang tot het portaal voor klantnummer {client} is "
               "geweigerd.\nReden: {reason}\n\n{operator}"),
        "en": ("Your portal access request is refused",
               "Hello {name},\n\nYour request for portal access for client number {client} is refused.\n"
               "Reason: {reason}\n\n{operator}"),
    },
}
OPERATOR_NAME = {"fr": "Le guichet", "nl": "Het loket", "en": "The one-stop shop"}


def _mail(session: Session, request: AccessRequest, *, approved: bool) -> None:
    requester = session.get(User, request.requester_id) if request.requester_id else None
    if requester is None:
        return
    language = requester.locale if requester.locale in ("fr", "nl", "en") else "fr"
    subject, body = MAILS["approved" if approved else "refused"][language]
    text = body.format(name=requester.first_name or requester.name, client=request.client_number,
                       buildings=", ".join(request.building_codes), reason=request.decision_reason or "",
                       operator=OPERATOR_NAME[language])
    queue_notification(session, recipient=requester.email, subject=subject, body=text, user_id=requester.id,
                       purpose="access_approved" if approved else "access_refused")
