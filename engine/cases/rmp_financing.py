"""Financing simulation of a renovation master plan (seed 001 part 6, tab "Financement PDR").

How much of the works does one apartment (a *lot* of the co-ownership) pay? The cost of works on
the common parts is shared by co-ownership shares (quotités): a lot with ``s`` of the building's
``S`` shares pays ``cost * s / S``. Works on private parts (e.g. replacing windows) are paid by
each apartment itself: they are given as a cost per dwelling and added to every lot as it is.
A subsidy (VEKA) granted to the co-ownership is shared by shares in the same way; what is left
is the lot's own contribution.

The first, rough simulation uses the shares of the most common lot; the finer one, for the
general assembly, is a matrix: one row per share value, one column per lot (or phase) of works,
with totals. Every amount is rounded to the cent with ROUND_HALF_UP, cell by cell; a row's total
is the sum of its rounded cells, so every figure a co-owner sees adds up.

The computation is pure (no database); :class:`RmpFinancing` keeps one simulation's input and
remarks per dossier, and :func:`save_financing` changes it with an audit event on the dossier.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import ForeignKey, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine.cases.models import Dossier
from engine.db import Base, utcnow
from engine.workflow.models import AuditEvent

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def money(value: Decimal | int | str) -> Decimal:
    """``value`` rounded to the cent, halves away from zero (1.005 -> 1.01)."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


class FinancingError(ValueError):
    """The input of a simulation does not make sense (the message says why)."""


@dataclass(frozen=True)
class WorksLot:
    """A lot (or phase) of works: a column of the matrix."""

    name: str
    common_cost: Decimal = ZERO  # works on the common parts, shared by co-ownership shares
    private_cost_per_unit: Decimal = ZERO  # works on private parts, paid by each dwelling

    @property
    def has_private_part(self) -> bool:
        return self.private_cost_per_unit != 0


def share_of_cost(cost: Decimal, shares: int, total_shares: int) -> Decimal:
    """The part of ``cost`` borne by a lot of ``shares`` out of ``total_shares``, to the cent."""
    if total_shares <= 0:
        raise FinancingError("the total number of shares must be positive")
    return money(Decimal(cost) * shares / Decimal(total_shares))


def most_common_shares(lot_shares: Iterable[int]) -> int:
    """The shares of the most common lot (the mode); on a tie, the smallest of the tied values."""
    counts = Counter(lot_shares)
    if not counts:
        raise FinancingError("no lot given")
    best = max(counts.values())
    return min(shares for shares, count in counts.items() if count == best)


@dataclass(frozen=True)
class ShareRow:
    """What a lot with ``shares`` pays: one amount per works lot, the total, subsidy and own part."""

    shares: int
    units: int  # how many lots of the building have these shares (0: a share value asked for)
    amounts: list[Decimal]
    total: Decimal
    subsidy: Decimal
    own_contribution: Decimal


@dataclass(frozen=True)
class Simulation:
    lots: list[WorksLot]
    total_shares: int
    rows: list[ShareRow]  # one per share value, ascending
    most_common: ShareRow | None
    building_cost: Decimal  # the whole cost: common parts + private parts of every dwelling listed
    subsidy: Decimal | None
    # Sums over every lot listed (units * amount): they differ from the cost by the roundings.
    allocated: list[Decimal] = field(default_factory=list)
    allocated_total: Decimal = ZERO
    allocated_subsidy: Decimal = ZERO
    allocated_own_contribution: Decimal = ZERO
    shares_listed: int = 0  # the sum of the lots' shares (should equal total_shares)
    units: int = 0

    @property
    def rounding_difference(self) -> Decimal:
        return self.allocated_total - self.building_cost

    @property
    def shares_add_up(self) -> bool:
        return self.shares_listed == self.total_shares


def _row(lots: Sequence[WorksLot], total_shares: int, shares: int, units: int, subsidy: Decimal | None) -> ShareRow:
    amounts = [share_of_cost(lot.common_cost, shares, total_shares) + money(lot.private_cost_per_unit)
               for lot in lots]
    total = sum(amounts, ZERO)
    subsidy_part = share_of_cost(subsidy, shares, total_shares) if subsidy else ZERO
    return ShareRow(shares=shares, units=units, amounts=amounts, total=total, subsidy=subsidy_part,
                    own_contribution=total - subsidy_part)


def simulate(
    lots: Sequence[WorksLot],
    total_shares: int,
    lot_shares: Sequence[int] = (),
    *,
    subsidy: Decimal | None = None,
    extra_shares: Iterable[int] = (),
) -> Simulation:
    """The financing matrix.

    ``lot_shares`` are the shares of each lot (apartment) of the building, one value per lot;
    ``extra_shares`` are share values to show besides (rows with no lot). The most common lot is
    the mode of ``lot_shares``."""
    if not lots:
        raise FinancingError("give at least one lot of works")
    if total_shares <= 0:
        raise FinancingError("the total number of shares must be positive")
    values = list(lot_shares) + list(extra_shares)
    if not values:
        raise FinancingError("give the shares of at least one lot")
    for shares in values:
        if shares <= 0 or shares > total_shares:
            raise FinancingError(f"a lot's shares must be between 1 and {total_shares}: {shares}")
    for lot in lots:
        if lot.common_cost < 0 or lot.private_cost_per_unit < 0:
            raise FinancingError(f"a cost cannot be negative: {lot.name}")
    units_by_shares = Counter(lot_shares)
    units = len(lot_shares)
    building_cost = sum((money(lot.common_cost) + money(lot.private_cost_per_unit) * units for lot in lots), ZERO)
    if subsidy is not None and (subsidy < 0 or subsidy > building_cost):
        raise FinancingError("the subsidy must be between 0 and the cost of the works")

    rows = [_row(lots, total_shares, shares, units_by_shares.get(shares, 0), subsidy)
            for shares in sorted(set(values))]
    by_shares = {row.shares: row for row in rows}
    most_common = by_shares[most_common_shares(lot_shares)] if lot_shares else None
    allocated = [sum((row.amounts[i] * row.units for row in rows), ZERO) for i in range(len(lots))]
    return Simulation(
        lots=list(lots),
        total_shares=total_shares,
        rows=rows,
        most_common=most_common,
        building_cost=building_cost,
        subsidy=money(subsidy) if subsidy is not None else None,
        allocated=allocated,
        allocated_total=sum(allocated, ZERO),
        allocated_subsidy=sum((row.subsidy * row.units for row in rows), ZERO),
        allocated_own_contribution=sum((row.own_contribution * row.units for row in rows), ZERO),
        shares_listed=sum(lot_shares),
        units=units,
    )


# ---------------------------------------------------------------------------------------------
# One saved simulation per dossier.


class RmpFinancing(Base):
    __tablename__ = "rmp_financings"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), unique=True)
    # {"lots": [{"name", "common_cost", "private_cost_per_unit"}], "total_shares": int,
    #  "lot_shares": [int], "extra_shares": [int], "subsidy": str | None}; amounts as text.
    inputs: Mapped[dict[str, Any]] = mapped_column(default=dict)
    remarks: Mapped[str | None] = mapped_column(Text)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


def inputs_document(
    lots: Sequence[WorksLot], total_shares: int, lot_shares: Sequence[int], *,
    subsidy: Decimal | None = None, extra_shares: Sequence[int] = (),
) -> dict[str, Any]:
    """The JSON form of a simulation's input (amounts as text: JSON has no decimals)."""
    return {
        "lots": [{"name": lot.name, "common_cost": str(lot.common_cost),
                  "private_cost_per_unit": str(lot.private_cost_per_unit)} for lot in lots],
        "total_shares": int(total_shares),
        "lot_shares": [int(s) for s in lot_shares],
        "extra_shares": [int(s) for s in extra_shares],
        "subsidy": str(subsidy) if subsidy is not None else None,
    }


def simulation_from(inputs: Mapping[str, Any]) -> Simulation | None:
    """The simulation of saved inputs (None when nothing was entered yet)."""
    if not inputs or not inputs.get("lots"):
        return None
    lots = [WorksLot(name=lot["name"], common_cost=Decimal(lot.get("common_cost") or "0"),
                     private_cost_per_unit=Decimal(lot.get("private_cost_per_unit") or "0"))
            for lot in inputs["lots"]]
    subsidy = inputs.get("subsidy")
    return simulate(lots, int(inputs["total_shares"]), [int(s) for s in inputs.get("lot_shares") or []],
                    subsidy=Decimal(subsidy) if subsidy not in (None, "") else None,
                    extra_shares=[int(s) for s in inputs.get("extra_shares") or []])


def financing_of(session: Session, dossier_id: int) -> RmpFinancing | None:
    return session.scalar(select(RmpFinancing).where(RmpFinancing.dossier_id == dossier_id))


def save_financing(
    session: Session, dossier: Dossier, inputs: Mapping[str, Any], remarks: str | None, *, user_id: int | None,
) -> RmpFinancing:
    """Keep the simulation's input and remarks on the dossier (checked by computing it first);
    audited as ``rmp_financing_saved`` when something changed."""
    simulation_from(inputs)  # refuses input that cannot be simulated (FinancingError)
    record = financing_of(session, dossier.id)
    if record is None:
        record = RmpFinancing(dossier_id=dossier.id, inputs={})
        session.add(record)
    compared = (("inputs", record.inputs, dict(inputs)), ("remarks", record.remarks, remarks))
    changed = [name for name, old, new in compared if old != new]
    if changed:
        record.inputs = dict(inputs)
        record.remarks = remarks
        record.updated_by_id = user_id
        record.updated_at = utcnow()
        session.add(AuditEvent(subject_type="dossier", subject_id=dossier.id, actor_id=user_id,
                               kind="rmp_financing_saved", at=utcnow(),
                               detail={"changed": changed, "inputs": dict(inputs), "remarks": remarks}))
    session.flush()
    return record
