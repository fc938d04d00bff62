"""Readers of reading files: each yields one ``RawReading`` per reading, or a ``BadLine`` with
its reason, streaming (constant memory whatever the file's size)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from engine.metering.models import ReadingKind

COLUMNS = ("serial", "read_at", "value")  # required; "unit" and "kind" are optional


@dataclass(frozen=True)
class RawReading:
    line: int
    serial: str
    read_at: dt.datetime
    value: Decimal
    measure: str | None = None
    kind: str = ReadingKind.PERIODIC.value


@dataclass(frozen=True)
class BadLine:
    line: int
    reason: str


def parse_moment(text: str) -> dt.datetime:
    """``2026-03-01``, ``2026-03-01 08:30``, ``2026-03-01T08:30:00+01:00`` or ``01/03/2026``
    (Belgian order); a time without zone is taken as UTC."""
    text = text.strip()
    if "/" in text:
        day, month, rest = text.split("/", 2)
        year, _, clock = rest.partition(" ")
        text = f"{int(year):04d}-{int(month):02d}-{int(day):02d}" + (f" {clock}" if clock else "")
    moment = dt.datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _row(line: int, cells: dict[str, Any]) -> RawReading | BadLine:
    serial = str(cells.get("serial") or "").strip()
    if not serial:
        return BadLine(line, "no meter serial number")
    raw_time = cells.get("read_at")
    try:
        if isinstance(raw_time, dt.datetime):
            moment = raw_time if raw_time.tzinfo else raw_time.replace(tzinfo=dt.UTC)
        elif isinstance(raw_time, dt.date):
            moment = dt.datetime.combine(raw_time, dt.time(), tzinfo=dt.UTC)
        else:
            moment = parse_moment(str(raw_time or ""))
    except ValueError:
        return BadLine(line, f"{raw_time!r} is not a date: write 2026-03-01 or 01/03/2026, optionally with a time")
    raw_value = cells.get("value")
    try:
        value = Decimal(str(raw_value).strip().replace(",", "."))
        if not value.is_finite():
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        return BadLine(line, f"{raw_value!r} is not a number")
    kind = str(cells.get("kind") or ReadingKind.PERIODIC.value).strip().lower()
    if kind not in {k.value for k in ReadingKind}:
        return BadLine(line, f"{kind!r} is not a reading kind ({', '.join(k.value for k in ReadingKind)})")
    measure = str(cells.get("unit") or "").strip() or None
    return RawReading(line, serial, moment, value, measure, kind)


def _check_header(names: list[str], source: str) -> dict[str, int]:
    index = {name.strip().lower(): k for k, name in enumerate(names)}
    missing = [c for c in COLUMNS if c not in index]
    if missing:
        raise ValueError(f"{source}: the first line must name the columns {', '.join(COLUMNS)} (and optionally "
                         f"unit, kind); missing: {', '.join(missing)}")
    return index


def read_csv(path: Path) -> Iterator[RawReading | BadLine]:
    """A CSV file (comma or semicolon separated, UTF-8) with a header line."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        sample = handle.read(4096)
        handle.seek(0)
        delimiter = ";" if sample.count(";") > sample.count(",") else ","
        reader = csv.reader(handle, delimiter=delimiter)
        header = next(reader, None)
        if header is None:
            return
        index = _check_header(header, path.name)
        for line, cells in enumerate(reader, start=2):
            if not any(c.strip() for c in cells):
                continue
            if len(cells) < len(header):
                yield BadLine(line, f"{len(cells)} columns where the header has {len(header)}")
                continue
            yield _row(line, {name: cells[k] for name, k in index.items()})


def read_xlsx(path: Path) -> Iterator[RawReading | BadLine]:
    """The first sheet of an Excel workbook, the header on its first row (read-only mode: rows
    are streamed)."""
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            return
        index = _check_header([str(c or "") for c in header], path.name)
        for line, cells in enumerate(rows, start=2):
            if not any(c not in (None, "") for c in cells):
                continue
            yield _row(line, {name: cells[k] if k < len(cells) else None for name, k in index.items()})
    finally:
        workbook.close()


def _date(value: Any) -> dt.datetime | None:
    if not value:
        return None
    try:
        return parse_moment(str(value)[:19].replace("T", " "))
    except ValueError:
        return None


def telegram_readings(line: int, telegram: dict[str, Any], received_at: dt.datetime) -> list[RawReading]:
    """The readings in one decoded wmbusmeters telegram. The date comes from the telegram's own
    date fields where it has them, else from when it was received (wmbusmeters' own samples carry a
    placeholder timestamp)."""
    serial = str(telegram.get("id") or "").strip()
    stamp = _date(telegram.get("timestamp"))
    when = stamp if stamp and stamp.year >= 2000 else received_at
    current = _date(telegram.get("current_date")) or when
    found: list[RawReading] = []
    if "current_hca" in telegram:  # Techem fhkvdataiii: the value at the reset, then the value since
        previous = _date(telegram.get("previous_date"))
        if previous is not None and "previous_hca" in telegram:
            found.append(RawReading(line, serial, previous, Decimal(str(telegram["previous_hca"])), "units",
                                    ReadingKind.RESET.value))
        found.append(RawReading(line, serial, current, Decimal(str(telegram["current_hca"])), "units"))
    elif "current_consumption_hca" in telegram:  # fhkvdataiv and others: the same, by set date
        set_date = _date(telegram.get("set_date"))
        if set_date is not None and "consumption_at_set_date_hca" in telegram:
            found.append(RawReading(line, serial, set_date, Decimal(str(telegram["consumption_at_set_date_hca"])),
                                    "units", ReadingKind.RESET.value))
        found.append(RawReading(line, serial, when, Decimal(str(telegram["current_consumption_hca"])), "units"))
    elif "total_m3" in telegram:
        found.append(RawReading(line, serial, current, Decimal(str(telegram["total_m3"])), "m3"))
    elif "total_kwh" in telegram:
        found.append(RawReading(line, serial, current, Decimal(str(telegram["total_kwh"])), "kWh"))
    return found


def read_wmbus(path: Path, received_at: dt.datetime) -> Iterator[RawReading | BadLine]:
    """JSON lines as wmbusmeters prints them; a telegram with no reading it knows is reported."""
    with path.open(encoding="utf-8") as handle:
        yield from read_wmbus_lines(handle, received_at)


def read_wmbus_lines(handle: io.TextIOBase | Any, received_at: dt.datetime) -> Iterator[RawReading | BadLine]:
    for line, text in enumerate(handle, start=1):
        if not text.strip():
            continue
        try:
            telegram = json.loads(text)
        except json.JSONDecodeError as exc:
            yield BadLine(line, f"not a JSON object: {exc.msg} at column {exc.colno}")
            continue
        if not isinstance(telegram, dict) or not telegram.get("id"):
            yield BadLine(line, "a telegram without the meter's id")
            continue
        readings = telegram_readings(line, telegram, received_at)
        if not readings:
            yield BadLine(line, f"telegram of {telegram.get('meter')!r} ({telegram.get('media')!r}) carries no "
                                "index Guichet reads (total_m3, total_kwh, current_hca, current_consumption_hca)")
        yield from readings
