"""Importing the address register: the shipped sample, a BeST extract, and files that are refused
whole with the line of each problem."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.db import Database
from engine.places.models import Address
from integrations.addresses.importer import (
    SAMPLE,
    AddressFileError,
    import_addresses,
    import_file,
    parse_text,
    read_address_file,
)

HEADER = "register_id,postcode,municipality,street,house_number,box_number,latitude,longitude\n"


def count(db: Database) -> int:
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(Address)) or 0


def test_the_sample_parses_without_the_database() -> None:
    parsed = read_address_file(SAMPLE)
    assert len(parsed.rows) == 657
    postcodes = {row.postcode for row in parsed.rows}
    assert postcodes == {"2800", "2801", "2811", "2812"}
    assert sum(row.postcode == "2800" for row in parsed.rows) == 499
    boxes = [row.box_number for row in parsed.rows if row.street == "Bruul" and row.house_number == "13"]
    assert boxes == [None, "001", "002", "101", "102", "201", "202", "301", "302"]


def test_importing_the_sample_twice(db: Database) -> None:
    with db.transaction() as session:
        first = import_file(session, SAMPLE)
    assert (first.created, first.updated, first.unchanged) == (657, 0, 0)
    with db.transaction() as session:
        second = import_file(session, SAMPLE)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 657)
    assert count(db) == 657


def test_a_changed_address_is_updated(db: Database) -> None:
    with db.transaction() as session:
        import_addresses(session, parse_text(HEADER + "A1,2800,Mechelen,Bruul,1,,51.02,4.48\n"))
    with db.transaction() as session:
        result = import_addresses(session, parse_text(HEADER + "A1,2800,Mechelen,Bruul,1A,,51.02,4.48\n"
                                                      "A2,2800,Mechelen,Bruul,3,,,\n"))
        assert (result.created, result.updated, result.unchanged) == (1, 1, 0)
        assert session.scalar(select(Address.house_number).where(Address.register_id == "A1")) == "1A"


def test_a_malformed_file_imports_nothing_and_names_the_lines(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(HEADER
                    + "B1,2800,Mechelen,Bruul,1,,51.02,4.48\n"
                    + "B2,28OO,Mechelen,Bruul,3,,,\n"
                    + "B3,2800,Mechelen,,5,,,\n"
                    + "B4,2800,Mechelen,Bruul,7\n"
                    + "B1,2800,Mechelen,Bruul,9,,north,4.48\n", encoding="utf-8")
    with pytest.raises(AddressFileError) as refused, db.transaction() as session:
        import_file(session, path)
    message = str(refused.value)
    assert message.startswith("Nothing imported.")
    assert "line 3: postcode “28OO” is not four digits" in message
    assert "line 4: street is empty" in message
    assert "line 5: 5 columns instead of 8" in message
    assert "line 6: latitude “north” is not a number" in message
    assert "line 6: register id B1 already on line 2" in message
    assert count(db) == 0


@pytest.mark.parametrize(("text", "problem"), [
    ("", "line 1: the file is empty"),
    ("id,zip,town\n1,2800,Mechelen\n", "line 1: unknown columns"),
])
def test_files_that_are_not_address_files(text: str, problem: str) -> None:
    with pytest.raises(AddressFileError, match=problem):
        parse_text(text)


def test_a_best_extract_semicolon_separated(db: Database) -> None:
    best = (
        "EPSG:31370_x;EPSG:31370_y;EPSG:4326_lat;EPSG:4326_lon;address_id;box_number;house_number;"
        "municipality_id;municipality_name_de;municipality_name_fr;municipality_name_nl;postcode;"
        "postname_fr;postname_nl;street_id;streetname_de;streetname_fr;streetname_nl;region_code;status\n"
        "157000.1;189000.2;51.0262;4.4812;2001;;12;12025;;Malines;Mechelen;2800;Malines;Mechelen;77;;;Bruul;"
        "BE-VLG;current\n"
        "157000.1;189000.2;51.0262;4.4812;2002;3;12;12025;;Malines;Mechelen;2800;Malines;Mechelen;77;;;Bruul;"
        "BE-VLG;current\n"
        "157000.1;189000.2;51.0262;4.4812;2003;;14;12025;;Malines;Mechelen;2800;Malines;Mechelen;77;;;Bruul;"
        "BE-VLG;retired\n"
    )
    parsed = parse_text("\ufeff" + best)
    assert parsed.skipped == 1
    with db.transaction() as session:
        result = import_addresses(session, parsed)
        assert (result.created, result.skipped) == (2, 1)
        labels = sorted(a.label for a in session.scalars(select(Address)))
    assert labels == ["Bruul 12 bus 3, 2800 Mechelen", "Bruul 12, 2800 Mechelen"]
