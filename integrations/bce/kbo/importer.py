"""Importing a KBO open-data set into the kbo_* tables, then rebuilding the ``bce_enterprises``
lookup rows of the enterprises it touched.

Streaming and resumable: rows are read one at a time and written in batches; each batch is one
transaction that also moves the file's progress row (``kbo_import_files.lines_done``), so after a
crash or Ctrl-C the tables hold exactly the rows counted there and ``resume=True`` skips them.
On PostgreSQL a batch is COPYed (psycopg 3) — into the table itself for the multi-row tables,
into a temporary staging table followed by one ``INSERT … SELECT … ON CONFLICT DO UPDATE`` for
the keyed ones; on SQLite it is an ``executemany``. A bad row is recorded with its file, line and
reason (the first 1,000 per file are kept) and the import goes on.

A full set replaces the tables (emptied when the run starts, not when it resumes). An update set
applies each ``X_delete.csv`` (delete by entity number) before its ``X_insert.csv``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection, select, update

from engine.db import Database, utcnow
from engine.parties.kbo_models import KboImportFile, KboImportProblem, KboImportRun
from integrations.bce.kbo import lookup_rows
from integrations.bce.kbo.format import FILES, BadRow, Codes, FileSpec, delete_key
from integrations.bce.kbo.reader import KboSource, Part

BATCH_SIZE = 20_000
PROBLEMS_KEPT = 1_000
KBO_TABLES = (*(spec.table for spec in FILES), "kbo_touched")


class NothingToResume(RuntimeError):
    """``resume`` was asked but no unfinished run of this source exists."""


@dataclass
class FileSummary:
    name: str
    rows: int = 0
    bad_rows: int = 0
    seconds: float = 0.0


@dataclass
class ImportSummary:
    run_id: int
    kind: str
    source: str
    files: list[FileSummary] = field(default_factory=list)
    problems: list[tuple[str, int, str]] = field(default_factory=list)  # (file, line, reason), first ones
    lookup_rows: int = 0
    seconds: float = 0.0
    resumed: bool = False

    @property
    def rows(self) -> int:
        return sum(f.rows for f in self.files)

    @property
    def bad_rows(self) -> int:
        return sum(f.bad_rows for f in self.files)

    def lines(self) -> list[str]:
        out = [f"{f.name}: {f.rows} rows, {f.bad_rows} bad, {f.seconds:.1f} s" for f in self.files]
        out += [f"  {name} line {line}: {reason}" for name, line, reason in self.problems]
        out.append(f"{self.kind} set {self.source}: {self.rows} rows, {self.bad_rows} bad rows, "
                   f"{self.lookup_rows} lookup rows rebuilt, {self.seconds:.1f} s")
        return out


class KboImporter:
    """``connection``: run inside the caller's transaction (no commit per batch; used to load the
    shipped sample within a session) instead of one transaction per batch on ``database``."""

    def __init__(self, database: Database | None = None, *, connection: Connection | None = None,
                 batch_size: int = BATCH_SIZE, on_bytes: Callable[[int], None] | None = None,
                 stop_after_batches: int | None = None) -> None:
        if (database is None) == (connection is None):
            raise ValueError("give a database or a connection")
        self._db = database
        self._connection = connection
        self.batch_size = batch_size
        self._on_bytes = on_bytes
        self._stop_after = stop_after_batches  # tests: simulate a crash after N batches
        self._batches = 0

    @contextmanager
    def _tx(self) -> Iterator[Connection]:
        if self._connection is not None:
            yield self._connection
            return
        assert self._db is not None
        with self._db.engine.begin() as conn:
            yield conn

    @property
    def dialect(self) -> str:
        if self._connection is not None:
            return self._connection.dialect.name
        assert self._db is not None
        return self._db.engine.dialect.name

    # ------------------------------------------------------------------ the run

    def bytes_to_read(self, path: Path, *, resume: bool = False) -> int:
        """The bytes the run will read (for a progress bar): the files not done yet."""
        with KboSource(path) as source:
            done: set[str] = set()
            if resume:
                with self._tx() as conn:
                    run = self._unfinished(conn, str(source.path))
                    if run is not None:
                        done = set(conn.scalars(select(KboImportFile.name).where(
                            KboImportFile.run_id == run, KboImportFile.done.is_(True))))
            return sum(p.size for p in source.parts if p.name not in done)

    def run(self, path: Path, *, resume: bool = False) -> ImportSummary:
        started = time.perf_counter()
        with KboSource(path) as source:
            run_id = self._start(source, resume)
            summary = ImportSummary(run_id, source.kind, str(source.path), resumed=resume)
            codes = self._known_codes()
            for part in source.parts:
                summary.files.append(self._apply(run_id, source, part, codes))
            with self._tx() as conn:
                rebuilt = conn.scalar(select(KboImportRun.lookup_rebuilt).where(KboImportRun.id == run_id))
            if not rebuilt:
                with self._tx() as conn:
                    # new code descriptions (legal forms) can change every row: then rebuild them all
                    only_touched = source.kind == "update" and not any(p.spec.name == "code" for p in source.parts)
                    summary.lookup_rows = lookup_rows.rebuild(conn, only_touched=only_touched)
                    meta = {row[0]: row[1] for row in conn.execute(select(lookup_rows.meta_table()))}
                    conn.execute(update(KboImportRun).where(KboImportRun.id == run_id).values(
                        lookup_rebuilt=True, finished_at=utcnow(), extract_number=meta.get("ExtractNumber"),
                        snapshot_date=meta.get("SnapshotDate")))
            with self._tx() as conn:
                summary.problems = [tuple(r) for r in conn.execute(  # type: ignore[misc]
                    select(KboImportProblem.name, KboImportProblem.line, KboImportProblem.reason)
                    .where(KboImportProblem.run_id == run_id).order_by(KboImportProblem.id).limit(50))]
        summary.seconds = time.perf_counter() - started
        return summary

    def _unfinished(self, conn: Connection, source: str) -> int | None:
        return conn.scalar(select(KboImportRun.id).where(KboImportRun.source == source,
                                                         KboImportRun.finished_at.is_(None))
                           .order_by(KboImportRun.id.desc()).limit(1))

    def _start(self, source: KboSource, resume: bool) -> int:
        with self._tx() as conn:
            if resume:
                run_id = self._unfinished(conn, str(source.path))
                if run_id is None:
                    raise NothingToResume(f"{source.path}: no unfinished import of this set to resume; "
                                          "run the import without --resume")
                return run_id
            if source.kind == "full":
                self._empty_tables(conn)
            run = KboImportRun.__table__.insert().values(source=str(source.path), kind=source.kind,
                                                         started_at=utcnow(), lookup_rebuilt=False)
            run_id = conn.execute(run.returning(KboImportRun.__table__.c.id)).scalar_one()
            conn.execute(KboImportFile.__table__.insert(), [
                {"run_id": run_id, "name": p.name, "lines_done": 0, "rows_imported": 0, "bad_rows": 0,
                 "done": False, "seconds": 0.0} for p in source.parts])
            return run_id

    def _empty_tables(self, conn: Connection) -> None:
        if self.dialect == "postgresql":
            conn.exec_driver_sql(f"TRUNCATE {', '.join(KBO_TABLES)}")
        else:
            for table in KBO_TABLES:
                conn.exec_driver_sql(f"DELETE FROM {table}")

    def _known_codes(self) -> Codes:
        codes = Codes()
        with self._tx() as conn:
            for category, code in conn.exec_driver_sql("SELECT DISTINCT category, code FROM kbo_codes"):
                codes.add(category, code)
        return codes

    # ------------------------------------------------------------------ one file

    def _apply(self, run_id: int, source: KboSource, part: Part, codes: Codes) -> FileSummary:
        with self._tx() as conn:
            progress = conn.execute(select(KboImportFile).where(
                KboImportFile.run_id == run_id, KboImportFile.name == part.name)).one()
        summary = FileSummary(part.name, progress.rows_imported, progress.bad_rows, progress.seconds)
        if progress.done:
            return summary
        lines_done = progress.lines_done
        batch: list[tuple[object, ...]] = []
        problems: list[tuple[int, str]] = []
        lines_in_batch = 0
        clock = time.perf_counter()
        for line, row in source.rows(part, skip=lines_done, on_bytes=self._on_bytes):
            lines_in_batch += 1
            try:
                batch.append(self._convert(part, row, codes))
            except BadRow as exc:
                problems.append((line, str(exc)))
            if lines_in_batch >= self.batch_size:
                self._flush(run_id, part, batch, problems, lines_in_batch, summary, clock)
                lines_done += lines_in_batch
                batch, problems, lines_in_batch, clock = [], [], 0, time.perf_counter()
        self._flush(run_id, part, batch, problems, lines_in_batch, summary, clock, done=True)
        return summary

    def _convert(self, part: Part, row: list[str], codes: Codes) -> tuple[object, ...]:
        if part.action == "delete":
            if not row:
                raise BadRow("empty line")
            return (delete_key(part.spec, row[0]),)
        expected = len(part.spec.headers)
        if len(row) != expected:
            raise BadRow(f"{len(row)} columns instead of {expected}")
        return part.spec.convert(row, codes)

    def _flush(self, run_id: int, part: Part, batch: list[tuple[object, ...]], problems: list[tuple[int, str]],
               lines: int, summary: FileSummary, clock: float, *, done: bool = False) -> None:
        if self._stop_after is not None and self._batches >= self._stop_after:
            raise KeyboardInterrupt(f"stopped after {self._batches} batches")
        self._batches += 1
        with self._tx() as conn:
            if batch:
                if part.action == "delete":
                    self._delete(conn, part.spec, [r[0] for r in batch])
                else:
                    self._write(conn, part.spec, batch)
                if source_kind_is_update(part):
                    self._touch(conn, part.spec, batch)
            kept = summary.bad_rows
            if problems and kept < PROBLEMS_KEPT:
                conn.execute(KboImportProblem.__table__.insert(), [
                    {"run_id": run_id, "name": part.name, "line": line, "reason": reason}
                    for line, reason in problems[:PROBLEMS_KEPT - kept]])
            summary.rows += len(batch)
            summary.bad_rows += len(problems)
            summary.seconds += time.perf_counter() - clock
            conn.execute(update(KboImportFile).where(KboImportFile.run_id == run_id,
                                                     KboImportFile.name == part.name).values(
                lines_done=KboImportFile.lines_done + lines, rows_imported=summary.rows,
                bad_rows=summary.bad_rows, seconds=summary.seconds, done=done))

    # ------------------------------------------------------------------ writing

    def _write(self, conn: Connection, spec: FileSpec, rows: list[tuple[object, ...]]) -> None:
        columns = ", ".join(spec.columns)
        if self.dialect == "postgresql":
            cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
            try:
                if not spec.key:
                    with cursor.copy(f"COPY {spec.table} ({columns}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
                    return
                stage = f"kbo_stage_{spec.table}"
                cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {stage} AS SELECT {columns} FROM {spec.table} "
                               "WITH NO DATA")
                with cursor.copy(f"COPY {stage} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                keys = ", ".join(spec.key)
                updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in spec.columns if c not in spec.key)
                cursor.execute(f"INSERT INTO {spec.table} ({columns}) SELECT DISTINCT ON ({keys}) {columns} "
                               f"FROM {stage} ON CONFLICT ({keys}) DO UPDATE SET {updates}")
                cursor.execute(f"TRUNCATE {stage}")
            finally:
                cursor.close()
            return
        marks = ", ".join("?" for _ in spec.columns)
        sql = f"INSERT INTO {spec.table} ({columns}) VALUES ({marks})"
        if spec.key:
            updates = ", ".join(f"{c} = excluded.{c}" for c in spec.columns if c not in spec.key)
            sql += f" ON CONFLICT ({', '.join(spec.key)}) DO UPDATE SET {updates}"
        conn.exec_driver_sql(sql, rows)

    def _delete(self, conn: Connection, spec: FileSpec, keys: list[str]) -> None:
        if self.dialect == "postgresql":
            conn.exec_driver_sql(f"DELETE FROM {spec.table} WHERE {spec.delete_by} = ANY(%s)", (keys,))
        else:
            conn.exec_driver_sql(f"DELETE FROM {spec.table} WHERE {spec.delete_by} = ?", [(k,) for k in keys])

    def _touch(self, conn: Connection, spec: FileSpec, rows: list[tuple[object, ...]]) -> None:
        """Remember the enterprises whose lookup row must be rebuilt after an update."""
        if spec.name not in ("enterprise", "denomination", "address"):
            return
        numbers = sorted({str(r[0]) for r in rows if str(r[0])[0] in "01"})
        if not numbers:
            return
        if self.dialect == "postgresql":
            conn.exec_driver_sql("INSERT INTO kbo_touched (enterprise_number) SELECT unnest(%s::text[]) "
                                 "ON CONFLICT DO NOTHING", (numbers,))
        else:
            conn.exec_driver_sql("INSERT OR IGNORE INTO kbo_touched (enterprise_number) VALUES (?)",
                                 [(n,) for n in numbers])


def source_kind_is_update(part: Part) -> bool:
    return part.action in ("delete", "insert")


def import_set(database: Database, path: Path, *, resume: bool = False, **options: object) -> ImportSummary:
    """Import a full or update set (a folder or a KboOpenData zip) into ``database``."""
    return KboImporter(database, **options).run(path, resume=resume)  # type: ignore[arg-type]
