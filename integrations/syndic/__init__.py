"""Operators of the syndic mandate request process (bpmn/syndic/mandate_request.bpmn). They run in
the worker, each in its own transaction, and are idempotent because the engine functions of
engine/syndic/requests.py leave a step that is done alone (and the counter's mail or POST is sent
once per request and reminder)."""

from __future__ import annotations

from marshmallow import Schema, fields

from engine import jobs
from engine.syndic import requests
from engine.workflow.operators import OperatorRegistry
from integrations.mail import jobs as mail_jobs
from integrations.syndic import counter


class _RequestParams(Schema):
    request_id = fields.Integer(required=True)


class _SendBackParams(Schema):
    request_id = fields.Integer(required=True)
    reason = fields.String(required=True)


def send_back(request_id: int, reason: str) -> str:
    with jobs.runtime().db.transaction() as session:
        return requests.send_back(session, request_id, reason)


def charge_fee(request_id: int) -> str:
    with jobs.runtime().db.transaction() as session:
        return requests.charge(session, request_id)


def ask_payment(request_id: int) -> str:
    with jobs.runtime().db.transaction() as session:
        return requests.ask_payment(session, request_id)


def file_at_counter(request_id: int) -> str:
    return counter.file_at_counter(mail_jobs.settings(), jobs.runtime().db, request_id)


def remind_counter(request_id: int) -> str:
    return counter.remind_counter(mail_jobs.settings(), jobs.runtime().db, request_id)


def record_mandate(request_id: int) -> str:
    with jobs.runtime().db.transaction() as session:
        return requests.record_mandate(session, request_id)


def mail_recorded(request_id: int) -> str:
    with jobs.runtime().db.transaction() as session:
        return requests.mail_recorded(session, request_id)


def register(operators: OperatorRegistry) -> None:
    operators.register("syndic.send_back", send_back, _SendBackParams,
                       description="Mark a syndic request sent back; mail the case worker's reason to the requester.")
    operators.register("syndic.charge_fee", charge_fee, _RequestParams,
                       description="Charge a syndic request's fee to the wallet once; 'paid' or 'insufficient'.")
    operators.register("syndic.ask_payment", ask_payment, _RequestParams,
                       description="The wallet was short: the request waits for payment; mail the requester.")
    operators.register("syndic.file_at_counter", file_at_counter, _RequestParams,
                       description="File the request at the enterprise counter (mail or HTTP); the reminder date.")
    operators.register("syndic.remind_counter", remind_counter, _RequestParams,
                       description="Remind the enterprise counter of an unconfirmed request; the next date.")
    operators.register("syndic.record_mandate", record_mandate, _RequestParams,
                       description="Write the confirmed request into the association's mandate history.")
    operators.register("syndic.mail_recorded", mail_recorded, _RequestParams,
                       description="Tell the requester the mandate is registered.")
