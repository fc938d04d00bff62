"""Wallet commands, each run inside the caller's transaction and audited (``audit_events`` with
subject_type ``wallet``), like the other engine commands.

Credits are idempotent by reference; a debit locks the wallet row, recomputes the balance and
refuses to go below zero, so concurrent debits from several sessions can never overdraw.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.db import utcnow
from engine.wallet.errors import InsufficientFunds, InvalidAmount, ReferenceConflict
from engine.wallet.models import EntryKind, Wallet, WalletEntry
from engine.workflow.errors import NotFound
from engine.workflow.models import AuditEvent

CENT = Decimal("0.01")
MIN_ONLINE_TOPUP = Decimal("50.00")
CREDIT_KINDS = frozenset({EntryKind.TOPUP_ONLINE, EntryKind.TOPUP_TRANSFER, EntryKind.REFUND, EntryKind.CORRECTION})


def _audit(session: Session, wallet_id: int, kind: str, actor_id: int | None, **detail: Any) -> None:
    session.add(AuditEvent(instance_id=None, subject_type="wallet", subject_id=wallet_id, actor_id=actor_id,
                           kind=kind, detail=detail, at=utcnow()))


def _amount(value: Decimal | int | str) -> Decimal:
    """A strictly positive amount in whole cents (floats refused: 0.1 + 0.2 is not money)."""
    if isinstance(value, float):
        raise InvalidAmount("give the amount as a Decimal or a string such as '12.50', not a float")
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise InvalidAmount(f"{value!r} is not an amount: write it like 12.50") from None
    if not amount.is_finite() or amount <= 0:
        raise InvalidAmount(f"the amount must be greater than zero, not {value}")
    if amount != amount.quantize(CENT):
        raise InvalidAmount(f"{value} has more than two decimals: amounts are in euro cents")
    return amount.quantize(CENT)


def wallet_for(session: Session, organisation_id: int, *, user_id: int | None = None) -> Wallet:
    """The organisation's wallet, created on first use. Two first uses at once: one insert wins
    (UNIQUE organisation_id), the other's savepoint rolls back and it reads the winner's row."""
    found = session.scalar(select(Wallet).where(Wallet.organisation_id == organisation_id))
    if found is not None:
        return found
    try:
        with session.begin_nested():
            wallet = Wallet(organisation_id=organisation_id, created_at=utcnow())
            session.add(wallet)
            session.flush()
    except IntegrityError:
        found = session.scalar(select(Wallet).where(Wallet.organisation_id == organisation_id))
        if found is None:  # not a race: the organisation itself does not exist
            raise NotFound(f"no organisation {organisation_id}") from None
        return found
    _audit(session, wallet.id, "wallet_created", user_id, organisation_id=organisation_id)
    return wallet


def balance(session: Session, wallet_id: int) -> Decimal:
    total = session.scalar(select(func.coalesce(func.sum(WalletEntry.amount), 0))
                           .where(WalletEntry.wallet_id == wallet_id))
    # SQLite sums REALs: round back to cents (exact for any realistic ledger)
    return Decimal(str(total)).quantize(CENT, rounding=ROUND_HALF_UP)


def _existing(session: Session, wallet_id: int, kind: str, reference: str) -> WalletEntry | None:
    return session.scalar(select(WalletEntry).where(WalletEntry.wallet_id == wallet_id, WalletEntry.kind == kind,
                                                    WalletEntry.reference == reference))


def _replayed(entry: WalletEntry, amount: Decimal) -> WalletEntry:
    if Decimal(str(entry.amount)).quantize(CENT) != amount:
        raise ReferenceConflict(f"reference {entry.reference} was already booked as {entry.kind} of "
                                f"{Decimal(str(entry.amount)):.2f} EUR, not {amount:.2f} EUR: check the payment")
    return entry


def _insert(session: Session, entry: WalletEntry, signed: Decimal) -> WalletEntry:
    """Insert the entry; on a duplicate reference return the entry booked first (idempotency)."""
    if entry.reference is not None:
        existing = _existing(session, entry.wallet_id, entry.kind, entry.reference)
        if existing is not None:
            return _replayed(existing, signed)
    try:
        with session.begin_nested():
            session.add(entry)
            session.flush()
    except IntegrityError:
        if entry.reference is None:
            raise
        existing = _existing(session, entry.wallet_id, entry.kind, entry.reference)
        if existing is None:
            raise
        return _replayed(existing, signed)
    return entry


def _wallet(session: Session, wallet_id: int) -> Wallet:
    wallet = session.get(Wallet, wallet_id)
    if wallet is None:
        raise NotFound(f"no wallet {wallet_id}")
    return wallet


def credit(session: Session, wallet_id: int, amount: Decimal | int | str, *, kind: str,
           reference: str | None = None, product: str | None = None, user_id: int | None = None) -> WalletEntry:
    """Add money. ``reference`` (payment id, structured communication + bank line id) makes a
    replay add nothing: the entry booked first is returned. Online top-ups are at least 50.00 EUR."""
    if kind not in CREDIT_KINDS:
        raise InvalidAmount(f"{str(kind)!r} is not a credit: use one of {', '.join(sorted(CREDIT_KINDS))}")
    value = _amount(amount)
    if kind == EntryKind.TOPUP_ONLINE and value < MIN_ONLINE_TOPUP:
        raise InvalidAmount(f"an online top-up is at least {MIN_ONLINE_TOPUP} EUR, not {value} EUR")
    _wallet(session, wallet_id)
    entry = WalletEntry(wallet_id=wallet_id, amount=value, kind=str(kind), reference=reference, product=product,
                        created_by_id=user_id, created_at=utcnow())
    booked = _insert(session, entry, value)
    if booked is entry:
        _audit(session, wallet_id, "wallet_credited", user_id, entry_id=entry.id, entry_kind=str(kind),
               amount=str(value), reference=reference)
    return booked


def _lock(session: Session, wallet_id: int) -> None:
    """Serialise debits of one wallet. PostgreSQL: SELECT … FOR UPDATE. SQLite: the UPDATE takes
    the database write lock (waiting up to busy_timeout) before the balance is read."""
    if session.get_bind().dialect.name == "postgresql":
        locked = session.scalar(select(Wallet.id).where(Wallet.id == wallet_id).with_for_update())
    else:
        locked = session.execute(update(Wallet).where(Wallet.id == wallet_id)
                                 .values(last_debit_at=utcnow())).rowcount or None
    if locked is None:
        raise NotFound(f"no wallet {wallet_id}")


def debit(session: Session, wallet_id: int, amount: Decimal | int | str, *, product: str,
          reference: str | None = None, user_id: int | None = None) -> WalletEntry:
    """Charge a product (kind ``fee``). Atomic: the wallet row is locked, the balance recomputed,
    and InsufficientFunds raised (nothing written) when it would go below zero. The same
    reference charged twice returns the first entry."""
    value = _amount(amount)
    if not product:
        raise InvalidAmount("a debit names the product it pays for")
    _lock(session, wallet_id)
    if reference is not None:
        existing = _existing(session, wallet_id, EntryKind.FEE, reference)
        if existing is not None:
            return _replayed(existing, -value)
    current = balance(session, wallet_id)
    if current < value:
        raise InsufficientFunds(current, value)
    entry = WalletEntry(wallet_id=wallet_id, amount=-value, kind=EntryKind.FEE.value, product=product,
                        reference=reference, created_by_id=user_id, created_at=utcnow())
    booked = _insert(session, entry, -value)
    _audit(session, wallet_id, "wallet_debited", user_id, entry_id=booked.id, product=product,
           amount=str(value), reference=reference)
    return booked


def entries(session: Session, wallet_id: int, *, start: dt.datetime | None = None, end: dt.datetime | None = None,
            product: str | None = None, kind: str | None = None, limit: int = 100) -> Sequence[WalletEntry]:
    """The transactions table: newest first, ``start`` inclusive, ``end`` exclusive."""
    if limit < 1:
        raise InvalidAmount(f"limit must be at least 1, not {limit}")
    query = select(WalletEntry).where(WalletEntry.wallet_id == wallet_id)
    if start is not None:
        query = query.where(WalletEntry.created_at >= start)
    if end is not None:
        query = query.where(WalletEntry.created_at < end)
    if product is not None:
        query = query.where(WalletEntry.product == product)
    if kind is not None:
        query = query.where(WalletEntry.kind == kind)
    return session.scalars(query.order_by(WalletEntry.created_at.desc(), WalletEntry.id.desc()).limit(limit)).all()
