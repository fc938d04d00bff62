"""Readings and the consumption computed from them, against figures worked out by hand:
interpolation at period bounds, an allocator's restart at the reference date, a rating factor, a
meter replaced during the period, missing readings, and every reason a reading is refused."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from engine.db import Database
from engine.metering import consumption
from engine.metering.models import Building, BuildingUnit, Meter, MeterKind, MeterReading, ReadingKind
from engine.metering.places import add_unit, create_building, install_meter, meters_of, units_of
from engine.metering.readings import ReadingRejected, find_meter, record_reading, replace_meter


def at(year: int, month: int, day: int, hour: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=dt.UTC)


def read(session, meter: Meter, moment: dt.datetime, value: str, kind: ReadingKind = ReadingKind.PERIODIC):
    return record_reading(session, meter=meter, read_at=moment, value=Decimal(value), measure=None,
                          source="manual", kind=kind)


@pytest.fixture
def world(db: Database) -> dict[str, int]:
    with db.transaction() as s:
        building = create_building(s, client_number="C100200", code="B00042", name="Résidence Dijle",
                                   radio_meters=True)
        unit = add_unit(s, building, "A1", floor="1", occupant="Peeters", share=Decimal("125.5"))
        water = install_meter(s, building, unit=unit, serial="W-1", kind=MeterKind.COLD_WATER,
                              installed_on=dt.date(2024, 1, 1))
        read(s, water, at(2024, 1, 1), "100")
        read(s, water, at(2024, 7, 1), "150")
        read(s, water, at(2025, 1, 1), "220")
        hca = install_meter(s, building, unit=unit, serial="H-1", kind=MeterKind.HEAT_COST_ALLOCATOR,
                            installed_on=dt.date(2024, 6, 1), location="Living", rating_factor=Decimal("1.5"))
        read(s, hca, at(2024, 7, 1), "40")
        read(s, hca, at(2024, 12, 31), "90", ReadingKind.RESET)
        read(s, hca, at(2025, 3, 1), "30")  # restarted at zero on 1 January
        return {"building": building.id, "unit": unit.id, "water": water.id, "hca": hca.id}


def test_index_is_interpolated_between_readings_and_missing_outside_them(db: Database, world) -> None:
    with db.transaction() as s:
        assert consumption.meter_consumption(s, world["water"], dt.date(2024, 1, 1), dt.date(2025, 1, 1)) == 120
        # 1 April is 91 of the 182 days from 1 January to 1 July 2024: index 100 + 50 x 91/182 = 125
        assert consumption.meter_consumption(s, world["water"], dt.date(2024, 4, 1), dt.date(2024, 7, 1)) == 25
        assert consumption.meter_consumption(s, world["water"], dt.date(2025, 1, 1), dt.date(2025, 2, 1)) is None
        # not installed yet: nothing used, not missing
        assert consumption.meter_consumption(s, world["water"], dt.date(2023, 1, 1), dt.date(2024, 1, 1)) == 0


def test_allocator_restart_and_rating_factor(db: Database, world) -> None:
    with db.transaction() as s:
        # 40 -> 90 before the reference date, then 0 -> 30: 80 units, x 1.5 = 120 billable units
        assert consumption.meter_consumption(s, world["hca"], dt.date(2024, 7, 1), dt.date(2025, 3, 1), raw=True) == 80
        assert consumption.meter_consumption(s, world["hca"], dt.date(2024, 7, 1), dt.date(2025, 3, 1)) == 120
        # a fall in value is refused when it does not cross the reference date
        meter = s.get(Meter, world["hca"])
        with pytest.raises(ReadingRejected) as refused:
            read(s, meter, at(2024, 10, 1), "20")
        assert refused.value.code == "backwards"


def test_a_replaced_meter_and_its_successor_add_up(db: Database, world) -> None:
    with db.transaction() as s:
        building, unit = s.get(Building, world["building"]), s.get(BuildingUnit, world["unit"])
        old = install_meter(s, building, unit=unit, serial="HW-1", kind=MeterKind.HOT_WATER,
                            installed_on=dt.date(2024, 1, 1))
        read(s, old, at(2024, 1, 1), "0")
        read(s, old, at(2024, 3, 1), "10")
        new = replace_meter(s, old, on=dt.date(2024, 4, 15), serial="HW-2", last_index=Decimal("17"))
        read(s, new, at(2024, 7, 1), "5")
        assert (new.unit_id, new.replaces_id, old.removed_on) == (unit.id, old.id, dt.date(2024, 4, 15))
        with pytest.raises(ReadingRejected) as refused:  # the old one is gone
            read(s, old, at(2024, 5, 1), "20")
        assert refused.value.code == "removed_meter"
        assert find_meter(s, "HW-1", dt.date(2024, 2, 1)).id == old.id
        assert find_meter(s, "HW-2", dt.date(2024, 2, 1)) is None
        half_year = consumption.Period(dt.date(2024, 1, 1), dt.date(2024, 7, 1), "2024-H1")
        totals = consumption.unit_totals(s, unit.id, [half_year])
        assert totals[MeterKind.HOT_WATER] == [Decimal("22.000")]  # 17 on the old + 5 on the new
        assert {m.serial for m in meters_of(s, building.id, active_on=dt.date(2024, 6, 1))} == {"W-1", "H-1", "HW-2"}


def test_building_totals_sum_per_kind_and_a_missing_meter_makes_the_total_unknown(db: Database, world) -> None:
    with db.transaction() as s:
        building, unit = s.get(Building, world["building"]), s.get(BuildingUnit, world["unit"])
        periods = [consumption.Period(dt.date(2024, 1, 1), dt.date(2024, 7, 1), "a"),
                   consumption.Period(dt.date(2024, 7, 1), dt.date(2025, 1, 1), "b")]
        other = add_unit(s, building, "A2", share=Decimal("100"))
        second = install_meter(s, building, unit=other, serial="W-2", kind=MeterKind.COLD_WATER,
                               installed_on=dt.date(2024, 1, 1))
        read(s, second, at(2024, 1, 1), "0")
        read(s, second, at(2024, 7, 1), "30")  # nothing after July: the second half is unknown
        totals = consumption.building_totals(s, building.id, periods)
        assert totals[MeterKind.COLD_WATER] == [Decimal("80.000"), None]
        assert [u.number for u in units_of(s, building.id)] == ["A1", "A2"]
        [(meter, figures)] = [(m, f) for m, f in consumption.meter_series(s, unit.id, periods)
                              if m.kind == MeterKind.COLD_WATER]
        assert meter.serial == "W-1" and figures == [Decimal("50.000"), Decimal("70.000")]
        latest = {m.serial: r.value for m, r in consumption.latest_readings(s, building.id) if r is not None}
        assert latest == {"W-1": Decimal("220"), "H-1": Decimal("30"), "W-2": Decimal("30")}


@pytest.mark.parametrize(("moment", "value", "measure", "code"), [
    (at(2024, 9, 1), "140", None, "backwards"),  # 150 on 1 July
    (at(2024, 9, 1), "160", "kWh", "wrong_unit"),
    (at(2099, 1, 1), "300", None, "impossible_date"),
    (at(1999, 12, 31), "1", None, "impossible_date"),
    (at(2023, 12, 1), "90", None, "before_installation"),
    (at(2024, 7, 1), "151", None, "duplicate"),  # another value at the same time
    (at(2024, 9, 1), "abc", None, "impossible_value"),
])
def test_each_bad_reading_is_refused_with_its_reason(db: Database, world, moment, value, measure, code) -> None:
    with db.transaction() as s:
        meter = s.get(Meter, world["water"])
        with pytest.raises(ReadingRejected) as refused:
            record_reading(s, meter=meter, read_at=moment, value=value, measure=measure, source="csv")
        assert refused.value.code == code and refused.value.reason
    with db.transaction() as s:
        assert s.query(MeterReading).filter_by(meter_id=world["water"]).count() == 3  # nothing written


def test_the_same_reading_twice_is_stored_once(db: Database, world) -> None:
    with db.transaction() as s:
        meter = s.get(Meter, world["water"])
        assert record_reading(s, meter=meter, read_at=at(2024, 7, 1), value="150", measure="m³",
                              source="csv") is None
        assert record_reading(s, meter=meter, read_at=at(2024, 10, 1), value="180", measure="M3",
                              source="csv") is not None
        assert s.query(MeterReading).filter_by(meter_id=meter.id).count() == 4


def test_periods() -> None:
    building = Building(reference_month=12, reference_day=31)
    years = consumption.yearly_periods(building, today=dt.date(2026, 11, 23))
    assert [(p.start, p.end, p.label) for p in years] == [
        (dt.date(2024, 1, 1), dt.date(2025, 1, 1), "2024"), (dt.date(2025, 1, 1), dt.date(2026, 1, 1), "2025"),
        (dt.date(2026, 1, 1), dt.date(2027, 1, 1), "2026")]
    june = Building(reference_month=6, reference_day=30)
    assert [p.label for p in consumption.yearly_periods(june, years=2, today=dt.date(2026, 11, 23))] == [
        "2025-2026", "2026-2027"]
    months = consumption.monthly_periods(today=dt.date(2026, 11, 23))
    assert (len(months), months[0].label, months[-1].label) == (12, "2025-12", "2026-11")
    assert months[-1].end == dt.date(2026, 12, 1)
    pairs = consumption.bimonthly_periods(3, today=dt.date(2026, 11, 23))
    assert [(p.start, p.label) for p in pairs] == [
        (dt.date(2026, 7, 1), "2026-07/08"), (dt.date(2026, 9, 1), "2026-09/10"), (dt.date(2026, 11, 1), "2026-11/12")]
