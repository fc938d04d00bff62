"""The transactions table of the portal's wallet page and its CSV export: one query with the
filters (dates, product, type), a sort (date or amount, both directions) and offset paging. The
ledger's own :func:`engine.wallet.ledger.entries` stays the simple newest-first list."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from engine.wallet.models import WalletEntry

BRUSSELS = ZoneInfo("Europe/Brussels")
SORTS = {"date": WalletEntry.created_at, "amount": WalletEntry.amount}


@dataclass(frozen=True)
class EntryFilter:
    start: dt.date | None = None  # inclusive
    end: dt.date | None = None  # inclusive (the whole day)
    product: str | None = None
    kind: str | None = None
    sort: str = "date"  # date | amount
    descending: bool = True


def _day_start(day: dt.date) -> dt.datetime:
    """Days are Belgian days: a transaction at 00:30 in Brussels belongs to that day."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=BRUSSELS)


def _query(wallet_id: int, f: EntryFilter) -> Select[tuple[WalletEntry]]:
    query = select(WalletEntry).where(WalletEntry.wallet_id == wallet_id)
    if f.start is not None:
        query = query.where(WalletEntry.created_at >= _day_start(f.start))
    if f.end is not None:
        query = query.where(WalletEntry.created_at < _day_start(f.end + dt.timedelta(days=1)))
    if f.product:
        query = query.where(WalletEntry.product == f.product)
    if f.kind:
        query = query.where(WalletEntry.kind == f.kind)
    column = SORTS.get(f.sort, WalletEntry.created_at)
    order = (column.desc(), WalletEntry.id.desc()) if f.descending else (column.asc(), WalletEntry.id.asc())
    return query.order_by(*order)


def search(session: Session, wallet_id: int, f: EntryFilter, *, limit: int = 50,
           offset: int = 0) -> Sequence[WalletEntry]:
    """One page of the table (``limit + 1`` rows are read so the caller knows a next page exists)."""
    return session.scalars(_query(wallet_id, f).limit(limit + 1).offset(max(offset, 0))).all()


def export(session: Session, wallet_id: int, f: EntryFilter, *, cap: int = 100_000) -> Sequence[WalletEntry]:
    return session.scalars(_query(wallet_id, f).limit(cap)).all()


def products(session: Session, wallet_id: int) -> list[str]:
    """The products charged to this wallet, for the filter's choices."""
    rows = session.scalars(select(WalletEntry.product).distinct().where(
        WalletEntry.wallet_id == wallet_id, WalletEntry.product.is_not(None)))
    return sorted(p for p in rows if p)
