"""``guichet bce import`` (progress bar, summary, bad rows, --resume) and ``guichet bce lookup``."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from flask import Flask

from engine.config import Settings
from engine.db import Database
from integrations.bce.kbo import generator
from integrations.bce.kbo.importer import KboImporter
from integrations.bce.sample import SAMPLE, SAMPLE_UPDATE
from tests.webapp.support import build_app
from webapp.cli import cli


@pytest.fixture
def app(settings: Settings, db: Database) -> Flask:
    return build_app(settings, db)


def test_import_then_look_up(app: Flask, tmp_path: Path) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(cli, ["bce", "import", str(SAMPLE)])
    assert result.exit_code == 0, result.output
    assert "enterprise.csv: 16 rows, 0 bad" in result.output
    assert "full set" in result.output and "16 lookup rows rebuilt" in result.output

    result = runner.invoke(cli, ["bce", "lookup", "BE 0850.412.361"])
    assert result.exit_code == 0, result.output
    assert "name: VME Residentie Dijlezicht" in result.output
    assert "legal_form: Vereniging van mede-eigenaars" in result.output

    result = runner.invoke(cli, ["bce", "import", str(SAMPLE_UPDATE)])
    assert result.exit_code == 0 and "update set" in result.output
    result = runner.invoke(cli, ["bce", "lookup", "0642.039.832"])
    assert result.exit_code == 1 and "0642.039.832 is not in the local BCE data" in result.output
    result = runner.invoke(cli, ["bce", "lookup", "0850.412.362"])
    assert result.exit_code == 1 and "is not a valid enterprise number (checksum)" in result.output


def test_bad_rows_and_resume(app: Flask, db: Database, tmp_path: Path) -> None:
    folder = tmp_path / "kbo"
    shutil.copytree(SAMPLE, folder)
    with (folder / "denomination.csv").open("a", encoding="utf-8") as fh:
        fh.write('"0850.412.361","2","001"\r\n')
    runner = app.test_cli_runner()
    result = runner.invoke(cli, ["bce", "import", str(folder), "--resume"])
    assert result.exit_code == 1 and "no unfinished import of this set to resume" in result.output
    result = runner.invoke(cli, ["bce", "import", str(folder)])
    assert result.exit_code == 0, result.output
    assert "denomination.csv line 24: 3 columns instead of 4" in result.output

    generated = tmp_path / "gen"
    generator.generate(generated, 200)
    with pytest.raises(KeyboardInterrupt):
        KboImporter(db, batch_size=40, stop_after_batches=4).run(generated)
    result = runner.invoke(cli, ["bce", "import", str(generated), "--resume", "--batch-size", "100"])
    assert result.exit_code == 0, result.output
    assert "enterprise.csv: 200 rows, 0 bad" in result.output and "200 lookup rows rebuilt" in result.output
