"""``guichet seed-subtypes``: adds the manual's subtypes once."""

from __future__ import annotations

from sqlalchemy import func, select

from engine.cases.models import DossierSubtype
from engine.cases.subtypes import SEED_SUBTYPES
from engine.config import Settings
from engine.db import Database
from tests.cli.test_cli import Runner, _app


def test_seed_subtypes_is_idempotent(settings: Settings, db: Database) -> None:
    run = Runner(_app(settings, db))
    assert f"{len(SEED_SUBTYPES)} dossier subtype(s) added." in run("seed-subtypes").output
    assert "0 dossier subtype(s) added." in run("seed-subtypes").output
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(DossierSubtype)) == len(SEED_SUBTYPES)
