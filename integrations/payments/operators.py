"""The ``wallet.charge`` service-task operator: a process (e.g. the syndic-mandate filing, issue 8)
charges its fee through the same ledger as the pages (engine/wallet/fees.py): atomic, never below
zero, and idempotent by reference, so a retried task never charges twice. An insufficient balance
fails the task with a message giving the balance and the amount needed (an incident the case
worker sees)."""

from __future__ import annotations

from decimal import Decimal

from marshmallow import Schema, fields, validate

from engine import jobs
from engine.wallet.fees import charge_fee
from engine.workflow.operators import OperatorRegistry


class _ChargeParams(Schema):
    organisation_id = fields.Integer(required=True)
    product = fields.String(required=True, validate=validate.Length(min=1, max=60))
    amount = fields.Decimal(required=True, places=2)
    reference = fields.String(required=True, validate=validate.Length(min=1, max=100))


def charge(organisation_id: int, product: str, amount: Decimal, reference: str) -> dict[str, str | int]:
    with jobs.runtime().db.transaction() as session:
        entry = charge_fee(session, organisation_id, product, amount, reference)
        return {"entry_id": entry.id, "amount": f"{-Decimal(str(entry.amount)):.2f}"}


def register(operators: OperatorRegistry) -> None:
    operators.register("wallet.charge", charge, _ChargeParams,
                       description="Charge a fee to an organisation's wallet (never below zero; once per reference).")
