"""Shared fixtures. The suite runs against SQLite by default and against PostgreSQL when
GUICHET_TEST_DATABASE_URL points at one (``make test`` runs both)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

import engine.models  # noqa: F401 - every table
from engine.config import Settings
from engine.db import Base, Database
from engine.privacy.append_only import purge_allowed

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


def _ensure_pg_database(url: str) -> None:
    u = make_url(url)
    admin = create_engine(u.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": u.database})
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{u.database}"'))
    admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("GUICHET_TEST_DATABASE_URL")
    if url:
        _ensure_pg_database(url)
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    Base.metadata.drop_all(database.engine)
    Base.metadata.create_all(database.engine)
    yield database
    database.dispose()


@pytest.fixture(autouse=True)
def _clean_tables(request: pytest.FixtureRequest) -> Iterator[None]:
    """Empty every table after each test that used the database."""
    yield
    if "db" not in request.fixturenames:
        return
    database: Database = request.getfixturevalue("db")
    tables = list(reversed(Base.metadata.sorted_tables))
    # DELETE, not TRUNCATE: on PostgreSQL a TRUNCATE of every table costs ~0.3 s, a DELETE of
    # the few rows a test leaves costs about a millisecond per table.
    with database.engine.begin() as conn, purge_allowed(conn):  # access_log refuses DELETE otherwise
        for table in tables:
            conn.execute(table.delete())


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        instance_path=tmp_path,
        database_url=database_url,
        broker_url="memory://",
        secret_key="test-secret-key-not-for-production",
        jobs_eager=True,
        login_rate_limit="5 per minute",
        mail_outbox=tmp_path / "outbox",
    )


@pytest.fixture(autouse=True)
def _no_notification_sender() -> Iterator[None]:
    """Notifications are sent only where a test built the services (which binds the sender for
    its own outbox): a sender bound by an earlier test must not deliver into that test's folder."""
    from engine import notify

    notify.configure(None)
    yield
    notify.configure(None)
