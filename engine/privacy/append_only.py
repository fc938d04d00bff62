"""The database refuses to change or delete ``access_log`` rows: a trigger on each backend, so
that not even a bug, a hand-written SQL statement or a compromised web process can rewrite the
trail.

The one exception is the retention job's purge of rows past their retention (retention.py), which
runs inside :func:`purge_allowed`:

- PostgreSQL: ``SET LOCAL guichet.access_log_purge = 'on'`` — a custom setting that lives only
  until the end of the current transaction. The trigger function allows a DELETE when it sees
  it; UPDATE is refused always. A connection that never sets it (the web app) cannot delete.
- SQLite has no session settings, so the permission is a row in ``access_log_purge_permit``,
  inserted and deleted again inside the same transaction: other connections never see it.

UPDATE is refused on both. TRUNCATE (PostgreSQL) is refused by a statement trigger as well.

:func:`install` is the DDL both for ``create_all`` (the ``after_create`` event below, used by the
tests and the embedded SQLite database) and for the Alembic migration (call
``install(op.get_bind())`` after creating the table; :func:`uninstall` in the downgrade)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from engine.privacy.models import AccessLog

PURGE_SETTING = "guichet.access_log_purge"
SQLITE_PERMIT_TABLE = "access_log_purge_permit"
REFUSAL = "access_log is append-only"

POSTGRES_DDL = (
    f"""
    CREATE OR REPLACE FUNCTION access_log_append_only() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'DELETE' AND current_setting('{PURGE_SETTING}', true) = 'on' THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION '{REFUSAL}: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
    END;
    $$ LANGUAGE plpgsql
    """,
    "DROP TRIGGER IF EXISTS access_log_no_change ON access_log",
    "CREATE TRIGGER access_log_no_change BEFORE UPDATE OR DELETE ON access_log "
    "FOR EACH ROW EXECUTE FUNCTION access_log_append_only()",
    "DROP TRIGGER IF EXISTS access_log_no_truncate ON access_log",
    "CREATE TRIGGER access_log_no_truncate BEFORE TRUNCATE ON access_log "
    "FOR EACH STATEMENT EXECUTE FUNCTION access_log_append_only()",
)

SQLITE_DDL = (
    f"CREATE TABLE IF NOT EXISTS {SQLITE_PERMIT_TABLE} (id INTEGER PRIMARY KEY)",
    f"""
    CREATE TRIGGER IF NOT EXISTS access_log_no_update BEFORE UPDATE ON access_log
    BEGIN SELECT RAISE(ABORT, '{REFUSAL}: UPDATE refused'); END
    """,
    f"""
    CREATE TRIGGER IF NOT EXISTS access_log_no_delete BEFORE DELETE ON access_log
    WHEN NOT EXISTS (SELECT 1 FROM {SQLITE_PERMIT_TABLE})
    BEGIN SELECT RAISE(ABORT, '{REFUSAL}: DELETE refused'); END
    """,
)


def install(connection: Connection) -> None:
    """Create the triggers (idempotent) on the connection's backend."""
    statements = POSTGRES_DDL if connection.dialect.name == "postgresql" else SQLITE_DDL
    for statement in statements:
        connection.execute(text(statement))


def uninstall(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("DROP TRIGGER IF EXISTS access_log_no_change ON access_log"))
        connection.execute(text("DROP TRIGGER IF EXISTS access_log_no_truncate ON access_log"))
        connection.execute(text("DROP FUNCTION IF EXISTS access_log_append_only()"))
    else:
        connection.execute(text("DROP TRIGGER IF EXISTS access_log_no_update"))
        connection.execute(text("DROP TRIGGER IF EXISTS access_log_no_delete"))
        connection.execute(text(f"DROP TABLE IF EXISTS {SQLITE_PERMIT_TABLE}"))


@event.listens_for(AccessLog.__table__, "after_create")
def _after_create(_table: Any, connection: Connection, **_kw: Any) -> None:
    install(connection)


def _dialect(bind: Connection | Session) -> str:
    return bind.get_bind().dialect.name if isinstance(bind, Session) else bind.dialect.name


@contextmanager
def purge_allowed(bind: Connection | Session) -> Iterator[None]:
    """Allow DELETE on access_log inside this block, in the current transaction only (a failure
    rolls the transaction back, which takes the permission with it). Only the retention purge
    (and the test suite's table cleanup) uses it."""
    if _dialect(bind) == "postgresql":
        bind.execute(text(f"SELECT set_config('{PURGE_SETTING}', 'on', true)"))
        yield
        bind.execute(text(f"SELECT set_config('{PURGE_SETTING}', 'off', true)"))
        return
    bind.execute(text(f"INSERT INTO {SQLITE_PERMIT_TABLE} (id) VALUES (1)"))
    yield
    bind.execute(text(f"DELETE FROM {SQLITE_PERMIT_TABLE}"))
