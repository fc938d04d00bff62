"""Payment intents: one row per checkout started at a provider. The provider's reference is
unique, so a callback finds exactly one intent; the credit it books carries the same reference
(wallet_entries kind topup_online), so a replayed callback books nothing."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base, utcnow


class PaymentMethod(enum.StrEnum):
    BANCONTACT = "bancontact"
    MAESTRO = "maestro"


class PaymentStatus(enum.StrEnum):
    CREATED = "created"
    PAID = "paid"
    FAILED = "failed"
    CANCELLED = "cancelled"


class PaymentIntent(Base):
    __tablename__ = "payment_intents"

    id: Mapped[int] = mapped_column(primary_key=True)
    wallet_id: Mapped[int] = mapped_column(ForeignKey("wallets.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2, asdecimal=True))
    method: Mapped[str] = mapped_column(String(20))
    provider: Mapped[str] = mapped_column(String(30))
    provider_reference: Mapped[str] = mapped_column(String(100), unique=True)
    status: Mapped[str] = mapped_column(String(20), default=PaymentStatus.CREATED.value)
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("wallet_entries.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    paid_at: Mapped[dt.datetime | None]
