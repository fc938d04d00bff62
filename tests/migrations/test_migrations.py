"""The migrations build exactly the schema the models describe, on SQLite and on PostgreSQL.

A model change without its migration fails here (like ``alembic check``); write one with
``make migration m="..."``. Each backend gets a fresh, uniquely named database, dropped after.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from engine.db import Base, make_engine
from webapp.cli import alembic_config, schema_differences, upgrade_database

PG_URL = os.environ.get("GUICHET_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/guichet_test")


def _fresh_postgres() -> Iterator[str]:
    base = make_url(PG_URL)
    if not base.drivername.startswith("postgresql"):
        base = make_url("postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    name = f"guichet_migr_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        pytest.fail(f"PostgreSQL at {base.render_as_string(hide_password=True)} is needed for this test: {exc}")
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
    else:
        yield from _fresh_postgres()


def _differences(url: str) -> list:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return schema_differences(conn)
    finally:
        engine.dispose()


def test_upgrade_to_head_matches_the_models(empty_database_url: str) -> None:
    upgrade_database(empty_database_url)
    diffs = _differences(empty_database_url)
    assert not diffs, (
        "The models and the migrations differ; write a migration with `make migration m=\"...\"` "
        "and review it:\n" + "\n".join(f"  {d}" for d in diffs)
    )
    engine = make_engine(empty_database_url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_downgrade_to_base_and_up_again(empty_database_url: str) -> None:
    cfg = alembic_config(empty_database_url)
    command.upgrade(cfg, "head")
    command.downgrade(cfg, "base")
    engine = make_engine(empty_database_url)
    try:
        assert set(inspect(engine).get_table_names()) - {"alembic_version"} == set()
    finally:
        engine.dispose()
    command.upgrade(cfg, "head")
    assert not _differences(empty_database_url)


def test_one_linear_history() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    assert len(script.get_heads()) == 1, f"several heads: {script.get_heads()}; merge them (alembic merge)"


def test_dialect_specific_indexes_are_created_where_they_belong(empty_database_url: str) -> None:
    """The indexes left out of autogenerate (``ddl_if``) exist on their database after upgrade,
    and only there."""
    upgrade_database(empty_database_url)
    engine = make_engine(empty_database_url)
    try:
        dialect = engine.dialect.name
        catalogue = ("SELECT name FROM sqlite_master WHERE type = 'index'" if dialect == "sqlite"
                     else "SELECT indexname FROM pg_indexes WHERE schemaname = 'public'")
        with engine.connect() as conn:  # the inspectors leave out expression indexes
            present = set(conn.scalars(text(catalogue)))
    finally:
        engine.dispose()
    specific = {
        str(index.name): index._ddl_if.dialect  # type: ignore[union-attr]
        for table in Base.metadata.tables.values() for index in table.indexes
        if getattr(getattr(index, "_ddl_if", None), "dialect", None)
    }
    assert specific, "engine/views/indexes.py declares PostgreSQL-only trigram indexes"
    assert {name for name, only in specific.items() if only == dialect} <= present
    assert not {name for name, only in specific.items() if only != dialect} & present
    assert "ix_views_dossiers_journey_root" in present
