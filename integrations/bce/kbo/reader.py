"""Reading a KBO open-data set: a folder of CSV files or the official zip
(``KboOpenData_<nr>_<yyyy>_<mm>_Full.zip`` / ``_Update.zip``), one row at a time.

Nothing is read whole: a file is a stream (from disk or inflated from the zip) under a byte
counter (the progress bar advances by bytes read) and the csv module. Rows come with the number of
the line they start on (line 1 is the header), which is what a bad-row report names.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from integrations.bce.kbo.format import FILES, FileSpec


class KboFormatError(ValueError):
    """The set or a file cannot be read at all (not a folder or zip, a wrong header)."""


class _CountingReader(io.RawIOBase):
    """A binary stream that reports how many bytes went through it."""

    def __init__(self, raw: IO[bytes], on_bytes: Callable[[int], None] | None) -> None:
        self._raw = raw
        self._on_bytes = on_bytes

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._raw.read(len(buffer))
        size = len(data)
        buffer[:size] = data
        if size and self._on_bytes:
            self._on_bytes(size)
        return size


@dataclass(frozen=True)
class Part:
    """One file to apply: ``action`` is ``full`` (a full set's file), ``delete`` or ``insert``."""

    spec: FileSpec
    action: str
    member: str  # the file's name in the folder or zip
    size: int

    @property
    def name(self) -> str:
        return self.member.rsplit("/", 1)[-1]


class KboSource:
    """A full or update set. ``kind`` is ``update`` when the set holds ``X_insert.csv`` /
    ``X_delete.csv`` files (or the zip's name ends in ``_Update.zip``), else ``full``."""

    def __init__(self, path: Path) -> None:
        self.path = path.resolve()
        if self.path.is_dir():
            self._zip: zipfile.ZipFile | None = None
            self._sizes = {p.name: p.stat().st_size for p in sorted(self.path.iterdir()) if p.suffix == ".csv"}
        elif self.path.is_file() and zipfile.is_zipfile(self.path):
            self._zip = zipfile.ZipFile(self.path)
            self._sizes = {info.filename: info.file_size for info in self._zip.infolist()
                           if info.filename.endswith(".csv")}
        else:
            raise KboFormatError(f"{path}: not a folder of KBO CSV files nor a KboOpenData zip")
        by_base = {name.rsplit("/", 1)[-1]: name for name in self._sizes}
        self._members = by_base
        update = self.path.name.endswith("_Update.zip") or any(
            n.endswith(("_insert.csv", "_delete.csv")) for n in by_base)
        self.kind = "update" if update else "full"
        self.parts = self._parts()
        if not self.parts:
            raise KboFormatError(f"{path}: no KBO file found (expected enterprise.csv, denomination.csv … "
                                 "or enterprise_delete.csv / enterprise_insert.csv …)")

    def _parts(self) -> list[Part]:
        parts = []
        for spec in FILES:
            names = [(f"{spec.name}.csv", "full")] if self.kind == "full" else [
                (f"{spec.name}_delete.csv", "delete"), (f"{spec.name}_insert.csv", "insert")]
            if self.kind == "update" and spec.name == "meta":
                names.append(("meta.csv", "insert"))
            for base, action in names:
                member = self._members.get(base)
                if member is not None:
                    parts.append(Part(spec, action, member, self._sizes[member]))
        return parts

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()

    def __enter__(self) -> KboSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _open(self, member: str) -> IO[bytes]:
        return self._zip.open(member) if self._zip is not None else (self.path / member).open("rb")

    def rows(self, part: Part, *, skip: int = 0,
             on_bytes: Callable[[int], None] | None = None) -> Iterator[tuple[int, list[str]]]:
        """(line, fields) of each data row after the first ``skip`` ones, the header checked."""
        with self._open(part.member) as raw:
            text = io.TextIOWrapper(io.BufferedReader(_CountingReader(raw, on_bytes), 1 << 16),
                                    encoding="utf-8-sig", newline="")
            reader = csv.reader(text)
            header = next(reader, None)
            expected = part.spec.headers if part.action != "delete" else None
            if header is None:
                return
            if expected is not None and tuple(header) != expected:
                raise KboFormatError(f"{part.name}: line 1: header {','.join(header)!r} is not the official "
                                     f"{','.join(expected)!r}; nothing of this file was imported")
            if expected is None and not header:
                raise KboFormatError(f"{part.name}: line 1: empty header (expected the entity number column)")
            line = reader.line_num
            for seen, row in enumerate(reader, start=1):
                start, line = line + 1, reader.line_num
                if seen > skip:
                    yield start, row


def read_set(path: Path) -> Iterator[tuple[str, int, list[str]]]:
    """Every (file, line, fields) of a set, in import order: for reading and tests."""
    with KboSource(path) as source:
        for part in source.parts:
            for line, row in source.rows(part):
                yield part.name, line, row
