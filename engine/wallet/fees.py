"""Fees: a product or service used by an organisation (e.g. the syndic-mandate filing) is paid
from its wallet. One function so that pages and processes (the ``wallet.charge`` operator) charge
through the same ledger: atomic, never below zero, idempotent by reference."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from engine.wallet import ledger
from engine.wallet.models import WalletEntry


def charge_fee(session: Session, organisation_id: int, product: str, amount: Decimal | int | str,
               reference: str | None, user_id: int | None = None) -> WalletEntry:
    """Debit ``amount`` for ``product`` from the organisation's wallet (created when missing).

    Raises :class:`engine.wallet.errors.InsufficientFunds` (its message gives the balance and the
    amount needed; nothing written) when the balance does not cover it. The same reference charged
    twice returns the first entry, so a retried process step never charges twice."""
    wallet = ledger.wallet_for(session, organisation_id, user_id=user_id)
    return ledger.debit(session, wallet.id, amount, product=product, reference=reference, user_id=user_id)
