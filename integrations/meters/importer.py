"""Recording what a source read: every reading goes through record_reading; a refused one is
kept in the run's report with its line and reason and the others go on; a reading already
stored is counted as a duplicate, so importing a file twice adds nothing. Readings are written in
batches, each batch one transaction, and the run row says how far it got."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable
from pathlib import Path

from engine.db import Database, utcnow
from engine.metering.models import ReadingImport
from engine.metering.readings import ReadingRejected, find_meter, record_reading, unknown_meter
from integrations.meters.sources import BadLine, RawReading, read_csv, read_wmbus, read_xlsx

BATCH = 500
MAX_PROBLEMS = 1000
FORMATS = ("csv", "xlsx", "wmbus")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def format_of(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        return "csv"
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx"
    if suffix in (".jsonl", ".json", ".log"):
        return "wmbus"
    raise ValueError(f"{path.name}: say which format it is (--format {'|'.join(FORMATS)}); "
                     "the name does not tell")


def run(db: Database, items: Iterable[RawReading | BadLine], *, source: str, name: str, sha256: str | None = None,
        user_id: int | None = None, progress: Callable[[int], None] | None = None) -> ReadingImport:
    """Record every reading of ``items``; returns the finished run (detached, with its counts)."""
    with db.transaction() as session:
        run_row = ReadingImport(source=source, name=name[:255], sha256=sha256, started_by_id=user_id, problems=[])
        session.add(run_row)
        session.flush()
        run_id = run_row.id
    counts = {"read": 0, "imported": 0, "duplicate": 0, "rejected": 0}
    problems: list[dict[str, object]] = []

    def refuse(line: int, reason: str) -> None:
        counts["rejected"] += 1
        if len(problems) < MAX_PROBLEMS:
            problems.append({"line": line, "reason": reason})

    reported = 0

    def flush(batch: list[RawReading]) -> None:
        nonlocal reported
        with db.transaction() as session:
            for item in batch:
                meter = find_meter(session, item.serial, item.read_at.date())
                try:
                    if meter is None:
                        raise unknown_meter(item.serial, item.read_at.date())
                    stored = record_reading(session, meter=meter, read_at=item.read_at, value=item.value,
                                            measure=item.measure, source=source, kind=item.kind, import_id=run_id,
                                            user_id=user_id)
                except ReadingRejected as refused:
                    refuse(item.line, refused.reason)
                    continue
                counts["imported" if stored is not None else "duplicate"] += 1
            _save(session, run_id, counts, problems, finished=False)
        if progress is not None:  # rows read since the last batch, refused lines included
            progress(counts["read"] - reported)
            reported = counts["read"]

    batch: list[RawReading] = []
    for item in items:
        counts["read"] += 1
        if isinstance(item, BadLine):
            refuse(item.line, item.reason)
            continue
        batch.append(item)
        if len(batch) >= BATCH:
            flush(batch)
            batch = []
    if batch:
        flush(batch)
    with db.transaction() as session:
        finished = _save(session, run_id, counts, problems, finished=True)
        session.expunge(finished)
    return finished


def _save(session, run_id: int, counts: dict[str, int], problems: list[dict[str, object]], *,
          finished: bool) -> ReadingImport:
    row = session.get(ReadingImport, run_id)
    assert row is not None
    row.rows_read, row.rows_imported = counts["read"], counts["imported"]
    row.rows_duplicate, row.rows_rejected = counts["duplicate"], counts["rejected"]
    row.problems = sorted(problems, key=lambda p: p["line"])  # type: ignore[arg-type, return-value]
    if finished:
        row.finished_at = utcnow()
    return row


def estimate_rows(path: Path, file_format: str) -> int:
    """How many rows the file holds (for a progress bar): lines of a text file, the sheet's rows."""
    if file_format == "xlsx":
        from openpyxl import load_workbook

        workbook = load_workbook(path, read_only=True)
        try:
            return max((workbook.worksheets[0].max_row or 1) - 1, 0)
        finally:
            workbook.close()
    with path.open("rb") as handle:
        lines = sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 16), b""))
    return max(lines - (1 if file_format == "csv" else 0), 0)


def import_file(db: Database, path: Path, *, file_format: str | None = None, user_id: int | None = None,
                received_at: dt.datetime | None = None,
                progress: Callable[[int], None] | None = None) -> ReadingImport:
    """Import a reading file (csv, xlsx, or wmbusmeters JSON lines received at ``received_at``,
    default now). A header that is not the documented one raises ValueError, nothing written."""
    kind = file_format or format_of(path)
    if kind == "csv":
        items: Iterable[RawReading | BadLine] = read_csv(path)
    elif kind == "xlsx":
        items = read_xlsx(path)
    elif kind == "wmbus":
        items = read_wmbus(path, received_at or utcnow())
    else:
        raise ValueError(f"unknown format {kind!r}: use one of {', '.join(FORMATS)}")
    iterator = iter(items)
    first = next(iterator, None)  # reads the header now: a wrong one fails before any row is written
    chained = iterator if first is None else _prepend(first, iterator)
    return run(db, chained, source=kind, name=path.name, sha256=sha256_of(path), user_id=user_id, progress=progress)


def _prepend(first: RawReading | BadLine, rest: Iterable[RawReading | BadLine]) -> Iterable[RawReading | BadLine]:
    yield first
    yield from rest
