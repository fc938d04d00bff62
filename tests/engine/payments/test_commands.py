"""Payment intents: started at 50.00 EUR or more, confirmed once, refused when the callback does
not match the intent."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from engine.db import Database
from engine.payments import commands as payments
from engine.payments.commands import Outcome, PaymentRefused
from engine.payments.models import PaymentIntent
from engine.wallet import ledger
from engine.wallet.errors import InvalidAmount
from engine.wallet.models import WalletEntry
from engine.workflow.errors import NotFound
from engine.workflow.models import AuditEvent
from tests.portal_support import organisation


def _start(db: Database, amount: str = "60.00", reference: str = "SIM-A") -> int:
    with db.transaction() as session:
        org = organisation(session)
        return payments.start_payment(session, org.id, amount, "bancontact", provider="simulated",
                                      provider_reference=reference, user_id=None).wallet_id


def test_start_refuses_under_50_and_unknown_methods(db: Database) -> None:
    with db.transaction() as session:
        org = organisation(session)
        with pytest.raises(InvalidAmount, match=r"at least 50\.00"):
            payments.start_payment(session, org.id, "49.99", "bancontact", provider="simulated",
                                   provider_reference="SIM-X", user_id=None)
        with pytest.raises(InvalidAmount, match="bancontact or maestro"):
            payments.start_payment(session, org.id, "60", "visa", provider="simulated",
                                   provider_reference="SIM-Y", user_id=None)


def test_paid_books_once(db: Database) -> None:
    wallet_id = _start(db)
    with db.transaction() as session:
        assert payments.confirm_payment(session, "SIM-A", "60.00", "paid") == Outcome.BOOKED
    with db.transaction() as session:
        assert payments.confirm_payment(session, "SIM-A", Decimal("60"), "paid") == Outcome.ALREADY_BOOKED
    with db.transaction() as session:
        assert ledger.balance(session, wallet_id) == Decimal("60.00")
        intent = session.scalars(select(PaymentIntent)).one()
        assert intent.status == "paid" and intent.paid_at is not None and intent.entry_id is not None
        entry = session.get(WalletEntry, intent.entry_id)
        assert entry is not None and entry.kind == "topup_online" and entry.reference == "SIM-A"
        kinds = set(session.scalars(select(AuditEvent.kind).where(AuditEvent.subject_type == "payment")))
        assert kinds == {"payment_started", "payment_paid"}


def test_amount_mismatch_books_nothing(db: Database) -> None:
    wallet_id = _start(db)
    with db.transaction() as session, pytest.raises(PaymentRefused, match=r"60\.00"):
        payments.confirm_payment(session, "SIM-A", "61.00", "paid")
    with db.transaction() as session:
        assert ledger.balance(session, wallet_id) == Decimal("0.00")


def test_cancelled_stays_cancelled(db: Database) -> None:
    _start(db)
    with db.transaction() as session:
        assert payments.confirm_payment(session, "SIM-A", "60.00", "cancelled") == Outcome.CANCELLED
    with db.transaction() as session, pytest.raises(PaymentRefused, match="cancelled"):
        payments.confirm_payment(session, "SIM-A", "60.00", "paid")
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(WalletEntry)) == 0


def test_unknown_reference_and_status(db: Database) -> None:
    _start(db)
    with db.transaction() as session, pytest.raises(NotFound):
        payments.confirm_payment(session, "SIM-NONE", "60.00", "paid")
    with db.transaction() as session, pytest.raises(PaymentRefused, match="unknown status"):
        payments.confirm_payment(session, "SIM-A", "60.00", "refunded")


def test_provider_reference_is_unique(db: Database) -> None:
    _start(db, reference="SIM-DUP")
    with pytest.raises(Exception), db.transaction() as session:  # noqa: B017 - the UNIQUE constraint
        org = organisation(session)
        payments.start_payment(session, org.id, "60.00", "maestro", provider="simulated",
                               provider_reference="SIM-DUP", user_id=None)
