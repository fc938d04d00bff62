"""The syndic mandate request from submission to the recorded mandate, through the deployed
diagram with eager jobs: the document check (send back and answer), the fee from the wallet
(short balance, top-up, retry: charged once), the filing mail with its documents in the outbox,
the reminder timer, the confirmation (by a case worker or by the counter's mail) and the
mandate history."""

from __future__ import annotations

import datetime as dt
import email
from decimal import Decimal
from email import policy

import pytest
from sqlalchemy import delete, select

from engine.db import Database
from engine.mail.intake import IncomingMail, store_batch
from engine.notify import Notification
from engine.syndic import requests
from engine.syndic.models import Mandate, MandateRequest, RequestStatus
from engine.wallet.errors import InsufficientFunds
from engine.wallet.models import WalletEntry
from engine.workflow.errors import InvalidState
from engine.workflow.models import AuditEvent, HumanTask, HumanTaskState, InstanceStatus, MessageWait, ProcessInstance
from integrations.syndic.confirmations import confirm_from_mail
from tests.engine.conftest import Clock
from tests.engine.syndic.conftest import (
    ASSOCIATION,
    World,
    registration_data,
    review_task,
    submit,
    top_up,
)
from webapp.bootstrap import Services


def _request(db: Database, request_id: int) -> MandateRequest:
    with db.transaction() as session:
        request = session.get(MandateRequest, request_id)
        session.expunge(request)
        return request


def _approve(services: Services, w: World, request_id: int) -> None:
    task = review_task(services.db, request_id)
    with services.db.transaction() as session:
        services.engine.complete(session, task.id, {"decision": "approve", "reason": ""}, user_id=w.staff)


def _outbox(services: Services) -> list[email.message.EmailMessage]:
    folder = services.settings.outbox_root
    return [email.message_from_bytes(p.read_bytes(), policy=policy.default)
            for p in sorted(folder.glob("*.eml"))] if folder.exists() else []


def test_from_submission_to_the_recorded_mandate(services: Services, world: World) -> None:
    db = services.db
    top_up(db, world.org, "200.00", "t1")
    request_id = submit(services, world)
    request = _request(db, request_id)
    assert request.reference == f"SYN-2026-{request_id:06d}"
    assert request.status == RequestStatus.SUBMITTED and request.fee_total == Decimal("92.50")
    assert request.deadline == dt.date(2026, 9, 30) and request.deadline_rule == "day_before_start"
    assert request.late_working_days == 0 and request.syndic_person_number_kind == "nn"
    task = review_task(db, request_id)
    assert task.queue == "syndic" and task.form_key == "syndic.review_documents"
    assert task.due_at.date() == dt.date(2026, 9, 30)
    assert "pv-ag.pdf" in task.instructions and "Deadline: 2026-09-30" in task.instructions
    with db.transaction() as session:  # the rule steps of the diagram put the same outcome in the data
        data = services.engine.task_data(session.get(ProcessInstance, request.process_instance_id))
        assert data["filing"]["deadline_rule"] == "day_before_start"
        assert data["representative"]["representative_case"] == "not_applicable"
        assert str(data["fee"]["total"]) == "92.50"

    _approve(services, world, request_id)
    request = _request(db, request_id)
    assert request.status == RequestStatus.FILED and request.counter_channel == "mail"
    assert request.paid_at is not None
    with db.transaction() as session:
        entry = session.get(WalletEntry, request.wallet_entry_id)
        assert entry.amount == Decimal("-92.50") and entry.reference == f"syndic:{request_id}:fee"
        assert ASSOCIATION in entry.product
    [filing] = _outbox(services)
    assert filing["To"] == services.settings.bce_counter_email and request.reference in filing["Subject"]
    assert [a.get_filename() for a in filing.iter_attachments()] == ["pv-ag.pdf"]
    assert "syndic_person_number: 85073003328" in filing.get_body(("plain",)).get_content()

    with pytest.raises(InvalidState), db.transaction() as session:
        requests.cancel_request(session, services.engine, request_id, user_id=world.user, reason="changed mind")
    with db.transaction() as session:
        requests.confirm_filing(session, services.engine, request_id, user_id=world.staff,
                                counter_reference="KBO-2026-77")
    request = _request(db, request_id)
    assert request.status == RequestStatus.RECORDED and request.counter_reference == "KBO-2026-77"
    with db.transaction() as session:
        assert session.get(ProcessInstance, request.process_instance_id).status == InstanceStatus.COMPLETED
        [mandate] = requests.mandate_history(session, ASSOCIATION)
        assert (mandate.syndic_name, mandate.start_date, mandate.registered_by_request_id) == (
            "Janssens", dt.date(2026, 10, 1), request_id)
        assert requests.current_mandate(session, ASSOCIATION, on=dt.date(2026, 10, 2)).id == mandate.id
        assert [m.id for m in requests.mandates_of_organisation(session, world.org)] == [mandate.id]
        told = session.scalars(select(Notification).where(Notification.purpose == "syndic_recorded")).one()
        assert "KBO-2026-77" in told.body and "ingeschreven" in told.subject  # the requester's language


def test_send_back_and_answer(services: Services, world: World) -> None:
    db = services.db
    top_up(db, world.org, "200.00", "t1")
    request_id = submit(services, world)
    task = review_task(db, request_id)
    with db.transaction() as session:
        services.engine.complete(session, task.id, {"decision": "send_back", "reason": "The extract is unsigned."},
                                 user_id=world.staff)
    request = _request(db, request_id)
    assert request.status == RequestStatus.SENT_BACK and request.send_back_reason == "The extract is unsigned."
    with db.transaction() as session:
        mail = session.scalars(select(Notification).where(Notification.purpose == "syndic_sent_back")).one()
        assert "The extract is unsigned." in mail.body
        assert session.scalar(select(HumanTask.id).where(HumanTask.state == HumanTaskState.READY)) is None
    with pytest.raises(InvalidState), db.transaction() as session:
        requests.answer_request(session, services.engine, request_id, user_id=world.user, answer="  ")
    # the answer moves the start: the rules run again (decision 5 working days before the start)
    with db.transaction() as session:
        requests.answer_request(session, services.engine, request_id, user_id=world.user,
                                answer="Signed extract attached; the start moved.",
                                data={"mandate_start": dt.date(2026, 9, 8)})
    request = _request(db, request_id)
    assert request.status == RequestStatus.SUBMITTED and request.deadline_rule == "within_8_days_of_decision"
    assert request.deadline == dt.date(2026, 9, 11) and request.late_working_days == 0
    task = review_task(db, request_id)
    assert task.due_at.date() == dt.date(2026, 9, 11) and "Signed extract attached" in task.instructions
    with db.transaction() as session:
        data = services.engine.task_data(session.get(ProcessInstance, request.process_instance_id))
        assert data["filing"]["deadline_rule"] == "within_8_days_of_decision"
    with pytest.raises(InvalidState), db.transaction() as session:
        requests.answer_request(session, services.engine, request_id, user_id=world.user, answer="again")
    _approve(services, world, request_id)
    assert _request(db, request_id).status == RequestStatus.FILED


def test_short_wallet_waits_then_retry_charges_once(services: Services, world: World) -> None:
    db = services.db
    top_up(db, world.org, "50.00", "t1")
    request_id = submit(services, world, known=False)  # unknown association: 92.50 + 37 + 7.77 VAT
    _approve(services, world, request_id)
    request = _request(db, request_id)
    assert request.status == RequestStatus.AWAITING_PAYMENT and request.fee_total == Decimal("137.27")
    assert request.paid_at is None
    with db.transaction() as session:
        mail = session.scalars(select(Notification).where(Notification.purpose == "syndic_awaiting_payment")).one()
        assert "87.27" in mail.body  # what is missing
    with pytest.raises(InsufficientFunds), db.transaction() as session:
        requests.retry_payment(session, services.engine, request_id, user_id=world.user)
    assert _request(db, request_id).status == RequestStatus.AWAITING_PAYMENT
    top_up(db, world.org, "100.00", "t2")
    with db.transaction() as session:
        requests.retry_payment(session, services.engine, request_id, user_id=world.user)
    request = _request(db, request_id)
    assert request.status == RequestStatus.FILED and request.paid_at is not None
    with db.transaction() as session:
        fees_charged = session.scalars(select(WalletEntry).where(WalletEntry.kind == "fee")).all()
        assert [e.amount for e in fees_charged] == [Decimal("-137.27")]
    with pytest.raises(InvalidState), db.transaction() as session:
        requests.retry_payment(session, services.engine, request_id, user_id=world.user)


def test_the_reminder_timer_fires_once_when_due(services: Services, world: World, clock: Clock) -> None:
    db = services.db
    top_up(db, world.org, "200.00", "t1")
    request_id = submit(services, world)
    _approve(services, world, request_id)
    request = _request(db, request_id)
    with db.transaction() as session:
        instance = session.get(ProcessInstance, request.process_instance_id)
        due = instance.next_timer_at
        expected = requests.reminder_due(request.sent_to_counter_at, 5, 0)
        assert due == expected and (due.date() - request.sent_to_counter_at.date()).days >= 7
        assert services.engine.due_timer_instances(session, clock.now()) == []
    clock.advance(seconds=(due - clock.now()).total_seconds() + 60)  # the reminder falls due
    with db.transaction() as session:
        assert services.engine.due_timer_instances(session, clock.now()) == [request.process_instance_id]
        assert services.engine.fire_timers(session, request.process_instance_id, clock.now())
    with db.transaction() as session:  # fired once: the next one is 5 working days later
        assert services.engine.fire_timers(session, request.process_instance_id, clock.now()) is False
        instance = session.get(ProcessInstance, request.process_instance_id)
        assert instance.next_timer_at == requests.reminder_due(request.sent_to_counter_at, 5, 1)
    request = _request(db, request_id)
    assert request.reminders_sent == 1 and request.status == RequestStatus.FILED
    sent = _outbox(services)
    assert len(sent) == 2 and sent[1]["Subject"].startswith("Reminder 1:")
    assert [a.get_filename() for a in sent[1].iter_attachments()] == ["pv-ag.pdf"]
    with db.transaction() as session:
        requests.confirm_filing(session, services.engine, request_id, user_id=world.staff, counter_reference="K-1")
    assert _request(db, request_id).status == RequestStatus.RECORDED


def test_the_counters_mail_confirms_the_filing(services: Services, world: World) -> None:
    db = services.db
    top_up(db, world.org, "200.00", "t1")
    request_id = submit(services, world)
    _approve(services, world, request_id)
    request = _request(db, request_id)
    counter = services.settings.bce_counter_email
    with db.transaction() as session:
        store_batch(session, [
            IncomingMail(message_id="other@x", raw_sha256="0" * 64, source="maildir",
                         subject=f"Re: {request.reference}", sender="someone@else.be",
                         body_text="Référence : FAKE-1"),
            IncomingMail(message_id="conf-1@counter", raw_sha256="1" * 64, source="maildir",
                         subject=f"Confirmation {request.reference}",
                         sender=counter.upper(), body_text="Référence : BCE/2026/123456"),
        ])
    assert confirm_from_mail(services.settings, db, services.engine) == [request.reference]
    assert confirm_from_mail(services.settings, db, services.engine) == []  # used once
    request = _request(db, request_id)
    assert request.status == RequestStatus.RECORDED and request.counter_reference == "BCE/2026/123456"
    with db.transaction() as session:
        assert session.scalar(select(Mandate.id)) is not None


def test_one_movement_ends_the_outgoing_mandate_and_registers_the_new_one(services: Services,
                                                                          world: World) -> None:
    db = services.db
    top_up(db, world.org, "500.00", "t1")
    first = submit(services, world, today=dt.date(2026, 9, 10))
    _approve(services, world, first)
    with db.transaction() as session:
        requests.confirm_filing(session, services.engine, first, user_id=world.staff, counter_reference="K-1")
    data = registration_data(kind="termination_and_registration", syndic_name="Peeters", syndic_first_names="Jan",
                             syndic_person_number="90020200197", decision_date=dt.date(2027, 3, 1),
                             mandate_start=dt.date(2027, 4, 1), effective_date=dt.date(2027, 4, 1),
                             outgoing_syndic_name="Janssens")
    second = submit(services, world, data, today=dt.date(2027, 3, 5),
                    documents={"decision_extract": world.documents["decision_extract"],
                               "revocation_proof": world.documents["revocation_proof"]})
    request = _request(db, second)
    assert request.fee_total == Decimal("92.50")  # one movement: one fee
    assert request.deadline == dt.date(2027, 3, 31)
    _approve(services, world, second)
    with db.transaction() as session:
        requests.confirm_filing(session, services.engine, second, user_id=world.staff, counter_reference="K-2")
    with db.transaction() as session:
        new, old = requests.mandate_history(session, ASSOCIATION)
        assert (new.syndic_name, new.start_date, new.end_date) == ("Peeters", dt.date(2027, 4, 1), None)
        assert (old.syndic_name, old.end_date, old.ended_by_request_id) == ("Janssens", dt.date(2027, 4, 1), second)
        assert requests.current_mandate(session, ASSOCIATION, on=dt.date(2027, 4, 2)).id == new.id
        fees_charged = session.scalars(select(WalletEntry.amount).where(WalletEntry.kind == "fee")).all()
        assert sorted(fees_charged) == [Decimal("-92.50"), Decimal("-92.50")]


def test_cancel_before_filing_ends_the_process(services: Services, world: World) -> None:
    db = services.db
    request_id = submit(services, world)
    with pytest.raises(InvalidState), db.transaction() as session:
        requests.cancel_request(session, services.engine, request_id, user_id=world.user, reason="")
    with db.transaction() as session:
        requests.cancel_request(session, services.engine, request_id, user_id=world.user, reason="Wrong building")
    request = _request(db, request_id)
    assert request.status == RequestStatus.CANCELLED
    with db.transaction() as session:
        assert session.get(ProcessInstance, request.process_instance_id).status == InstanceStatus.TERMINATED
        assert requests.open_requests(session) == []
        assert [r.id for r in requests.requests_of_organisation(session, world.org)] == [request_id]
    with pytest.raises(InvalidState), db.transaction() as session:
        requests.cancel_request(session, services.engine, request_id, user_id=world.user, reason="again")


def test_a_renewal_and_missing_documents_are_refused(services: Services, world: World) -> None:
    with pytest.raises(InvalidState, match="renewal is not filed"):
        submit(services, world, registration_data(kind="renewal"))
    with pytest.raises(InvalidState, match="attach decision extract"):
        submit(services, world, documents={})
    with services.db.transaction() as session:
        assert session.scalar(select(MandateRequest.id)) is None


def _file_and_confirm(services: Services, w: World, data: dict, today: dt.date, documents: dict,
                      reference: str) -> int:
    request_id = submit(services, w, data, today=today, documents=documents)
    _approve(services, w, request_id)
    with services.db.transaction() as session:
        requests.confirm_filing(session, services.engine, request_id, user_id=w.staff, counter_reference=reference)
    return request_id


def test_modification_then_termination_update_the_history_and_late_filings_are_flagged(
        services: Services, world: World) -> None:
    db = services.db
    top_up(db, world.org, "500.00", "t1")
    first = submit(services, world)
    _approve(services, world, first)
    with db.transaction() as session:
        requests.confirm_filing(session, services.engine, first, user_id=world.staff, counter_reference="K-1")
    base = {"association_number": ASSOCIATION, "syndic_kind": "natural", "syndic_name": "Janssens",
            "syndic_first_names": "Marie Louise", "syndic_person_number": "85073003328"}
    # the new address takes effect on Tue 2027-01-05; filed on Fri 2027-01-08: 4 working days late
    modification = _file_and_confirm(
        services, world, {**base, "kind": "modification", "effective_date": dt.date(2027, 1, 5),
                          "changes": "New address", "syndic_address": "Bruul 5, 2800 Mechelen"},
        dt.date(2027, 1, 8), {}, "K-2")
    request = _request(db, modification)
    assert (request.deadline, request.late_working_days, request.status) == (
        dt.date(2027, 1, 4), 4, RequestStatus.RECORDED)
    termination = _file_and_confirm(
        services, world, {"association_number": ASSOCIATION, "kind": "termination",
                          "effective_date": dt.date(2027, 6, 30), "outgoing_syndic_name": "Janssens"},
        dt.date(2027, 6, 1), {"revocation_proof": world.documents["revocation_proof"]}, "K-3")
    with db.transaction() as session:
        [mandate] = requests.mandate_history(session, ASSOCIATION)
        assert mandate.syndic_address == "Bruul 5, 2800 Mechelen"
        assert mandate.modified_by_request_ids == [modification]
        assert (mandate.end_date, mandate.ended_by_request_id) == (dt.date(2027, 6, 30), termination)
        assert requests.current_mandate(session, ASSOCIATION, on=dt.date(2027, 7, 1)) is None
        assert requests.current_mandate(session, ASSOCIATION, on=dt.date(2027, 6, 30)).id == mandate.id
        late = session.scalars(select(AuditEvent).where(AuditEvent.subject_id == modification,
                                                        AuditEvent.kind == "syndic_request_submitted")).one()
        assert late.detail["late_working_days"] == 4


def test_a_confirmation_before_the_instance_waits_for_it_says_to_try_again(services: Services,
                                                                           world: World) -> None:
    """Between the filing step setting FILED and its instance reaching the receive task, a
    confirmation is refused with a sentence to try again, and nothing is written."""
    db = services.db
    top_up(db, world.org, "200.00", "t1")
    request_id = submit(services, world)
    _approve(services, world, request_id)
    instance_id = _request(db, request_id).process_instance_id
    with pytest.raises(InvalidState, match="still being sent to the enterprise counter"), \
            db.transaction() as session:
        session.execute(delete(MessageWait).where(MessageWait.instance_id == instance_id))  # not waiting yet
        requests.confirm_filing(session, services.engine, request_id, user_id=world.staff,
                                counter_reference="KBO-2026-78")
    request = _request(db, request_id)
    assert request.status == RequestStatus.FILED and request.counter_reference is None
    with db.transaction() as session:  # once it waits, the same confirmation goes through
        requests.confirm_filing(session, services.engine, request_id, user_id=world.staff,
                                counter_reference="KBO-2026-78")
    assert _request(db, request_id).status == RequestStatus.RECORDED
