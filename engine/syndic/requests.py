"""Syndic mandate requests (seed 002, issue 8): a syndic or an association's representative files
a registration, a modification, a termination, or a termination and registration in one movement;
the rules of engine/syndic/rules.py and engine/syndic/fees.py are applied at submission (a late
request is accepted and flagged), and the request runs through the BPMN process
``syndic_mandate_request`` (bpmn/syndic/mandate_request.bpmn, queue ``syndic``): the case worker's
document check (send back / answer), the fee from the organisation's wallet (insufficient: the
request waits for a top-up), the filing at the enterprise counter (integrations/syndic/counter.py),
its confirmation (a case worker, or a mail from the counter) with reminders, and the mandate
history.

Commands take the caller's session and change nothing when they raise; the web wraps them in its
command runner. The functions under "process steps" are what the operators of
integrations/syndic run in the worker, each idempotent (a retried step repeats nothing).
A renewal is not a kind: the law does not ask for a filing (the web explains it)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from engine import calendar
from engine.access.models import User
from engine.db import utcnow
from engine.notify import queue_notification
from engine.parties import enterprise_number
from engine.syndic import fees, mails, rules
from engine.syndic.identifiers import parse_person_number
from engine.syndic.models import (
    Mandate,
    MandateRequest,
    RepresentativeCase,
    RequestKind,
    RequestStatus,
    SyndicKind,
)
from engine.wallet import ledger
from engine.wallet.errors import InsufficientFunds
from engine.wallet.fees import charge_fee
from engine.workflow.errors import InvalidState, NotFound
from engine.workflow.models import AuditEvent, HumanTask, HumanTaskState, MessageWait

PROCESS_KEY = "syndic_mandate_request"
SUBJECT = "syndic_mandate_request"
REVIEW_TASK = "review_documents"
FEE_PRODUCT = "syndic_filing"
MSG_ANSWERED = "syndic_request_answered"
MSG_PAYMENT_READY = "syndic_payment_ready"
MSG_COUNTER_CONFIRMED = "syndic_counter_confirmed"

# the MandateRequest columns the requester fills (forms/syndic_request.py loads exactly these)
REQUESTER_FIELDS: tuple[str, ...] = (
    "kind", "association_number", "syndic_kind", "syndic_name", "syndic_first_names", "syndic_person_number",
    "syndic_enterprise_number", "syndic_profession", "syndic_address", "syndic_email", "syndic_phone",
    "provisional", "appointed_by", "decision_names_representative", "company_has_ipi", "representative_name",
    "representative_first_names", "representative_person_number", "representative_ipi_number",
    "decision_date", "mandate_start", "mandate_end", "effective_date", "changes", "outgoing_mandate_id",
    "outgoing_syndic_name",
)
# what the rule steps of the diagram read from the process data
RULE_INPUTS: tuple[str, ...] = (
    "kind", "decision_date", "mandate_start", "effective_date", "syndic_kind", "decision_names_representative",
    "company_has_ipi",
)
OPEN_STATUSES = (RequestStatus.SUBMITTED, RequestStatus.SENT_BACK, RequestStatus.AWAITING_PAYMENT,
                 RequestStatus.FILED)


@dataclass
class Association:
    """The co-ownership association as the BCE knows it (``known`` False: not yet registered there,
    which costs a supplement)."""

    number: str
    known: bool
    name: str | None = None
    address: str | None = None
    organisation_id: int | None = None


@dataclass
class Preview:
    deadline: rules.Deadline | None
    late_working_days: int
    representative_case: RepresentativeCase
    fee: fees.FeeQuote


def required_documents(kind: RequestKind | str) -> set[str]:
    """The uploads a kind needs: the extract of the appointment decision for a new syndic, the
    general assembly's proof of revocation for a termination; both in one movement."""
    kind = RequestKind(kind)
    needed: set[str] = set()
    if kind in (RequestKind.REGISTRATION, RequestKind.TERMINATION_AND_REGISTRATION):
        needed.add("decision_extract")
    if kind in (RequestKind.TERMINATION, RequestKind.TERMINATION_AND_REGISTRATION):
        needed.add("revocation_proof")
    return needed


def _kind(value: Any) -> RequestKind:
    if value == "renewal":
        raise InvalidState("a renewal is not filed: the law asks for nothing unless the syndic's data changed "
                           "(then file a modification)")
    try:
        return RequestKind(value)
    except ValueError:
        raise InvalidState(f"unknown request kind {value!r}: choose registration, modification, termination "
                           "or termination_and_registration") from None


def _audit(session: Session, request_id: int, event: str, actor_id: int | None, **detail: Any) -> None:
    session.add(AuditEvent(instance_id=None, subject_type=SUBJECT, subject_id=request_id, actor_id=actor_id,
                           kind=event, detail=detail, at=utcnow()))


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


# ------------------------------------------------------------------------------ rules

def preview(session: Session, data: Mapping[str, Any], *, association_known: bool, today: dt.date) -> Preview:
    """The rules' outcome for what is typed so far (the form shows it while the user types):
    no deadline while the dates it needs are missing; the fee of one request filed today."""
    try:
        kind: RequestKind | None = RequestKind(data.get("kind"))
    except ValueError:
        kind = None
    deadline = (rules.filing_deadline(kind, decision_date=data.get("decision_date"),
                                      mandate_start=data.get("mandate_start"),
                                      effective_date=data.get("effective_date")) if kind else None)
    case = rules.representative_case(data.get("syndic_kind"),
                                     decision_names_representative=data.get("decision_names_representative"),
                                     company_has_ipi=data.get("company_has_ipi"))
    quote = fees.quote(session, kind or RequestKind.REGISTRATION, filed_on=today, association_known=association_known)
    return Preview(deadline, rules.working_days_late(deadline, today), case, quote)


def _apply_rules(session: Session, request: MandateRequest) -> None:
    deadline = rules.filing_deadline(request.kind, decision_date=request.decision_date,
                                     mandate_start=request.mandate_start, effective_date=request.effective_date)
    request.deadline = deadline.date if deadline else None
    request.deadline_rule = deadline.rule if deadline else None
    request.late_working_days = rules.working_days_late(deadline, request.filed_on)
    request.representative_case = rules.representative_case(
        request.syndic_kind, decision_names_representative=request.decision_names_representative,
        company_has_ipi=request.company_has_ipi).value
    quote = fees.quote(session, request.kind, filed_on=request.filed_on, association_known=request.association_known)
    request.fee_lines = quote.as_rows()
    request.fee_total = quote.total


def _process_data(session: Session, request: MandateRequest) -> dict[str, Any]:
    """What the diagram's rule steps and gateways read."""
    data = {name: getattr(request, name) for name in RULE_INPUTS}
    data.update(request_id=request.id, reference=request.reference, filed_on=request.filed_on,
                association_known=request.association_known,
                fee_rate=fees.rate_as_data(fees.rate_on(session, request.filed_on)))
    return data


def _summary(session: Session, request: MandateRequest) -> str:
    """What the case worker checks, shown above the review form (the task's instructions)."""
    requester = session.get(User, request.requester_id) if request.requester_id else None
    lines = [
        f"Request {request.reference}: {request.kind} (filed on {request.filed_on.isoformat()}, {request.channel})",
        f"Requester: {requester.name if requester else '-'} <{requester.email if requester else '-'}>",
        f"Association: {enterprise_number.format_number(request.association_number)} "
        f"{request.association_name or ''}{'' if request.association_known else ' (not yet known in the BCE)'}",
    ]
    if request.syndic_kind:
        who = " ".join(x for x in (request.syndic_first_names, request.syndic_name) if x)
        ident = (f"national number {request.syndic_person_number}" if request.syndic_kind == SyndicKind.NATURAL
                 else f"enterprise number {request.syndic_enterprise_number}")
        lines.append(f"Syndic ({request.syndic_kind}): {who}, {ident}")
    if request.representative_case != RepresentativeCase.NOT_APPLICABLE:
        lines.append(f"Representative case: {request.representative_case}"
                     + (f" — {request.representative_first_names or ''} {request.representative_name or ''}"
                        if request.representative_name else ""))
    dates = [f"{label} {value.isoformat()}" for label, value in (
        ("decision", request.decision_date), ("start", request.mandate_start), ("end", request.mandate_end),
        ("effective", request.effective_date)) if value]
    if dates:
        lines.append("Dates: " + ", ".join(dates))
    if request.deadline:
        late = f" — LATE by {request.late_working_days} working day(s)" if request.late_working_days else ""
        lines.append(f"Deadline: {request.deadline.isoformat()} ({request.deadline_rule}){late}")
    lines.append(f"Fee: {request.fee_total:.2f} EUR")
    lines.append("Documents: " + (", ".join(f"{k}: {v.get('name')}" for k, v in sorted(request.documents.items()))
                                  or "none"))
    if request.answer:
        lines.append(f"Requester's answer: {request.answer}")
    return "\n".join(lines)


def _stamp_review_tasks(session: Session, request: MandateRequest) -> None:
    """The open document check is due on the filing deadline and shows the request."""
    session.flush()
    if request.process_instance_id is None:
        return
    due = (dt.datetime.combine(request.deadline, dt.time(23, 59), tzinfo=dt.UTC) if request.deadline else None)
    summary = _summary(session, request)
    for task in session.scalars(select(HumanTask).where(HumanTask.instance_id == request.process_instance_id,
                                                        HumanTask.bpmn_id == REVIEW_TASK,
                                                        HumanTask.state == HumanTaskState.READY)):
        task.due_at = due
        task.instructions = summary


def _check_documents(kind: RequestKind, documents: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    missing = sorted(required_documents(kind) - {k for k, v in documents.items() if v})
    if missing:
        raise InvalidState("attach " + " and ".join(name.replace("_", " ") for name in missing)
                           + f" to a {kind.value.replace('_', ' ')} request")
    cleaned = {}
    for name, meta in documents.items():
        if not meta:
            continue
        if name not in ("decision_extract", "revocation_proof"):
            raise InvalidState(f"unknown document {name!r}: attach decision_extract or revocation_proof")
        if not all(meta.get(k) for k in ("sha256", "name")):
            raise InvalidState(f"the document {name} was not stored: upload it again")
        cleaned[name] = {"sha256": meta["sha256"], "name": meta["name"], "size": int(meta.get("size") or 0),
                         "content_type": meta.get("content_type") or "application/octet-stream"}
    return cleaned


def _set_fields(request: MandateRequest, data: Mapping[str, Any]) -> None:
    for name in REQUESTER_FIELDS:
        if name in data and name != "kind":
            setattr(request, name, data[name])
    if request.syndic_person_number:
        request.syndic_person_number_kind = parse_person_number(request.syndic_person_number).kind
    else:
        request.syndic_person_number_kind = None
    if request.provisional is None:
        request.provisional = False


# ------------------------------------------------------------------------------ commands

def submit_request(session: Session, workflow: Any, *, data: Mapping[str, Any], association: Association,
                   organisation_id: int, requester_id: int | None, channel: str, documents: dict[str, dict],
                   today: dt.date | None = None) -> MandateRequest:
    """Store the request with the rules' outcome and start its process, in the caller's
    transaction. A late request is accepted: its lateness (working days) is recorded and shown."""
    kind = _kind(data.get("kind"))
    if channel not in ("portal", "back_office"):
        raise InvalidState(f"channel must be portal or back_office, not {channel!r}")
    number = enterprise_number.normalise(association.number)
    filed_on = today or dt.date.today()
    request = MandateRequest(
        reference="tmp-" + uuid.uuid4().hex[:16], kind=kind.value, status=RequestStatus.SUBMITTED.value,
        channel=channel, organisation_id=organisation_id, requester_id=requester_id, association_number=number,
        association_name=association.name, association_address=association.address,
        association_known=association.known, association_organisation_id=association.organisation_id,
        documents=_check_documents(kind, documents), filed_on=filed_on, fee_lines=[], fee_total=Decimal("0"),
        late_working_days=0, reminders_sent=0, provisional=False,
        representative_case=RepresentativeCase.NOT_APPLICABLE.value,
    )
    _set_fields(request, data)
    _apply_rules(session, request)
    session.add(request)
    session.flush()
    request.reference = f"SYN-{filed_on.year}-{request.id:06d}"
    instance = workflow.start(session, PROCESS_KEY, data=_process_data(session, request),
                              subject=(SUBJECT, request.id), user_id=requester_id)
    request.process_instance_id = instance.id
    _stamp_review_tasks(session, request)
    _audit(session, request.id, "syndic_request_submitted", requester_id, reference=request.reference,
           kind=request.kind, association=number, channel=channel, deadline=_iso(request.deadline),
           late_working_days=request.late_working_days, fee_total=f"{request.fee_total:.2f}")
    return request


def _locked(session: Session, request_id: int) -> MandateRequest:
    request = session.get(MandateRequest, request_id, with_for_update=True)
    if request is None:
        raise NotFound(f"no syndic mandate request {request_id}")
    return request


def get_request(session: Session, request_id: int) -> MandateRequest:
    request = session.get(MandateRequest, request_id)
    if request is None:
        raise NotFound(f"no syndic mandate request {request_id}")
    return request


def answer_request(session: Session, workflow: Any, request_id: int, *, user_id: int | None, answer: str,
                   data: Mapping[str, Any] | None = None, documents: dict | None = None) -> MandateRequest:
    """The requester's answer to a send-back: the fields given replace the stored ones, the rules
    run again, and the case worker checks the request again."""
    request = _locked(session, request_id)
    if request.status != RequestStatus.SENT_BACK:
        raise InvalidState(f"request {request.reference} is {request.status}: only a request sent back to you "
                           "can be answered")
    text = (answer or "").strip()
    if not text:
        raise InvalidState("write your answer to the case worker's question")
    if data:
        if "kind" in data and data["kind"] != request.kind:
            raise InvalidState("the kind of a request cannot change: cancel it and file a new one")
        _set_fields(request, data)
    merged = dict(request.documents or {})
    merged.update({k: v for k, v in (documents or {}).items() if v})
    request.documents = _check_documents(RequestKind(request.kind), merged)
    _apply_rules(session, request)
    request.answer = text
    request.status = RequestStatus.SUBMITTED.value
    session.flush()
    payload = {name: getattr(request, name) for name in RULE_INPUTS}
    payload["answer"] = text
    workflow.correlate_message(session, MSG_ANSWERED, payload, instance_id=request.process_instance_id,
                               user_id=user_id)
    _stamp_review_tasks(session, request)
    _audit(session, request.id, "syndic_request_answered", user_id, changed=sorted((data or {}).keys()),
           documents=sorted((documents or {}).keys()), deadline=_iso(request.deadline),
           late_working_days=request.late_working_days)
    return request


def _balance(session: Session, organisation_id: int) -> Decimal:
    wallet = ledger.wallet_for(session, organisation_id)
    return ledger.balance(session, wallet.id)


def retry_payment(session: Session, workflow: Any, request_id: int, *, user_id: int | None) -> MandateRequest:
    """After a top-up: the process charges the fee again. Raises InsufficientFunds (nothing
    changed) while the wallet still does not cover it."""
    request = _locked(session, request_id)
    if request.status != RequestStatus.AWAITING_PAYMENT:
        raise InvalidState(f"request {request.reference} is {request.status}: only a request waiting for payment "
                           "can be paid again")
    balance = _balance(session, request.organisation_id)
    amount = Decimal(str(request.fee_total))
    if balance < amount:
        raise InsufficientFunds(balance, amount)
    workflow.correlate_message(session, MSG_PAYMENT_READY, {"request_id": request.id},
                               instance_id=request.process_instance_id, user_id=user_id)
    _audit(session, request.id, "syndic_payment_retried", user_id, balance=f"{balance:.2f}")
    return request


def confirm_filing(session: Session, workflow: Any, request_id: int, *, user_id: int | None,
                   counter_reference: str, confirmed_on: dt.date | None = None) -> MandateRequest:
    """The enterprise counter confirmed the filing (entered by a case worker, or read from its
    mail): the process records the mandate."""
    request = _locked(session, request_id)
    if request.status != RequestStatus.FILED:
        raise InvalidState(f"request {request.reference} is {request.status}: only a request filed at the counter "
                           "can be confirmed")
    ref = (counter_reference or "").strip()
    if not ref:
        raise InvalidState("enter the counter's reference of the registration")
    if len(ref) > 80:
        raise InvalidState("the counter's reference has more than 80 characters: shorten it")
    if request.process_instance_id is not None and session.scalar(select(MessageWait.id).where(
            MessageWait.instance_id == request.process_instance_id,
            MessageWait.message_name == MSG_COUNTER_CONFIRMED)) is None:
        # the filing step has set the status but its instance has not reached the wait yet
        raise InvalidState(f"request {request.reference} is still being sent to the enterprise counter: "
                           "try again in a moment")
    request.counter_reference = ref
    request.confirmed_at = (dt.datetime.combine(confirmed_on, dt.time(12, 0), tzinfo=dt.UTC)
                            if confirmed_on and confirmed_on != dt.date.today() else utcnow())
    request.confirmed_by_id = user_id
    session.flush()
    workflow.correlate_message(session, MSG_COUNTER_CONFIRMED, {"counter_reference": ref},
                               instance_id=request.process_instance_id, user_id=user_id)
    _audit(session, request.id, "syndic_filing_confirmed", user_id, counter_reference=ref)
    return request


def cancel_request(session: Session, workflow: Any, request_id: int, *, user_id: int | None,
                   reason: str) -> MandateRequest:
    """Withdraw a request before it is paid and filed; its process ends."""
    request = _locked(session, request_id)
    if request.status in (RequestStatus.FILED, RequestStatus.RECORDED):
        raise InvalidState(f"request {request.reference} is already filed at the enterprise counter: it can no "
                           "longer be cancelled (file a termination or a modification instead)")
    if request.status == RequestStatus.CANCELLED:
        raise InvalidState(f"request {request.reference} is already cancelled")
    if request.paid_at is not None:
        raise InvalidState(f"the fee of request {request.reference} is paid and it is being filed: it can no "
                           "longer be cancelled")
    text = (reason or "").strip()
    if not text:
        raise InvalidState("say why the request is cancelled")
    request.status = RequestStatus.CANCELLED.value
    if request.process_instance_id is not None:
        workflow.terminate(session, request.process_instance_id, user_id=user_id, reason=f"cancelled: {text}")
    _audit(session, request.id, "syndic_request_cancelled", user_id, reason=text)
    return request


# ------------------------------------------------------------------------------ queries

def requests_of_organisation(session: Session, organisation_id: int) -> list[MandateRequest]:
    return list(session.scalars(select(MandateRequest).where(MandateRequest.organisation_id == organisation_id)
                                .order_by(MandateRequest.created_at.desc(), MandateRequest.id.desc())))


def open_requests(session: Session, *, status: str | None = None) -> list[MandateRequest]:
    """Requests not recorded or cancelled (or of one status), the most urgent deadline first."""
    query = select(MandateRequest)
    if status is not None:
        query = query.where(MandateRequest.status == status)
    else:
        query = query.where(MandateRequest.status.in_([s.value for s in OPEN_STATUSES]))
    return list(session.scalars(query.order_by(MandateRequest.deadline.is_(None), MandateRequest.deadline,
                                               MandateRequest.id)))


def mandate_history(session: Session, association_number: str) -> list[Mandate]:
    number = enterprise_number.compact(association_number)
    return list(session.scalars(select(Mandate).where(Mandate.association_number == number)
                                .order_by(Mandate.start_date.desc(), Mandate.id.desc())))


def current_mandate(session: Session, association_number: str, *, on: dt.date | None = None) -> Mandate | None:
    """The mandate in force on ``on`` (today): started, and not ended before that day."""
    day = on or dt.date.today()
    number = enterprise_number.compact(association_number)
    return session.scalar(select(Mandate).where(
        Mandate.association_number == number, Mandate.start_date <= day,
        or_(Mandate.end_date.is_(None), Mandate.end_date >= day),
    ).order_by(Mandate.start_date.desc(), Mandate.id.desc()).limit(1))


def mandates_of_organisation(session: Session, organisation_id: int) -> list[Mandate]:
    """Mandates where the organisation is the syndic or the association, newest first."""
    return list(session.scalars(select(Mandate).where(or_(
        Mandate.syndic_organisation_id == organisation_id, Mandate.association_organisation_id == organisation_id,
    )).order_by(Mandate.start_date.desc(), Mandate.id.desc())))


# ------------------------------------------------------------------------------ process steps

def _recipient(session: Session, request: MandateRequest) -> tuple[str | None, str, str, int | None]:
    """(address, language, name, user id) of whom the requester's mails go to."""
    user = session.get(User, request.requester_id) if request.requester_id else None
    if user is not None:
        language = user.locale if user.locale in ("fr", "nl", "en") else "fr"
        return user.email, language, user.first_name or user.name, user.id
    return request.syndic_email, "fr", request.syndic_first_names or request.syndic_name or "", None


def _mail(session: Session, request: MandateRequest, which: str, **values: Any) -> None:
    address, language, name, user_id = _recipient(session, request)
    if not address:
        return
    subject, body = mails.MAILS[which][language]
    fields = {"reference": request.reference, "name": name, "operator": mails.OPERATOR_NAME[language],
              "association": request.association_name or enterprise_number.format_number(request.association_number),
              **values}
    queue_notification(session, recipient=address, subject=subject.format(**fields), body=body.format(**fields),
                       user_id=user_id, purpose=f"syndic_{which}")


def _reviewer(session: Session, request: MandateRequest) -> int | None:
    if request.process_instance_id is None:
        return None
    return session.scalar(select(HumanTask.completed_by_id).where(
        HumanTask.instance_id == request.process_instance_id, HumanTask.bpmn_id == REVIEW_TASK,
        HumanTask.completed_by_id.is_not(None)).order_by(HumanTask.completed_at.desc(), HumanTask.id.desc()).limit(1))


def send_back(session: Session, request_id: int, reason: str) -> str:
    """The case worker's reason goes to the requester, who answers on the portal."""
    request = _locked(session, request_id)
    if request.status != RequestStatus.SUBMITTED:
        return request.status  # done already (a retried step) or cancelled meanwhile
    request.status = RequestStatus.SENT_BACK.value
    request.send_back_reason = reason
    request.answer = None
    _audit(session, request.id, "syndic_request_sent_back", _reviewer(session, request), reason=reason)
    _mail(session, request, "sent_back", reason=reason)
    return request.status


def charge(session: Session, request_id: int) -> str:
    """Charge the fee to the filing organisation's wallet, once (reference ``syndic:<id>:fee``).
    Returns ``paid``, or ``insufficient`` (nothing written) for the process to wait for a top-up."""
    request = _locked(session, request_id)
    if request.paid_at is not None:
        return "paid"
    if request.status == RequestStatus.CANCELLED:
        return "cancelled"
    amount = Decimal(str(request.fee_total))
    if amount > 0:
        try:
            with session.begin_nested():
                entry = charge_fee(session, request.organisation_id, f"{FEE_PRODUCT}:{request.association_number}",
                                   amount, f"syndic:{request.id}:fee", user_id=None)
        except InsufficientFunds as short:
            _audit(session, request.id, "syndic_fee_short", None, balance=f"{short.balance:.2f}",
                   amount=f"{short.amount:.2f}")
            return "insufficient"
        request.wallet_entry_id = entry.id
    request.paid_at = utcnow()
    _audit(session, request.id, "syndic_fee_charged", None, amount=f"{amount:.2f}",
           wallet_entry_id=request.wallet_entry_id)
    return "paid"


def ask_payment(session: Session, request_id: int) -> str:
    """The wallet was short: the request waits for payment and the requester is told how much."""
    request = _locked(session, request_id)
    if request.status != RequestStatus.SUBMITTED or request.paid_at is not None:
        return request.status
    request.status = RequestStatus.AWAITING_PAYMENT.value
    balance = _balance(session, request.organisation_id)
    amount = Decimal(str(request.fee_total))
    _audit(session, request.id, "syndic_awaiting_payment", None, balance=f"{balance:.2f}", amount=f"{amount:.2f}")
    _mail(session, request, "awaiting_payment", balance=f"{balance:.2f}", amount=f"{amount:.2f}",
          missing=f"{max(amount - balance, Decimal('0')):.2f}")
    return request.status


def reminder_due(sent_at: dt.datetime, working_days: int, reminders: int) -> dt.datetime:
    """When the counter is reminded: ``working_days`` working days after the filing, and as many
    after each reminder (at the same time of day)."""
    day = calendar.add_working_days(sent_at.date(), working_days * (reminders + 1))
    return dt.datetime.combine(day, sent_at.timetz()) if sent_at.tzinfo else dt.datetime.combine(
        day, sent_at.time(), tzinfo=dt.UTC)


def mark_filed(session: Session, request_id: int, *, channel: str,
               counter_reference: str | None = None) -> MandateRequest:
    """The request went to the counter (the integration sent it); idempotent."""
    request = _locked(session, request_id)
    if request.sent_to_counter_at is None:
        request.sent_to_counter_at = utcnow()
        request.counter_channel = channel
        if counter_reference and not request.counter_reference:
            request.counter_reference = counter_reference[:80]
        if request.status in (RequestStatus.SUBMITTED, RequestStatus.AWAITING_PAYMENT):
            request.status = RequestStatus.FILED.value
        _audit(session, request.id, "syndic_request_filed", None, channel=channel)
    return request


def note_reminder(session: Session, request_id: int, number: int) -> MandateRequest:
    """Reminder ``number`` went to the counter; a replayed step does not count twice."""
    request = _locked(session, request_id)
    if request.reminders_sent < number:
        request.reminders_sent = number
        _audit(session, request.id, "syndic_counter_reminded", None, reminder=number)
    return request


def _mandate_from(request: MandateRequest, start: dt.date) -> Mandate:
    syndic_org = (request.organisation_id if request.organisation_id != request.association_organisation_id
                  else None)
    return Mandate(
        association_number=request.association_number, association_name=request.association_name,
        association_organisation_id=request.association_organisation_id, syndic_kind=request.syndic_kind or "",
        syndic_name=request.syndic_name or "", syndic_first_names=request.syndic_first_names,
        syndic_enterprise_number=request.syndic_enterprise_number,
        syndic_person_number=request.syndic_person_number, syndic_address=request.syndic_address,
        syndic_organisation_id=syndic_org, representative_name=request.representative_name,
        representative_first_names=request.representative_first_names,
        representative_person_number=request.representative_person_number, provisional=bool(request.provisional),
        appointed_by=request.appointed_by, start_date=start, end_date=request.mandate_end,
        registered_by_request_id=request.id, modified_by_request_ids=[], recorded_at=utcnow(),
    )


def _outgoing(session: Session, request: MandateRequest, on: dt.date) -> Mandate | None:
    if request.outgoing_mandate_id:
        mandate = session.get(Mandate, request.outgoing_mandate_id)
        if mandate is not None and mandate.association_number == request.association_number:
            return mandate
    return current_mandate(session, request.association_number, on=on)


MODIFIABLE = ("syndic_name", "syndic_first_names", "syndic_enterprise_number", "syndic_person_number",
              "syndic_address", "representative_name", "representative_first_names",
              "representative_person_number", "mandate_end")


def record_mandate(session: Session, request_id: int) -> str:
    """Update the association's mandate history once the counter confirmed: a registration adds a
    mandate; a termination ends the outgoing one on its effective date; a modification updates the
    current one (or, when Guichet did not know it, records it from that date); one movement does
    both the termination and the registration."""
    request = _locked(session, request_id)
    if request.status == RequestStatus.RECORDED:
        return request.status
    kind = RequestKind(request.kind)
    changed: dict[str, Any] = {}
    if kind in (RequestKind.TERMINATION, RequestKind.TERMINATION_AND_REGISTRATION):
        effect = request.effective_date or request.mandate_start
        outgoing = _outgoing(session, request, effect - dt.timedelta(days=1))
        if outgoing is not None and (outgoing.end_date is None or outgoing.end_date > effect):
            outgoing.end_date = effect
            outgoing.ended_by_request_id = request.id
            changed["ended"] = outgoing.id
    if kind in (RequestKind.REGISTRATION, RequestKind.TERMINATION_AND_REGISTRATION):
        mandate = _mandate_from(request, request.mandate_start or request.effective_date)
        session.add(mandate)
        session.flush()
        changed["registered"] = mandate.id
    if kind == RequestKind.MODIFICATION:
        mandate = _outgoing(session, request, request.effective_date)
        if mandate is None:
            mandate = _mandate_from(request, request.mandate_start or request.effective_date)
            mandate.registered_by_request_id = None
            session.add(mandate)
            session.flush()
        for name in MODIFIABLE:
            source = "mandate_end" if name == "mandate_end" else name
            value = getattr(request, source)
            target = "end_date" if name == "mandate_end" else name
            if value not in (None, "") and getattr(mandate, target) != value:
                setattr(mandate, target, value)
        mandate.modified_by_request_ids = [*(mandate.modified_by_request_ids or []), request.id]
        changed["modified"] = mandate.id
    request.status = RequestStatus.RECORDED.value
    if request.confirmed_at is None:
        request.confirmed_at = utcnow()
    _audit(session, request.id, "syndic_mandate_recorded", request.confirmed_by_id, **changed)
    return request.status


def mail_recorded(session: Session, request_id: int) -> str:
    request = get_request(session, request_id)
    if request.status != RequestStatus.RECORDED:
        return request.status
    already = session.scalar(select(AuditEvent.id).where(AuditEvent.subject_type == SUBJECT,
                                                         AuditEvent.subject_id == request.id,
                                                         AuditEvent.kind == "syndic_requester_told_recorded"))
    if already is None:
        _mail(session, request, "recorded", counter_reference=request.counter_reference or "-")
        _audit(session, request.id, "syndic_requester_told_recorded", None)
    return request.status
