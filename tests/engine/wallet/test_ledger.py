from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from engine.db import Database
from engine.parties.models import Organisation
from engine.wallet import ledger
from engine.wallet.errors import InsufficientFunds, InvalidAmount, ReferenceConflict
from engine.wallet.models import EntryKind, Wallet, WalletEntry
from engine.workflow.errors import NotFound
from engine.workflow.models import AuditEvent


def test_wallet_for_creates_once(db: Database) -> None:
    with db.transaction() as session:
        organisation = Organisation(name="Syndic Dupont")
        session.add(organisation)
        session.flush()
        first = ledger.wallet_for(session, organisation.id)
        again = ledger.wallet_for(session, organisation.id)
        assert first.id == again.id
        assert session.scalar(select(func.count()).select_from(Wallet)) == 1
        assert session.scalar(select(func.count()).select_from(AuditEvent)
                              .where(AuditEvent.kind == "wallet_created")) == 1
        assert ledger.balance(session, first.id) == Decimal("0.00")


def test_wallet_for_unknown_organisation(db: Database) -> None:
    with db.transaction() as session, pytest.raises(NotFound, match="no organisation 999999"):
        ledger.wallet_for(session, 999_999)


def test_balance_is_the_sum_of_entries(db: Database, make_wallet: Callable[[], int]) -> None:
    wallet_id = make_wallet()
    with db.transaction() as session:
        ledger.credit(session, wallet_id, "100.10", kind=EntryKind.TOPUP_ONLINE, reference="pay-1")
        ledger.credit(session, wallet_id, Decimal("0.20"), kind=EntryKind.TOPUP_TRANSFER, reference="+++1+++")
        ledger.debit(session, wallet_id, "35.15", product="syndic_mandate_filing", reference="R-1")
        ledger.credit(session, wallet_id, 5, kind=EntryKind.REFUND, reference="R-1")
    with db.transaction() as session:
        assert ledger.balance(session, wallet_id) == Decimal("70.15")
        amounts = sorted(Decimal(str(e.amount)) for e in ledger.entries(session, wallet_id))
        assert amounts == [Decimal("-35.15"), Decimal("0.20"), Decimal("5.00"), Decimal("100.10")]
        kinds = session.scalars(select(AuditEvent.kind).where(AuditEvent.subject_id == wallet_id,
                                                              AuditEvent.subject_type == "wallet")).all()
        assert sorted(kinds) == ["wallet_created", "wallet_credited", "wallet_credited", "wallet_credited",
                                 "wallet_debited"]


def test_online_topup_minimum(db: Database, make_wallet: Callable[[], int]) -> None:
    wallet_id = make_wallet()
    with db.transaction() as session:
        with pytest.raises(InvalidAmount, match=r"at least 50\.00 EUR, not 49\.99 EUR"):
            ledger.credit(session, wallet_id, "49.99", kind=EntryKind.TOPUP_ONLINE, reference="pay-1")
        ledger.credit(session, wallet_id, "50.00", kind=EntryKind.TOPUP_ONLINE, reference="pay-2")
        # a bank transfer has no minimum
        ledger.credit(session, wallet_id, "10", kind=EntryKind.TOPUP_TRANSFER, reference="line-1")
        assert ledger.balance(session, wallet_id) == Decimal("60.00")


@pytest.mark.parametrize(("amount", "message"), [("0", "greater than zero"), ("-5", "greater than zero"),
                                                 ("1.005", "more than two decimals"), ("abc", "not an amount"),
                                                 (0.5, "not a float")])
def test_bad_amounts_are_refused(db: Database, make_wallet: Callable[[], int], amount: object, message: str) -> None:
    wallet_id = make_wallet()
    with db.transaction() as session, pytest.raises(InvalidAmount, match=message):
        ledger.credit(session, wallet_id, amount, kind=EntryKind.TOPUP_TRANSFER)  # type: ignore[arg-type]


def test_fee_is_not_a_credit(db: Database, make_wallet: Callable[[], int]) -> None:
    wallet_id = make_wallet()
    with db.transaction() as session, pytest.raises(InvalidAmount, match="'fee' is not a credit"):
        ledger.credit(session, wallet_id, "10", kind=EntryKind.FEE)


def test_credit_is_idempotent_by_reference(db: Database, make_wallet: Callable[[], int]) -> None:
    wallet_id = make_wallet()
    with db.transaction() as session:
        first = ledger.credit(session, wallet_id, "75.00", kind=EntryKind.TOPUP_ONLINE, reference="pay-42")
    with db.transaction() as session:  # the payment callback replayed
        again = ledger.credit(session, wallet_id, "75.00", kind=EntryKind.TOPUP_ONLINE, reference="pay-42")
        assert again.id == first.id
        assert ledger.balance(session, wallet_id) == Decimal("75.00")
    with db.transaction() as session, pytest.raises(ReferenceConflict, match=r"already booked .* not 80\.00 EUR"):
        ledger.credit(session, wallet_id, "80.00", kind=EntryKind.TOPUP_ONLINE, reference="pay-42")
    with db.transaction() as session:
        # entries without reference never collide
        ledger.credit(session, wallet_id, "1", kind=EntryKind.CORRECTION)
        ledger.credit(session, wallet_id, "1", kind=EntryKind.CORRECTION)
        assert ledger.balance(session, wallet_id) == Decimal("77.00")
        assert session.scalar(select(func.count()).select_from(WalletEntry)) == 3


def test_same_bank_line_in_a_new_session_after_a_lost_race(db: Database, make_wallet: Callable[[], int]) -> None:
    """The unique index is the last guard: the row inserted by another transaction is found."""
    wallet_id = make_wallet()
    with db.transaction() as session:
        ledger.credit(session, wallet_id, "20", kind=EntryKind.TOPUP_TRANSFER, reference="+++123/4567/89002+++")
    with db.transaction() as session:
        entry = WalletEntry(wallet_id=wallet_id, amount=Decimal("20.00"), kind="topup_transfer",
                            reference="+++123/4567/89002+++")
        booked = ledger._insert(session, entry, Decimal("20.00"))
        assert booked is not entry
        assert ledger.balance(session, wallet_id) == Decimal("20.00")


def test_debit_refused_below_zero_with_the_missing_amount(db: Database, make_wallet: Callable[[], int]) -> None:
    wallet_id = make_wallet()
    with db.transaction() as session:
        ledger.credit(session, wallet_id, "50", kind=EntryKind.TOPUP_ONLINE, reference="p")
        ledger.debit(session, wallet_id, "30", product="syndic_mandate_filing")
    with pytest.raises(InsufficientFunds) as refused, db.transaction() as session:
        ledger.debit(session, wallet_id, "25.50", product="syndic_mandate_filing")
    assert refused.value.balance == Decimal("20.00")
    assert refused.value.missing == Decimal("5.50")
    assert "balance is 20.00 EUR, 25.50 EUR is needed; top up at least 5.50 EUR" in str(refused.value)
    with db.transaction() as session:
        ledger.debit(session, wallet_id, "20", product="syndic_mandate_filing")
        assert ledger.balance(session, wallet_id) == Decimal("0.00")


def test_debit_same_reference_charges_once(db: Database, make_wallet: Callable[[], int]) -> None:
    wallet_id = make_wallet()
    with db.transaction() as session:
        ledger.credit(session, wallet_id, "50", kind=EntryKind.TOPUP_ONLINE, reference="p")
        first = ledger.debit(session, wallet_id, "10", product="syndic_mandate_filing", reference="REQ-7")
        again = ledger.debit(session, wallet_id, "10", product="syndic_mandate_filing", reference="REQ-7")
        assert first.id == again.id
        assert ledger.balance(session, wallet_id) == Decimal("40.00")


def test_debit_unknown_wallet(db: Database) -> None:
    with db.transaction() as session, pytest.raises(NotFound, match="no wallet 424242"):
        ledger.debit(session, 424_242, "1", product="x")


def test_entries_filters(db: Database, make_wallet: Callable[[], int]) -> None:
    wallet_id = make_wallet()
    other = make_wallet()
    t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    with db.transaction() as session:
        ledger.credit(session, other, "500", kind=EntryKind.TOPUP_TRANSFER)
        ledger.credit(session, wallet_id, "500", kind=EntryKind.TOPUP_TRANSFER, reference="b1")
        for day, product in enumerate(["syndic_mandate_filing", "cadastre_search", "syndic_mandate_filing"], 1):
            entry = ledger.debit(session, wallet_id, "10", product=product, reference=f"R{day}")
            entry.created_at = t0 + dt.timedelta(days=day)
    with db.transaction() as session:
        everything = ledger.entries(session, wallet_id)
        assert len(everything) == 4
        fees = ledger.entries(session, wallet_id, kind=EntryKind.FEE)
        assert [e.reference for e in fees] == ["R3", "R2", "R1"]
        mandates = ledger.entries(session, wallet_id, product="syndic_mandate_filing")
        assert [e.reference for e in mandates] == ["R3", "R1"]
        window = ledger.entries(session, wallet_id, start=t0 + dt.timedelta(days=2), end=t0 + dt.timedelta(days=3))
        assert [e.reference for e in window] == ["R2"]
        assert len(ledger.entries(session, wallet_id, limit=2)) == 2
        with pytest.raises(InvalidAmount, match="limit must be at least 1"):
            ledger.entries(session, wallet_id, limit=0)
