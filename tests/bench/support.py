"""What the benchmark smoke tests share: each always runs on PostgreSQL, in a database of its own
next to GUICHET_TEST_DATABASE_URL's (never that database itself), so that a run on SQLite and a
run on PostgreSQL never generate into the same place."""

from __future__ import annotations

import os

from sqlalchemy.engine import make_url

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/guichet_test"


def bench_database_url(suffix: str) -> str:
    """The URL of ``<test database>_bench_<suffix>`` (per xdist worker when there are several)."""
    base = os.environ.get("GUICHET_TEST_DATABASE_URL", "")
    if not base.startswith("postgresql"):
        base = DEFAULT_URL
    u = make_url(base)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    name = f"{u.database}_bench_{suffix}{'_' + worker if worker else ''}"
    return u.set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)
