"""Dumping and restoring the configured database, consistent while the application runs.

PostgreSQL: ``pg_dump -Fc`` inside an exported snapshot, so that the row counts written in the
manifest are those of the dump itself; restored by ``pg_restore -f - | psql --single-transaction``
so that a failed restore (or the schema drop of ``--force``) leaves the database as it was.
SQLite: the sqlite3 online backup API (a page-by-page copy that stays consistent while others
write), restored the same way into the target file.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import URL, Connection, make_url

from integrations.backup.manifest import BackupError

POSTGRESQL = "postgresql"
SQLITE = "sqlite"
DUMP_NAMES = {POSTGRESQL: "database/guichet.dump", SQLITE: "database/guichet.sqlite3"}


@dataclass
class Snapshot:
    """What a dump saw: the same instant for the file, the row counts and the revision."""

    path: Path
    row_counts: dict[str, int]
    revision: str | None
    pg_dump_version: str | None = None
    server_version: str | None = None
    notes: list[str] = field(default_factory=list)


def kind_of(database_url: str) -> str:
    backend = make_url(database_url).get_backend_name()
    if backend not in DUMP_NAMES:
        raise BackupError(f"Backups support PostgreSQL and SQLite databases, not {backend}.")
    return backend


def _sqlite_path(database_url: str) -> Path:
    database = make_url(database_url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError("An in-memory SQLite database cannot be backed up or restored: set GUICHET_DATABASE_URL "
                          "to a file.")
    return Path(database)


# --------------------------------------------------------------------------- shared SQL helpers


def _quote(conn: Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote(name)


def _counts_and_revision(conn: Connection) -> tuple[dict[str, int], str | None]:
    tables = sorted(inspect(conn).get_table_names())
    counts = {t: int(conn.scalar(text(f"SELECT count(*) FROM {_quote(conn, t)}")) or 0) for t in tables}
    revision = None
    if "alembic_version" in tables:
        revisions = sorted(conn.scalars(text("SELECT version_num FROM alembic_version")))
        revision = ",".join(revisions) or None
    return counts, revision


def row_counts(database_url: str) -> dict[str, int]:
    """Rows per table of the database's default schema (the check after a restore)."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return _counts_and_revision(conn)[0]
    finally:
        engine.dispose()


def existing_tables(database_url: str) -> list[str]:
    """Tables already in the target: a restore goes only into an empty database (or with --force)."""
    if kind_of(database_url) == SQLITE:
        path = _sqlite_path(database_url)
        if not path.exists() or path.stat().st_size == 0:
            return []
        with closing(sqlite3.connect(path)) as conn:
            return sorted(r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                                       "AND name NOT LIKE 'sqlite_%'"))
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return sorted(conn.scalars(text(
                "SELECT table_schema || '.' || table_name FROM information_schema.tables "
                "WHERE table_schema NOT IN ('pg_catalog', 'information_schema')")))
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- SQLite


def _dump_sqlite(database_url: str, workdir: Path) -> Snapshot:
    source = _sqlite_path(database_url)
    if not source.exists():
        raise BackupError(f"The SQLite database {source} does not exist.")
    target = workdir / "guichet.sqlite3"
    with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
    engine = create_engine(f"sqlite:///{target}")
    try:
        with engine.connect() as conn:
            counts, revision = _counts_and_revision(conn)
    finally:
        engine.dispose()
    return Snapshot(path=target, row_counts=counts, revision=revision)


def _restore_sqlite(dump: Path, database_url: str) -> None:
    target = _sqlite_path(database_url)
    target.parent.mkdir(parents=True, exist_ok=True)
    # The backup API replaces every page of the target in one transaction: whatever was there
    # (only with --force) is gone, and a failure leaves the target as it was.
    with closing(sqlite3.connect(dump)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


# --------------------------------------------------------------------------- PostgreSQL


VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?")


def _major(version: str | None) -> int | None:
    return int(version.split(".")[0]) if version else None


def _tool(name: str, server_major: int | None) -> str:
    """The client program matching the server's major version when Debian has it side by side
    (/usr/lib/postgresql/<major>/bin), else the one on PATH."""
    if server_major is not None:
        candidate = Path(f"/usr/lib/postgresql/{server_major}/bin/{name}")
        if candidate.is_file():
            return str(candidate)
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} is not installed: install the Debian package postgresql-client "
                          f"(make system-packages does).")
    return found


def tool_version(program: str) -> str:
    result = subprocess.run([program, "--version"], capture_output=True, text=True, check=False)
    match = VERSION.search(result.stdout)
    if result.returncode != 0 or not match:
        raise BackupError(f"Cannot tell the version of {program}: {result.stdout or result.stderr}".strip())
    return f"{match.group(1)}.{match.group(2) or 0}"


def _libpq(database_url: str) -> tuple[str, dict[str, str]]:
    """A libpq URI without the password, which goes in PGPASSWORD (never on a command line)."""
    url: URL = make_url(database_url)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    uri = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return uri, env


def _server_version(conn: Connection) -> str:
    number = int(conn.scalar(text("SHOW server_version_num")) or 0)
    return f"{number // 10000}.{number % 10000}"


def _dump_postgresql(database_url: str, workdir: Path) -> Snapshot:
    target = workdir / "guichet.dump"
    uri, env = _libpq(database_url)
    engine = create_engine(database_url)
    try:
        with engine.connect() as base:
            conn = base.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                server = _server_version(conn)
                pg_dump = _tool("pg_dump", _major(server))
                client = tool_version(pg_dump)
                notes = []
                if _major(client) != _major(server):
                    if (_major(client) or 0) < (_major(server) or 0):
                        raise BackupError(f"pg_dump {client} ({pg_dump}) is older than the PostgreSQL server "
                                          f"{server}: it cannot dump it. Install postgresql-client-"
                                          f"{_major(server)} (or newer).")
                    notes.append(f"Note: pg_dump {client} differs from the server {server}; restore with "
                                 f"pg_restore {_major(client)} or newer.")
                # The dump and the counts below see the same snapshot of the database.
                snapshot = conn.scalar(text("SELECT pg_export_snapshot()"))
                counts, revision = _counts_and_revision(conn)
                result = subprocess.run(
                    [pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--file={target}", f"--dbname={uri}"],
                    capture_output=True, text=True, env=env, check=False)
                if result.returncode != 0:
                    raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
    finally:
        engine.dispose()
    return Snapshot(path=target, row_counts=counts, revision=revision, pg_dump_version=client,
                    server_version=server, notes=notes)


# Run before the dump's SQL in the same transaction as it (only with --force).
CLEAR_SCHEMA = "DROP SCHEMA IF EXISTS public CASCADE;\nCREATE SCHEMA public;\nGRANT USAGE ON SCHEMA public TO PUBLIC;\n"


def check_pg_restore(database_url: str, pg_dump_version: str | None) -> str:
    """The pg_restore to use; refused when it is older than the pg_dump that wrote the archive."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            server = _server_version(conn)
    finally:
        engine.dispose()
    pg_restore = _tool("pg_restore", _major(server))
    version = tool_version(pg_restore)
    if pg_dump_version and (_major(version) or 0) < (_major(pg_dump_version) or 0):
        raise BackupError(f"The dump was written by pg_dump {pg_dump_version}; pg_restore {version} ({pg_restore}) "
                          f"cannot read it. Install postgresql-client-{_major(pg_dump_version)} or newer.")
    _tool("psql", _major(server))
    return pg_restore


def _restore_postgresql(dump: Path, database_url: str, pg_restore: str, *, clear: bool) -> None:
    uri, env = _libpq(database_url)
    sibling = Path(pg_restore).with_name("psql")  # the psql of the same client version
    psql = str(sibling) if sibling.is_file() else _tool("psql", None)
    with tempfile.TemporaryFile() as restore_err, tempfile.TemporaryFile() as psql_err:
        reader = subprocess.Popen([pg_restore, "--no-owner", "--no-privileges", "--file=-", str(dump)],
                                  stdout=subprocess.PIPE, stderr=restore_err, env=env)
        writer = subprocess.Popen([psql, "--quiet", "--no-psqlrc", "--single-transaction", "--set=ON_ERROR_STOP=1",
                                   f"--dbname={uri}"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                  stderr=psql_err, env=env)
        assert reader.stdout is not None and writer.stdin is not None
        try:
            if clear:
                writer.stdin.write(CLEAR_SCHEMA.encode())
            shutil.copyfileobj(reader.stdout, writer.stdin)
        except BrokenPipeError:
            pass  # psql stopped on an error: reported below
        finally:
            writer.stdin.close()
        reader_rc, writer_rc = reader.wait(), writer.wait()
        if reader_rc != 0 or writer_rc != 0:
            restore_err.seek(0)
            psql_err.seek(0)
            detail = (restore_err.read() + psql_err.read()).decode(errors="replace").strip()
            raise BackupError(f"The database restore failed and was rolled back: {detail}")


# --------------------------------------------------------------------------- entry points


@contextmanager
def dump_database(database_url: str, workdir: Path) -> Iterator[Snapshot]:
    """Dump into ``workdir``; the dump file lives as long as the context."""
    kind = kind_of(database_url)
    snapshot = _dump_postgresql(database_url, workdir) if kind == POSTGRESQL else _dump_sqlite(database_url, workdir)
    try:
        yield snapshot
    finally:
        snapshot.path.unlink(missing_ok=True)


def restore_database(dump: Path, database_url: str, *, pg_restore: str | None, clear: bool) -> None:
    if kind_of(database_url) == POSTGRESQL:
        assert pg_restore is not None
        _restore_postgresql(dump, database_url, pg_restore, clear=clear)
    else:
        _restore_sqlite(dump, database_url)
