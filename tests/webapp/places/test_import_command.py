"""``guichet addresses import [FILE]``: the sample by default; a bad file imports nothing."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from sqlalchemy import func, select

from engine.db import Database
from engine.places.models import Address
from webapp.cli import cli


def count(db: Database) -> int:
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(Address)) or 0


def test_import_the_sample_then_a_bad_file(app: Flask, db: Database, tmp_path: Path) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(cli, ["addresses", "import"])
    assert result.exit_code == 0, result.output
    assert "657 created, 0 updated, 0 unchanged" in result.output
    assert count(db) == 657

    bad = tmp_path / "bad.csv"
    bad.write_text("register_id,postcode,municipality,street,house_number\nX1,2800,Mechelen,Bruul,1\n"
                   "X2,12345,Mechelen,Bruul,3\n")
    result = runner.invoke(cli, ["addresses", "import", str(bad)])
    assert result.exit_code == 1
    assert "Nothing imported. line 3: postcode “12345” is not four digits" in result.output
    assert count(db) == 657
