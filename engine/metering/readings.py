"""Recording meter readings, whatever brought them (a file, a radio telegram, the gateway, a
person): one function decides what is accepted, so every importer refuses the same things for
the same reasons, and the same reading brought twice is stored once.

Heat cost allocators restart at zero after the building's yearly reference date; their value may
go down only across that date. Water and heat meters count up for their whole life; a meter that
is swapped is replaced (``replace_meter``), never edited, so its history stays whole."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from engine.db import utcnow
from engine.metering.models import Building, Meter, MeterKind, MeterReading, ReadingKind
from engine.metering.places import install_meter

EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
# spellings of the measures that files and telegrams use
MEASURE_ALIASES = {"m3": "m3", "m³": "m3", "kwh": "kWh", "units": "units", "unit": "units", "hca": "units",
                   "": ""}


class ReadingRejected(ValueError):
    """``code``: unknown_meter, backwards, impossible_date, impossible_value, wrong_unit, duplicate
    (another value at the same time), removed_meter, before_installation; ``reason`` says what to
    fix."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def unknown_meter(serial: str, on: dt.date) -> ReadingRejected:
    return ReadingRejected("unknown_meter", f"no meter {serial} was installed on {on.isoformat()}: check the "
                                            "serial number, or install the meter first")


def reference_boundaries(building: Building, start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
    """The moments allocators restart at zero (the day after each reference date) in (start, end]."""
    found = []
    for year in range(start.year - 1, end.year + 1):
        try:
            reference = dt.date(year, building.reference_month, building.reference_day)
        except ValueError:  # 29 February in a common year
            reference = dt.date(year, building.reference_month, 28)
        boundary = dt.datetime.combine(reference + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
        if start < boundary <= end:
            found.append(boundary)
    return found


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def find_meter(session: Session, serial: str, at: dt.date) -> Meter | None:
    """The meter with this serial installed on ``at`` (a serial may come back after a removal)."""
    return session.scalar(select(Meter).where(
        Meter.serial == serial.strip(), Meter.installed_on <= at,
        or_(Meter.removed_on.is_(None), Meter.removed_on >= at)).order_by(Meter.installed_on.desc()).limit(1))


def _neighbours(session: Session, meter: Meter, read_at: dt.datetime) -> tuple[MeterReading | None,
                                                                              MeterReading | None]:
    before = session.scalar(select(MeterReading).where(MeterReading.meter_id == meter.id,
                                                       MeterReading.read_at < read_at)
                            .order_by(MeterReading.read_at.desc()).limit(1))
    after = session.scalar(select(MeterReading).where(MeterReading.meter_id == meter.id,
                                                      MeterReading.read_at > read_at)
                           .order_by(MeterReading.read_at).limit(1))
    return before, after


def _goes_down(session: Session, meter: Meter, earlier_at: dt.datetime, earlier_value: Decimal,
               later_at: dt.datetime, later_value: Decimal) -> bool:
    """A fall in value that is not an allocator's restart at the reference date."""
    if later_value >= earlier_value:
        return False
    if meter.kind != MeterKind.HEAT_COST_ALLOCATOR:
        return True
    building = session.get(Building, meter.building_id)
    assert building is not None
    return not reference_boundaries(building, _aware(earlier_at), later_at)


def record_reading(session: Session, *, meter: Meter, read_at: dt.datetime, value: Decimal | int | str,
                   measure: str | None, source: str, kind: ReadingKind | str = ReadingKind.PERIODIC,
                   import_id: int | None = None, user_id: int | None = None) -> MeterReading | None:
    """Store one reading, or None when exactly this reading is stored already (an import run
    again). Raises :class:`ReadingRejected` (nothing written) when it cannot be right."""
    read_at = _aware(read_at)
    try:
        amount = Decimal(str(value))
    except InvalidOperation as exc:
        raise ReadingRejected("impossible_value", f"{value!r} is not a number") from exc
    if amount < 0 or not amount.is_finite():
        raise ReadingRejected("backwards", f"an index cannot be {amount}: meters count from zero up")
    given = MEASURE_ALIASES.get((measure or "").strip().lower(), (measure or "").strip())
    if given and given != meter.measure:
        raise ReadingRejected("wrong_unit", f"meter {meter.serial} is read in {meter.measure}, not in {measure}")
    if read_at < EARLIEST or read_at > utcnow() + dt.timedelta(days=1):
        raise ReadingRejected("impossible_date", f"{read_at.date().isoformat()} is not a possible reading date")
    if read_at.date() < meter.installed_on:
        raise ReadingRejected("before_installation", f"meter {meter.serial} was installed on "
                                                     f"{meter.installed_on.isoformat()}, after this reading")
    if meter.removed_on is not None and read_at.date() > meter.removed_on:
        raise ReadingRejected("removed_meter", f"meter {meter.serial} was removed on {meter.removed_on.isoformat()}; "
                                               "give this reading to the meter that replaced it")
    same_time = session.scalar(select(MeterReading).where(MeterReading.meter_id == meter.id,
                                                          MeterReading.read_at == read_at))
    if same_time is not None:
        if same_time.value == amount:
            return None
        raise ReadingRejected("duplicate", f"meter {meter.serial} already has {same_time.value} at "
                                           f"{read_at.isoformat()}; a second, different value is refused")
    before, after = _neighbours(session, meter, read_at)
    if before is not None and _goes_down(session, meter, _aware(before.read_at), before.value, read_at, amount):
        raise ReadingRejected("backwards", f"meter {meter.serial} read {before.value} on "
                                           f"{before.read_at.date().isoformat()}; {amount} is lower (a reset or a "
                                           "replacement must be recorded as such)")
    if after is not None and _goes_down(session, meter, read_at, amount, _aware(after.read_at), after.value):
        raise ReadingRejected("backwards", f"meter {meter.serial} read {after.value} later, on "
                                           f"{after.read_at.date().isoformat()}; {amount} is higher")
    reading = MeterReading(meter_id=meter.id, read_at=read_at, value=amount, kind=ReadingKind(kind).value,
                           source=source, import_id=import_id, recorded_by_id=user_id)
    session.add(reading)
    session.flush()
    return reading


def replace_meter(session: Session, old: Meter, *, on: dt.date, serial: str, last_index: Decimal | int | str,
                  first_index: Decimal | int | str = Decimal(0), user_id: int | None = None) -> Meter:
    """Swap a meter on ``on``: the old one's last index closes it, the new one (same unit, kind,
    location and rating factor) starts at ``first_index``. Both readings are kept."""
    if old.removed_on is not None:
        raise ReadingRejected("removed_meter", f"meter {old.serial} was already removed on "
                                               f"{old.removed_on.isoformat()}")
    moment = dt.datetime.combine(on, dt.time(12, 0), tzinfo=dt.UTC)
    record_reading(session, meter=old, read_at=moment, value=last_index, measure=None, source="manual",
                   kind=ReadingKind.REMOVAL, user_id=user_id)
    old.removed_on = on
    building = session.get(Building, old.building_id)
    assert building is not None
    unit = old.unit_id
    new = install_meter(session, building, serial=serial, kind=old.kind, installed_on=on,
                        location=old.location, rating_factor=old.rating_factor, reading_mode=old.reading_mode,
                        replaces=old)
    new.unit_id = unit
    record_reading(session, meter=new, read_at=moment, value=first_index, measure=None, source="manual",
                   kind=ReadingKind.INSTALLATION, user_id=user_id)
    return new
