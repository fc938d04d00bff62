"""Importing the address register from a file.

:func:`parse_addresses` reads the rows and needs nothing of Guichet (no database): it checks the
whole file and raises :class:`AddressFileError` naming the line of each problem. Only a file
without problem reaches :func:`import_addresses`, which inserts new addresses and updates known
ones (same register id) in the caller's transaction — a bad file imports nothing.

Two formats are recognised by their header:

* Guichet's CSV: ``register_id,postcode,municipality,street,house_number,box_number,latitude,longitude``
  (the last three may be empty);
* a BeST address extract (the Belgian open-data CSV of the federal BeST service), with the
  columns ``address_id, postcode, municipality_name_nl|fr|de, streetname_nl|fr|de, house_number,
  box_number, EPSG:4326_lat, EPSG:4326_lon, status``. Dutch names are taken first, then French,
  then German; retired addresses are skipped.

Comma or semicolon separated, UTF-8 (with or without BOM).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.places.models import Address

NATIVE_COLUMNS = ("register_id", "postcode", "municipality", "street", "house_number", "box_number",
                  "latitude", "longitude")
BEST_REQUIRED = ("address_id", "postcode", "house_number")
MAX_REPORTED = 20
BATCH = 500
POSTCODE = re.compile(r"[0-9]{4}")


@dataclass(frozen=True)
class AddressRow:
    register_id: str
    postcode: str
    municipality: str
    street: str
    house_number: str
    box_number: str | None = None
    latitude: float | None = None
    longitude: float | None = None


@dataclass
class ParsedFile:
    rows: list[AddressRow]
    skipped: int = 0  # retired addresses of a BeST extract


class AddressFileError(ValueError):
    """A file that cannot be imported; ``problems`` lists ``(line, text)``."""

    def __init__(self, problems: list[tuple[int, str]]) -> None:
        self.problems = problems
        lines = "; ".join(f"line {line}: {text}" for line, text in problems[:MAX_REPORTED])
        more = f" (and {len(problems) - MAX_REPORTED} more)" if len(problems) > MAX_REPORTED else ""
        super().__init__(f"Nothing imported. {lines}{more}")


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


def _first(record: dict[str, str], *names: str) -> str:
    for name in names:
        value = (record.get(name) or "").strip()
        if value:
            return value
    return ""


def _coordinate(text: str, low: float, high: float, what: str, problems: list[str]) -> float | None:
    if not text:
        return None
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        problems.append(f"{what} “{text}” is not a number")
        return None
    if not low <= value <= high:
        problems.append(f"{what} {value} is out of range")
        return None
    return value


def _reader(lines: Iterable[str]) -> Iterator[tuple[int, list[str]]]:
    buffered = list(lines)
    sample = "".join(buffered[:5])
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.reader(buffered, delimiter=delimiter)
    for row in reader:
        yield reader.line_num, row


def parse_addresses(lines: Iterable[str]) -> ParsedFile:
    """The rows of an address file, or :class:`AddressFileError` listing every problem by line."""
    rows: list[AddressRow] = []
    problems: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    skipped = 0
    reader = _reader(lines)
    try:
        _line, header = next(reader)
    except StopIteration:
        raise AddressFileError([(1, "the file is empty")]) from None
    header = [name.strip().lstrip("\ufeff").strip('"') for name in header]
    if all(name in header for name in ("register_id", "postcode", "municipality", "street", "house_number")):
        best = False
    elif all(name in header for name in BEST_REQUIRED):
        best = True
    else:
        raise AddressFileError([(1, "unknown columns; expected " + ",".join(NATIVE_COLUMNS)
                                 + " or a BeST address extract")])
    for line, values in reader:
        if not any(value.strip() for value in values):
            continue
        if len(values) != len(header):
            problems.append((line, f"{len(values)} columns instead of {len(header)}"))
            continue
        record = dict(zip(header, values, strict=True))
        if best:
            if (record.get("status") or "").strip().lower() == "retired":
                skipped += 1
                continue
            fields = {
                "register_id": _first(record, "address_id"),
                "postcode": _first(record, "postcode"),
                "municipality": _first(record, "municipality_name_nl", "municipality_name_fr", "municipality_name_de"),
                "street": _first(record, "streetname_nl", "streetname_fr", "streetname_de"),
                "house_number": _first(record, "house_number"),
                "box_number": _first(record, "box_number"),
                "latitude": _first(record, "EPSG:4326_lat"),
                "longitude": _first(record, "EPSG:4326_lon"),
            }
        else:
            fields = {name: (record.get(name) or "").strip() for name in NATIVE_COLUMNS}
        row_problems: list[str] = []
        for name in ("register_id", "postcode", "municipality", "street", "house_number"):
            if not fields[name]:
                row_problems.append(f"{name} is empty")
        if fields["postcode"] and not POSTCODE.fullmatch(fields["postcode"]):
            row_problems.append(f"postcode “{fields['postcode']}” is not four digits")
        limits = {"register_id": 100, "municipality": 100, "street": 200, "house_number": 20, "box_number": 20}
        for name, limit in limits.items():
            if len(fields[name]) > limit:
                row_problems.append(f"{name} is longer than {limit} characters")
        latitude = _coordinate(fields["latitude"], -90, 90, "latitude", row_problems)
        longitude = _coordinate(fields["longitude"], -180, 180, "longitude", row_problems)
        if fields["register_id"] in seen:
            row_problems.append(f"register id {fields['register_id']} already on line {seen[fields['register_id']]}")
        if row_problems:
            problems.extend((line, text) for text in row_problems)
            continue
        seen[fields["register_id"]] = line
        rows.append(AddressRow(
            register_id=fields["register_id"], postcode=fields["postcode"], municipality=fields["municipality"],
            street=fields["street"], house_number=fields["house_number"], box_number=fields["box_number"] or None,
            latitude=latitude, longitude=longitude,
        ))
    if problems:
        raise AddressFileError(problems)
    return ParsedFile(rows=rows, skipped=skipped)


def read_address_file(path: Path) -> ParsedFile:
    with Path(path).open(encoding="utf-8-sig", newline="") as handle:
        return parse_addresses(handle)


def parse_text(text: str) -> ParsedFile:
    return parse_addresses(io.StringIO(text.lstrip("\ufeff"), newline=""))


_COMPARED = ("postcode", "municipality", "street", "house_number", "box_number", "latitude", "longitude")


def import_addresses(session: Session, parsed: ParsedFile) -> ImportResult:
    """Insert new addresses, update changed ones (by register id). Addresses missing from the file
    are kept: dossiers may refer to them."""
    result = ImportResult(skipped=parsed.skipped)
    rows = parsed.rows
    for start in range(0, len(rows), BATCH):
        batch = rows[start:start + BATCH]
        known = {a.register_id: a for a in session.scalars(
            select(Address).where(Address.register_id.in_([r.register_id for r in batch])))}
        for row in batch:
            address = known.get(row.register_id)
            if address is None:
                session.add(Address(**{name: getattr(row, name) for name in ("register_id", *_COMPARED)}))
                result.created += 1
            elif all(getattr(address, name) == getattr(row, name) for name in _COMPARED):
                result.unchanged += 1
            else:
                for name in _COMPARED:
                    setattr(address, name, getattr(row, name))
                result.updated += 1
        session.flush()
    return result


def import_file(session: Session, path: Path) -> ImportResult:
    """Check the whole file, then import it (nothing when it has a problem)."""
    return import_addresses(session, read_address_file(path))


SAMPLE = Path(__file__).resolve().parent / "sample" / "mechelen.csv"
