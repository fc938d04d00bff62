"""Commands of online top-ups, each run in the caller's transaction and audited.

``start_payment`` records the intent of a checkout the provider opened; ``confirm_payment`` is
what the provider's (verified) callback does: it books the credit once. A replayed callback
finds the intent already paid and the ledger entry already there (same reference), so it books
nothing; an amount that differs from the intent's is refused."""

from __future__ import annotations

import enum
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db import utcnow
from engine.payments.models import PaymentIntent, PaymentMethod, PaymentStatus
from engine.wallet import ledger
from engine.wallet.errors import InvalidAmount, WalletError
from engine.wallet.models import EntryKind
from engine.workflow.errors import NotFound
from engine.workflow.models import AuditEvent


class PaymentRefused(WalletError):
    """A callback that does not match its intent (amount, status); nothing was booked."""


class Outcome(enum.StrEnum):
    BOOKED = "booked"
    ALREADY_BOOKED = "already booked"
    CANCELLED = "cancelled"
    FAILED = "failed"


def _audit(session: Session, intent: PaymentIntent, kind: str, actor_id: int | None, **detail: Any) -> None:
    session.add(AuditEvent(instance_id=None, subject_type="payment", subject_id=intent.id, actor_id=actor_id,
                           kind=kind, detail={"reference": intent.provider_reference, **detail}, at=utcnow()))


def start_payment(session: Session, organisation_id: int, amount: Decimal | str, method: str, *, provider: str,
                  provider_reference: str, user_id: int | None) -> PaymentIntent:
    """Record a checkout of ``amount`` (at least 50.00 EUR) for the organisation's wallet."""
    value = ledger._amount(amount)
    if value < ledger.MIN_ONLINE_TOPUP:
        raise InvalidAmount(f"an online top-up is at least {ledger.MIN_ONLINE_TOPUP} EUR, not {value} EUR")
    if method not in {m.value for m in PaymentMethod}:
        raise InvalidAmount(f"{method!r} is not a payment method: use bancontact or maestro")
    wallet = ledger.wallet_for(session, organisation_id, user_id=user_id)
    intent = PaymentIntent(wallet_id=wallet.id, amount=value, method=method, provider=provider,
                           provider_reference=provider_reference, status=PaymentStatus.CREATED.value,
                           created_by_id=user_id, created_at=utcnow())
    session.add(intent)
    session.flush()
    _audit(session, intent, "payment_started", user_id, amount=str(value), method=method, provider=provider)
    return intent


def intent_by_reference(session: Session, provider_reference: str) -> PaymentIntent:
    intent = session.scalar(select(PaymentIntent).where(PaymentIntent.provider_reference == provider_reference))
    if intent is None:
        raise NotFound(f"no payment with reference {provider_reference}")
    return intent


def confirm_payment(session: Session, provider_reference: str, amount: Decimal | str, status: str) -> Outcome:
    """Apply a verified provider callback. ``paid``: credit the wallet (kind topup_online,
    reference = the provider reference), once. ``cancelled``/``failed``: close the intent.
    The intent row is locked so two simultaneous callbacks serialise."""
    query = select(PaymentIntent).where(PaymentIntent.provider_reference == provider_reference)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    intent = session.scalar(query)
    if intent is None:
        raise NotFound(f"no payment with reference {provider_reference}")
    value = ledger._amount(amount)
    if value != Decimal(str(intent.amount)).quantize(ledger.CENT):
        raise PaymentRefused(f"payment {provider_reference}: the callback says {value} EUR, "
                             f"the payment was started for {Decimal(str(intent.amount)):.2f} EUR")
    if intent.status == PaymentStatus.PAID:
        return Outcome.ALREADY_BOOKED
    if status == PaymentStatus.PAID:
        if intent.status != PaymentStatus.CREATED:
            raise PaymentRefused(f"payment {provider_reference} is {intent.status}: it cannot be paid any more")
        entry = ledger.credit(session, intent.wallet_id, value, kind=EntryKind.TOPUP_ONLINE,
                              reference=provider_reference, user_id=intent.created_by_id)
        intent.status = PaymentStatus.PAID.value
        intent.entry_id = entry.id
        intent.paid_at = utcnow()
        _audit(session, intent, "payment_paid", None, amount=str(value), entry_id=entry.id)
        return Outcome.BOOKED
    if status in (PaymentStatus.CANCELLED, PaymentStatus.FAILED):
        if intent.status == PaymentStatus.CREATED:
            intent.status = str(status)
            _audit(session, intent, f"payment_{status}", None)
        return Outcome.CANCELLED if status == PaymentStatus.CANCELLED else Outcome.FAILED
    raise PaymentRefused(f"payment {provider_reference}: unknown status {status!r}")
