"""Wallet tables. One wallet per organisation; its entries are never updated or deleted, so the
transactions table and the balance always agree (balance = SUM(amount))."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Numeric, String, text
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base, utcnow


class EntryKind(enum.StrEnum):
    TOPUP_ONLINE = "topup_online"  # Bancontact / Maestro, credited by the payment callback
    TOPUP_TRANSFER = "topup_transfer"  # bank transfer with the wallet's structured communication
    FEE = "fee"  # a product used (e.g. a syndic mandate filing)
    REFUND = "refund"
    CORRECTION = "correction"


class Wallet(Base):
    __tablename__ = "wallets"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # Written by every debit: the row is the debit lock (FOR UPDATE on PostgreSQL, and on SQLite
    # the UPDATE takes the database write lock before the balance is read).
    last_debit_at: Mapped[dt.datetime | None]


class WalletEntry(Base):
    """One movement: credit > 0, debit < 0. ``reference`` (payment id, structured communication,
    request number) makes a replayed callback or a bank line imported twice add nothing."""

    __tablename__ = "wallet_entries"
    __table_args__ = (
        Index("uq_wallet_entries_reference", "wallet_id", "kind", "reference", unique=True,
              sqlite_where=text("reference IS NOT NULL"), postgresql_where=text("reference IS NOT NULL")),
        Index("ix_wallet_entries_wallet_created", "wallet_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    wallet_id: Mapped[int] = mapped_column(ForeignKey("wallets.id"))
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2, asdecimal=True))
    kind: Mapped[str] = mapped_column(String(20))
    product: Mapped[str | None] = mapped_column(String(60))
    reference: Mapped[str | None] = mapped_column(String(100))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
