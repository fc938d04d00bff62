"""Fees through the ledger: atomic, never below zero, once per reference; and the ``wallet.charge``
operator that processes use."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from engine.db import Database
from engine.wallet import ledger
from engine.wallet.errors import InsufficientFunds
from engine.wallet.fees import charge_fee
from engine.wallet.models import EntryKind, WalletEntry
from engine.workflow.operators import OperatorRegistry
from integrations import register_operators
from tests.portal_support import organisation


def _funded(db: Database, amount: str) -> int:
    with db.transaction() as session:
        org = organisation(session)
        wallet = ledger.wallet_for(session, org.id)
        ledger.credit(session, wallet.id, amount, kind=EntryKind.TOPUP_TRANSFER, reference="seed")
        return org.id


def test_charge_debits_once_per_reference(db: Database) -> None:
    org_id = _funded(db, "100.00")
    with db.transaction() as session:
        first = charge_fee(session, org_id, "syndic_filing", "25.00", "filing-1", None)
        again = charge_fee(session, org_id, "syndic_filing", "25.00", "filing-1", None)
        assert first.id == again.id and Decimal(str(first.amount)) == Decimal("-25.00")
        assert ledger.balance(session, ledger.wallet_for(session, org_id).id) == Decimal("75.00")


def test_charge_never_goes_below_zero(db: Database) -> None:
    org_id = _funded(db, "10.00")
    with db.transaction() as session, pytest.raises(InsufficientFunds) as refused:
        charge_fee(session, org_id, "syndic_filing", "25.00", "filing-2", None)
    assert "10.00 EUR" in str(refused.value) and "25.00 EUR" in str(refused.value)
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(WalletEntry)
                              .where(WalletEntry.kind == EntryKind.FEE)) == 0


def test_wallet_charge_operator(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    from engine import jobs

    operators = OperatorRegistry()
    register_operators(operators)
    operator = operators.get("wallet.charge")
    org_id = _funded(db, "50.00")
    monkeypatch.setattr(jobs, "runtime", lambda: SimpleNamespace(db=db))
    params = operator.params.load({"organisation_id": org_id, "product": "syndic_filing", "amount": "20.00",
                                   "reference": "proc-1"})
    assert operator.func(**params)["amount"] == "20.00"
    operator.func(**params)  # a retried task charges nothing more
    with pytest.raises(InsufficientFunds):
        operator.func(**{**params, "reference": "proc-2", "amount": Decimal("40.00")})
    with db.transaction() as session:
        assert ledger.balance(session, ledger.wallet_for(session, org_id).id) == Decimal("30.00")
