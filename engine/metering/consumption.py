"""Consumption computed from readings: per meter, unit (apartment) and building, over periods
(the last 3 billing years, the last 12 months, two-month periods).

How a meter's consumption over [start, end) is found:
- its index at a bound is interpolated linearly in time between the readings just before and
  just after it (exactly a reading's value when one falls on it); a bound outside the readings
  gives no figure (None: missing, never a guess);
- a heat cost allocator restarts at zero after the building's reference date: its readings are
  first made continuous by adding, at each restart, the last value before it (the RESET reading
  when the importer had it);
- a meter counts only while installed: the period is cut to [installed_on, removed_on], so a
  replaced meter and its successor each give their part and the sum covers the whole period;
- allocator units are multiplied by the radiator's rating factor (billable units) unless
  ``raw=True``.
Totals per kind are None when one of their meters has no figure for that period. Every function
reads the building's readings in one query and computes in Python.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.metering.models import Building, BuildingUnit, Meter, MeterKind, MeterReading
from engine.metering.readings import reference_boundaries


@dataclass(frozen=True)
class Period:
    start: dt.date  # included
    end: dt.date  # excluded
    label: str  # "2025", "2025-2026" (a billing year across two), "2026-03", "2026-03/04"; pages translate


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def yearly_periods(building: Building, years: int = 3, today: dt.date | None = None) -> list[Period]:
    """The last ``years`` billing years (each ends on the reference date), oldest first; the
    current, unfinished year is the last one."""
    today = today or dt.date.today()
    reference = dt.date(today.year, building.reference_month, min(building.reference_day, 28)
                        if building.reference_month == 2 else building.reference_day)
    end = reference + dt.timedelta(days=1)
    if end <= today:
        end = dt.date(end.year + 1, end.month, end.day)
    periods = []
    for _ in range(years):
        start = dt.date(end.year - 1, end.month, end.day)
        label = str(start.year) if (start.month, start.day) == (1, 1) else f"{start.year}-{end.year}"
        periods.append(Period(start, end, label))
        end = start
    return periods[::-1]


def monthly_periods(months: int = 12, today: dt.date | None = None) -> list[Period]:
    """The last ``months`` calendar months, the current one last."""
    first = (today or dt.date.today()).replace(day=1)
    periods = []
    for k in range(months - 1, -1, -1):
        start = _add_months(first, -k)
        periods.append(Period(start, _add_months(start, 1), f"{start.year}-{start.month:02d}"))
    return periods


def bimonthly_periods(count: int = 6, today: dt.date | None = None) -> list[Period]:
    """The last ``count`` two-month periods (Jan-Feb, Mar-Apr …), the current one last."""
    today = today or dt.date.today()
    first = dt.date(today.year, today.month - (today.month - 1) % 2, 1)
    periods = []
    for k in range(count - 1, -1, -1):
        start = _add_months(first, -2 * k)
        end = _add_months(start, 2)
        periods.append(Period(start, end, f"{start.year}-{start.month:02d}/{start.month + 1:02d}"))
    return periods


class _Series:
    """One meter's readings as a continuous, increasing line in time."""

    def __init__(self, meter: Meter, readings: Sequence[MeterReading], building: Building) -> None:
        self.meter = meter
        self.times: list[dt.datetime] = []
        self.values: list[Decimal] = []
        offset = Decimal(0)
        previous: MeterReading | None = None
        for reading in readings:
            moment = _aware(reading.read_at)
            if (previous is not None and meter.kind == MeterKind.HEAT_COST_ALLOCATOR
                    and reference_boundaries(building, _aware(previous.read_at), moment)):
                offset += previous.value  # restarted at zero after the reference date
            self.times.append(moment)
            self.values.append(offset + reading.value)
            previous = reading

    def index_at(self, moment: dt.datetime) -> Decimal | None:
        position = bisect.bisect_left(self.times, moment)
        if position < len(self.times) and self.times[position] == moment:
            return self.values[position]
        if position == 0 or position == len(self.times):
            return None
        t0, t1 = self.times[position - 1], self.times[position]
        v0, v1 = self.values[position - 1], self.values[position]
        share = Decimal((moment - t0).total_seconds()) / Decimal((t1 - t0).total_seconds())
        return v0 + (v1 - v0) * share

    def consumption(self, start: dt.date, end: dt.date, raw: bool = False) -> Decimal | None:
        meter = self.meter
        first = max(start, meter.installed_on)
        last = min(end, meter.removed_on + dt.timedelta(days=1)) if meter.removed_on else end
        if first >= last:
            return Decimal(0)  # not installed during the period
        # a meter installed or removed during the period counts from its installation reading /
        # up to its removal reading (taken during that day)
        begin, finish = _midnight(first), _midnight(last)
        if self.times and first == meter.installed_on and self.times[0].date() == first:
            begin = self.times[0]
        if self.times and meter.removed_on and last == meter.removed_on + dt.timedelta(days=1) \
                and self.times[-1].date() == meter.removed_on:
            finish = self.times[-1]
        a, b = self.index_at(begin), self.index_at(finish)
        if a is None or b is None:
            return None
        used = b - a
        if meter.kind == MeterKind.HEAT_COST_ALLOCATOR and not raw and meter.rating_factor is not None:
            used *= meter.rating_factor
        return used.quantize(Decimal("0.001"))


def _series(session: Session, meters: Iterable[Meter]) -> list[_Series]:
    meters = list(meters)
    if not meters:
        return []
    by_meter: dict[int, list[MeterReading]] = defaultdict(list)
    for reading in session.scalars(select(MeterReading).where(MeterReading.meter_id.in_([m.id for m in meters]))
                                   .order_by(MeterReading.meter_id, MeterReading.read_at)):
        by_meter[reading.meter_id].append(reading)
    buildings = {m.building_id: session.get(Building, m.building_id) for m in meters}
    return [_Series(m, by_meter[m.id], buildings[m.building_id]) for m in meters]  # type: ignore[arg-type]


def meter_consumption(session: Session, meter_id: int, start: dt.date, end: dt.date, *,
                      raw: bool = False) -> Decimal | None:
    meter = session.get(Meter, meter_id)
    if meter is None:
        raise LookupError(f"no meter {meter_id}")
    return _series(session, [meter])[0].consumption(start, end, raw)


def _totals(series: list[_Series], periods: Sequence[Period]) -> dict[str, list[Decimal | None]]:
    totals: dict[str, list[Decimal | None]] = {}
    for line in series:
        figures = totals.setdefault(line.meter.kind, [Decimal(0)] * len(periods))
        for k, period in enumerate(periods):
            used = line.consumption(period.start, period.end)
            current = figures[k]
            figures[k] = None if used is None or current is None else current + used
    return totals


def building_totals(session: Session, building_id: int, periods: Sequence[Period]) -> dict[str, list[Decimal | None]]:
    """kind -> one figure per period, summed over the building's meters of that kind."""
    meters = session.scalars(select(Meter).where(Meter.building_id == building_id))
    return _totals(_series(session, meters), periods)


def unit_totals(session: Session, unit_id: int, periods: Sequence[Period]) -> dict[str, list[Decimal | None]]:
    meters = session.scalars(select(Meter).where(Meter.unit_id == unit_id))
    return _totals(_series(session, meters), periods)


def meter_series(session: Session, unit_id: int, periods: Sequence[Period]) -> list[tuple[Meter,
                                                                                      list[Decimal | None]]]:
    """Per meter (per radiator for allocators) of the unit: one figure per period."""
    meters = session.scalars(select(Meter).where(Meter.unit_id == unit_id)
                             .order_by(Meter.kind, Meter.location, Meter.installed_on))
    return [(line.meter, [line.consumption(p.start, p.end) for p in periods]) for line in _series(session, meters)]


def latest_readings(session: Session, building_id: int) -> list[tuple[Meter, MeterReading | None]]:
    """Each meter still installed, with its last reading (gateway buildings: "derniers relevés")."""
    meters = list(session.scalars(select(Meter).where(Meter.building_id == building_id, Meter.removed_on.is_(None))
                                  .order_by(Meter.unit_id, Meter.kind, Meter.serial)))
    last: dict[int, MeterReading] = {}
    if meters:
        for reading in session.scalars(select(MeterReading).where(
                MeterReading.meter_id.in_([m.id for m in meters])).order_by(MeterReading.read_at)):
            last[reading.meter_id] = reading
    return [(m, last.get(m.id)) for m in meters]


def unit_of(session: Session, unit_id: int) -> BuildingUnit | None:
    return session.get(BuildingUnit, unit_id)
