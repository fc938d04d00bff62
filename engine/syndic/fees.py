"""The fee of a syndic request: one fee per request (a termination and a registration filed in
one movement are one request, so one fee; filed separately they are two), indexed yearly and so
kept as a dated table (``syndic_fee_rates``) an administrator extends, plus a supplement with
21 % VAT when the association is not yet known in the BCE. The association pays, from the wallet
of the organisation that files (engine/wallet/fees.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db import utcnow
from engine.syndic.models import FeeRate, RequestKind
from engine.workflow.errors import InvalidState
from engine.workflow.models import AuditEvent

CENT = Decimal("0.01")
# The amounts published for the fee per request (seed 002 and domain-facts.md); the supplement
# for an association unknown in the BCE is the seed counter's 37 EUR excl. VAT.
DEFAULT_RATES: tuple[tuple[dt.date, Decimal], ...] = (
    (dt.date(2017, 4, 1), Decimal("85.50")),
    (dt.date(2018, 1, 1), Decimal("87.00")),
    (dt.date(2021, 1, 1), Decimal("90.50")),
    (dt.date(2022, 1, 1), Decimal("92.50")),
)
DEFAULT_SUPPLEMENT = Decimal("37.00")
DEFAULT_VAT = Decimal("0.21")


@dataclass(frozen=True)
class FeeLine:
    code: str  # request_fee | unknown_association_supplement | vat_on_supplement
    amount: Decimal


@dataclass(frozen=True)
class FeeQuote:
    lines: tuple[FeeLine, ...]
    total: Decimal
    rate_valid_from: dt.date
    requests: int

    def as_rows(self) -> list[dict[str, str]]:
        """The lines as stored on the request (JSON: amounts as strings)."""
        return [{"code": line.code, "amount": f"{line.amount:.2f}"} for line in self.lines]


class NoFeeRate(InvalidState):
    """No fee rate is valid on the day asked: an administrator must add one."""


class FeeRateInvalid(InvalidState):
    """A new fee rate that cannot be stored; the message says which value to fix."""


def _money(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def rate_on(session: Session, day: dt.date) -> FeeRate:
    """The rate in force on ``day`` (the newest row that started on or before it)."""
    rate = session.scalar(select(FeeRate).where(FeeRate.valid_from <= day)
                          .order_by(FeeRate.valid_from.desc()).limit(1))
    if rate is None:
        raise NoFeeRate(f"no syndic fee rate is valid on {day.isoformat()}: an administrator must add the rate "
                        "in force on that day (Administration → Syndic fees)")
    return rate


def compute(rate: FeeRate | Mapping[str, Any], kind: RequestKind | str, *, association_known: bool) -> FeeQuote:
    """The quote for one request at ``rate`` (a row, or the same fields as a mapping: the diagram's
    "Compute the fee" step passes the rate row it was given as process data)."""
    RequestKind(kind)  # every kind is one request; an unknown kind is an error, not a free filing

    def get(name: str) -> Any:
        return rate[name] if isinstance(rate, Mapping) else getattr(rate, name)

    valid_from = get("valid_from")
    if not isinstance(valid_from, dt.date):
        valid_from = dt.date.fromisoformat(str(valid_from))
    lines = [FeeLine("request_fee", _money(get("request_fee")))]
    if not association_known:
        supplement = _money(get("unknown_association_supplement"))
        lines.append(FeeLine("unknown_association_supplement", supplement))
        lines.append(FeeLine("vat_on_supplement", _money(supplement * Decimal(str(get("vat_rate"))))))
    return FeeQuote(tuple(lines), sum((line.amount for line in lines), Decimal("0.00")), valid_from, 1)


def quote(session: Session, kind: RequestKind | str, *, filed_on: dt.date, association_known: bool) -> FeeQuote:
    """The fee of one request filed on ``filed_on`` (raises :class:`NoFeeRate`)."""
    return compute(rate_on(session, filed_on), kind, association_known=association_known)


def rate_as_data(rate: FeeRate) -> dict[str, Any]:
    """A rate row as process data (what the diagram's fee step reads)."""
    return {"valid_from": rate.valid_from, "request_fee": _money(rate.request_fee),
            "unknown_association_supplement": _money(rate.unknown_association_supplement),
            "vat_rate": Decimal(str(rate.vat_rate))}


def _amount(name: str, value: Any) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise FeeRateInvalid(f"{name} must be an amount in euros, e.g. 92.50") from exc
    if not amount.is_finite() or amount < 0:
        raise FeeRateInvalid(f"{name} must be zero or more, not {value}")
    if amount != amount.quantize(CENT):
        raise FeeRateInvalid(f"{name} has more than two decimals: {value}")
    return amount


def add_rate(session: Session, *, actor_id: int | None, valid_from: dt.date, request_fee: Any,
             unknown_association_supplement: Any, vat_rate: Any = DEFAULT_VAT) -> FeeRate:
    """A new dated row (audited). Requests already filed keep the fee they were quoted."""
    if not isinstance(valid_from, dt.date):
        raise FeeRateInvalid("valid_from must be a date (yyyy-mm-dd)")
    fee = _amount("request_fee", request_fee)
    supplement = _amount("unknown_association_supplement", unknown_association_supplement)
    try:
        vat = Decimal(str(vat_rate))
    except (InvalidOperation, ValueError) as exc:
        raise FeeRateInvalid("vat_rate must be a fraction, e.g. 0.21 for 21 %") from exc
    if not vat.is_finite() or not Decimal("0") <= vat < Decimal("1"):
        raise FeeRateInvalid(f"vat_rate must be a fraction between 0 and 1 (0.21 for 21 %), not {vat_rate}")
    if session.scalar(select(FeeRate.id).where(FeeRate.valid_from == valid_from)) is not None:
        raise FeeRateInvalid(f"a fee rate from {valid_from.isoformat()} already exists: choose another date")
    rate = FeeRate(valid_from=valid_from, request_fee=fee, unknown_association_supplement=supplement,
                   vat_rate=vat, created_by_id=actor_id, created_at=utcnow())
    session.add(rate)
    session.flush()
    session.add(AuditEvent(instance_id=None, subject_type="syndic_fee_rate", subject_id=rate.id,
                           actor_id=actor_id, kind="syndic_fee_rate_added", at=utcnow(),
                           detail={"valid_from": valid_from.isoformat(), "request_fee": f"{fee:.2f}",
                                   "unknown_association_supplement": f"{supplement:.2f}", "vat_rate": str(vat)}))
    return rate


def rates(session: Session) -> list[FeeRate]:
    """Every rate, newest first."""
    return list(session.scalars(select(FeeRate).order_by(FeeRate.valid_from.desc())))


def ensure_default_rates(session: Session) -> int:
    """Add the published rates missing by date (idempotent); returns how many were added."""
    existing = set(session.scalars(select(FeeRate.valid_from)))
    added = 0
    for valid_from, fee in DEFAULT_RATES:
        if valid_from not in existing:
            session.add(FeeRate(valid_from=valid_from, request_fee=fee,
                                unknown_association_supplement=DEFAULT_SUPPLEMENT, vat_rate=DEFAULT_VAT,
                                created_at=utcnow()))
            added += 1
    session.flush()
    return added
