"""The reading importers on good and broken files: every refused row is reported with its line
and reason while the good rows are kept, the same file imported twice adds nothing, wmbusmeters
telegrams become readings (an allocator's reset value included), and the CLI prints it all."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from engine.config import Settings
from engine.db import Database
from engine.metering import consumption
from engine.metering.models import Meter, MeterKind, MeterReading, ReadingImport, ReadingKind
from engine.metering.places import add_unit, create_building, install_meter
from integrations.meters.importer import import_file
from tests.webapp.support import build_app
from webapp.cli import cli

DATA = Path(__file__).resolve().parents[2] / "data" / "meters"
RECEIVED = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def meters(db: Database) -> dict[str, int]:
    with db.transaction() as s:
        building = create_building(s, client_number="C100200", code="B00042", name="Résidence Dijle")
        unit = add_unit(s, building, "A1", share=Decimal(100))
        made = {
            "W-1": install_meter(s, building, unit=unit, serial="W-1", kind=MeterKind.COLD_WATER,
                                 installed_on=dt.date(2025, 1, 1)),
            "H-1": install_meter(s, building, unit=unit, serial="H-1", kind=MeterKind.HEAT_COST_ALLOCATOR,
                                 installed_on=dt.date(2025, 1, 1), location="Living", rating_factor=Decimal(1)),
            "11776622": install_meter(s, building, unit=unit, serial="11776622",
                                      kind=MeterKind.HEAT_COST_ALLOCATOR, installed_on=dt.date(2019, 1, 1)),
            "34333231": install_meter(s, building, unit=unit, serial="34333231", kind=MeterKind.HOT_WATER,
                                      installed_on=dt.date(2019, 1, 1)),
            "62626262": install_meter(s, building, serial="62626262", kind=MeterKind.HEAT,
                                      installed_on=dt.date(2019, 1, 1)),
        }
        return {serial: m.id for serial, m in made.items()}


def _count(db: Database, meter_id: int) -> int:
    with db.transaction() as s:
        return int(s.scalar(select(func.count()).select_from(MeterReading).where(MeterReading.meter_id == meter_id)))


def test_a_good_csv_is_imported_once(db: Database, meters) -> None:
    done = import_file(db, DATA / "readings-good.csv")
    assert (done.rows_read, done.rows_imported, done.rows_duplicate, done.rows_rejected) == (7, 7, 0, 0)
    again = import_file(db, DATA / "readings-good.csv")
    assert (again.rows_imported, again.rows_duplicate, again.rows_rejected) == (0, 7, 0)
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(ReadingImport)) == 2
        reset = s.scalar(select(MeterReading).where(MeterReading.kind == ReadingKind.RESET))
        assert reset.value == 410 and reset.source == "csv" and reset.import_id == done.id
        # 35 by 1 February, 410 at the reference date, then 40 after the restart: 450 over the year
        assert consumption.meter_consumption(s, meters["H-1"], dt.date(2025, 1, 1), dt.date(2026, 2, 1)) == 450
        assert consumption.meter_consumption(s, meters["W-1"], dt.date(2025, 1, 1), dt.date(2025, 3, 1)) == 20


def test_a_broken_csv_reports_each_line_and_keeps_the_good_ones(db: Database, meters) -> None:
    done = import_file(db, DATA / "readings-broken.csv")
    reasons = {p["line"]: p["reason"] for p in done.problems}
    assert set(reasons) == {3, 4, 5, 6, 7, 8, 9}
    assert "no meter X-9" in reasons[3]
    assert "not a date" in reasons[4]
    assert "not a number" in reasons[5]
    assert "is read in m3, not in kWh" in reasons[6]
    assert "90 is lower" in reasons[7]
    assert "2 columns where the header has 4" in reasons[8]
    assert "no meter serial" in reasons[9]
    assert (done.rows_imported, done.rows_rejected) == (2, 7)  # lines 2 and 10
    assert _count(db, meters["W-1"]) == 2


def test_a_csv_without_the_documented_header_writes_nothing(db: Database, meters, tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("meter,date,index\nW-1,2025-01-01,1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="missing: serial, read_at, value"):
        import_file(db, wrong)
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(ReadingImport)) == 0


def test_an_excel_file(db: Database, meters, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["Serial", "Read_at", "Value", "Unit"])
    sheet.append(["W-1", dt.datetime(2025, 1, 1), 100, "m3"])
    sheet.append(["W-1", dt.date(2025, 2, 1), 104.25, "m3"])
    sheet.append(["W-1", "not a date", 105, "m3"])
    path = tmp_path / "readings.xlsx"
    book.save(path)
    done = import_file(db, path)
    assert (done.rows_imported, done.rows_rejected) == (2, 1) and done.problems[0]["line"] == 4
    with db.transaction() as s:
        assert consumption.meter_consumption(s, meters["W-1"], dt.date(2025, 1, 1),
                                             dt.date(2025, 2, 1)) == Decimal("4.250")


def test_wmbusmeters_telegrams(db: Database, meters) -> None:
    done = import_file(db, DATA / "wmbusmeters-telegrams.jsonl", received_at=RECEIVED)
    with db.transaction() as s:
        allocator = s.scalars(select(MeterReading).where(MeterReading.meter_id == meters["11776622"])
                              .order_by(MeterReading.read_at)).all()
        # Techem fhkvdataiii: 1026 at the reference date (a reset reading), 131 since the restart;
        # the second telegram says the same at 02:00
        assert [(r.read_at.date(), r.value, r.kind) for r in allocator] == [
            (dt.date(2019, 12, 31), Decimal("1026"), "reset"), (dt.date(2019, 12, 31), Decimal("1026"), "reset"),
            (dt.date(2020, 2, 8), Decimal("131"), "periodic"), (dt.date(2020, 2, 8), Decimal("131"), "periodic")]
        # from the reference date to 8 February: the 131 units counted since the restart
        assert consumption.meter_consumption(s, meters["11776622"], dt.date(2019, 12, 31), dt.date(2020, 2, 8),
                                             raw=True) == 131
        hot = s.scalars(select(MeterReading).where(MeterReading.meter_id == meters["34333231"])).one()
        assert (hot.read_at.date(), hot.value) == (dt.date(2019, 4, 27), Decimal("13.8"))  # its own date
        heat = s.scalars(select(MeterReading).where(MeterReading.meter_id == meters["62626262"])).one()
        assert heat.read_at.date() == RECEIVED.date() and heat.value == 495  # a placeholder timestamp
        assert s.get(Meter, meters["62626262"]).measure == "kWh"
    assert done.rows_imported == 6
    assert all("no meter" in p["reason"] or "is not a possible reading date" in p["reason"]
               for p in done.problems)
    assert done.rows_rejected == done.rows_read - done.rows_imported - done.rows_duplicate
    again = import_file(db, DATA / "wmbusmeters-telegrams.jsonl", received_at=RECEIVED)
    assert again.rows_imported == 0 and again.rows_duplicate == 6


def test_the_cli_prints_the_summary_and_the_rejected_lines(settings: Settings, db: Database, meters) -> None:
    runner = build_app(settings, db).test_cli_runner()
    result = runner.invoke(cli, ["meters", "import", str(DATA / "readings-broken.csv")])
    assert result.exit_code == 0, result.output
    assert "readings-broken.csv: 9 read, 2 imported, 0 already known, 7 rejected" in result.output
    assert "line 3: no meter X-9" in result.output
    result = runner.invoke(cli, ["meters", "import", str(DATA / "README.md")])
    assert result.exit_code == 1 and "say which format it is" in result.output
