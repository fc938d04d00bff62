"""One backup archive (.tar, or .tar.gz when the name says so): the database dump, the folders of
files (the content-addressed file store with the mails' original .eml, the maildir of mails not
read yet, the outbox) and a manifest.json with the SHA-256 of every member.

Order of a backup, so that what the database refers to is in the archive even while the
application runs: the maildir and outbox first (a mail read meanwhile is then both in the maildir
copy and, maybe, in the database — the intake skips a message it already has), then the database
snapshot, then the file store (content-addressed and written before the transaction that refers
to a file commits, so every file the snapshot names is already there).

A restore reads and checks the whole archive (manifest, Alembic revision, every member against its
checksum) in a staging folder before touching the database or the folders."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from alembic.script import ScriptDirectory

from integrations.backup.database import (
    DUMP_NAMES,
    POSTGRESQL,
    check_pg_restore,
    dump_database,
    existing_tables,
    kind_of,
    restore_database,
    row_counts,
)
from integrations.backup.manifest import CHUNK, MANIFEST_NAME, BackupError, Manifest, Member

# Archive folder -> what it holds. The file store's tmp/ holds uploads being written: never kept.
SKIPPED = {"files": {"tmp"}}
AREAS = frozenset({"database", "files", "maildir", "outbox"})  # the first folder of every member

Echo = Callable[[str], None]


def guichet_version() -> str:
    try:
        return metadata.version("guichet")
    except metadata.PackageNotFoundError:
        return "unknown"


class _Hashing:
    """A read-only stream that hashes what tarfile copies out of it."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        chunk = self.stream.read(size)
        self.digest.update(chunk)
        return chunk


def _walk(root: Path, skipped: set[str]) -> Iterator[Path]:
    if not root.is_dir():
        return
    for folder, dirs, names in os.walk(root):
        here = Path(folder)
        if here == root:
            dirs[:] = [d for d in dirs if d not in skipped]
        dirs.sort()
        for name in sorted(names):
            yield here / name


def _add_file(tar: tarfile.TarFile, path: Path, arcname: str) -> Member | None:
    """Add one file, hashing it as it is copied; None when it vanished meanwhile (a maildir
    message moved from new/ to cur/ by the intake)."""
    try:
        stream = path.open("rb")
    except FileNotFoundError:
        return None
    with stream:
        info = tar.gettarinfo(fileobj=stream, arcname=arcname)
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        hashing = _Hashing(stream)
        tar.addfile(info, hashing)
        return Member(path=arcname, size=info.size, sha256=hashing.digest.hexdigest())


def _add_folder(tar: tarfile.TarFile, area: str, root: Path) -> list[Member]:
    members = []
    for path in _walk(root, SKIPPED.get(area, set())):
        member = _add_file(tar, path, f"{area}/{path.relative_to(root).as_posix()}")
        if member is not None:
            members.append(member)
    return members


def _mode(path: Path, writing: bool) -> str:
    compressed = path.name.endswith((".gz", ".tgz"))
    return ("w:gz" if compressed else "w") if writing else "r:*"


def default_output(now: dt.datetime | None = None) -> Path:
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%SZ")
    return Path(f"guichet-backup-{stamp}.tar")


def create_backup(database_url: str, folders: dict[str, Path], output: Path, *, echo: Echo = print) -> Manifest:
    """Write the archive to ``output`` (through a .partial file renamed at the end, so a failed
    backup never leaves an archive that looks complete)."""
    kind = kind_of(database_url)
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    files: list[Member] = []
    try:
        with tempfile.TemporaryDirectory(prefix="guichet-backup-") as tmp, \
                tarfile.open(partial, _mode(output, writing=True)) as tar:
            for area in ("maildir", "outbox"):
                if area in folders:
                    files += _add_folder(tar, area, folders[area])
            with dump_database(database_url, Path(tmp)) as snapshot:
                for note in snapshot.notes:
                    echo(note)
                database = _add_file(tar, snapshot.path, DUMP_NAMES[kind])
                assert database is not None
            for area, root in folders.items():
                if area not in ("maildir", "outbox"):
                    files += _add_folder(tar, area, root)
            manifest = Manifest(
                guichet_version=guichet_version(),
                created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                database_kind=kind, alembic_revision=snapshot.revision, database=database,
                row_counts=snapshot.row_counts, files=files,
                pg_dump_version=snapshot.pg_dump_version, server_version=snapshot.server_version)
            raw = manifest.to_json()
            info = tarfile.TarInfo(MANIFEST_NAME)
            info.size = len(raw)
            info.mtime = int(dt.datetime.now(dt.UTC).timestamp())
            tar.addfile(info, _BytesReader(raw))
        os.replace(partial, output)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return manifest


class _BytesReader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.offset = 0

    def read(self, size: int = -1) -> bytes:
        end = len(self.data) if size < 0 else self.offset + size
        chunk = self.data[self.offset:end]
        self.offset += len(chunk)
        return chunk


# --------------------------------------------------------------------------- restore


@dataclass
class RestoreReport:
    manifest: Manifest
    files: int = 0
    notes: list[str] = field(default_factory=list)


def read_manifest(tar: tarfile.TarFile) -> Manifest:
    try:
        stream = tar.extractfile(MANIFEST_NAME)
    except KeyError:
        stream = None
    if stream is None:
        raise BackupError("The archive has no manifest.json: it is not a Guichet backup.")
    return Manifest.from_json(stream.read())


def check_revision(manifest: Manifest, migrations: Path) -> list[str]:
    """Refuse a backup from a database migrated further than this code knows; say when the
    restored database will need `guichet db upgrade`."""
    if manifest.alembic_revision is None:
        return ["Note: the backed-up database had no migration history (alembic_version)."]
    script = ScriptDirectory(str(migrations))
    for revision in manifest.alembic_revision.split(","):
        try:
            known = script.get_revision(revision)
        except Exception:
            known = None
        if known is None:
            raise BackupError(f"The backup comes from a database at migration {revision}, which this version of "
                              f"Guichet ({guichet_version()}) does not know: restore it with the Guichet version "
                              f"that made it ({manifest.guichet_version}) or a newer one.")
    heads = set(script.get_heads())
    if set(manifest.alembic_revision.split(",")) != heads:
        return [f"The restored database is at migration {manifest.alembic_revision}; this code's head is "
                f"{', '.join(sorted(heads))}: run `guichet db upgrade`."]
    return []


def _extract_checked(tar: tarfile.TarFile, manifest: Manifest, staging: Path) -> None:
    """Copy every member to ``staging``, checking name, size and SHA-256 against the manifest."""
    expected = {m.path: m for m in manifest.members()}
    for path in expected:
        parts = PurePosixPath(path).parts
        if path.startswith("/") or "\\" in path or ".." in parts or len(parts) < 2 or parts[0] not in AREAS:
            raise BackupError(f"The manifest lists the unsafe path {path!r}: the archive was altered; nothing "
                              "was restored.")
    seen: set[str] = set()
    for info in tar:
        if info.name == MANIFEST_NAME:
            continue
        member = expected.get(info.name)
        if member is None or not info.isreg() or info.name in seen:
            raise BackupError(f"The archive holds {info.name!r}, which its manifest does not list: the archive "
                              "was altered; nothing was restored.")
        stream = tar.extractfile(info)
        assert stream is not None
        target = staging / info.name
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        with target.open("wb") as out:
            while chunk := stream.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
        if size != member.size or digest.hexdigest() != member.sha256:
            raise BackupError(f"{info.name} does not match its checksum in the manifest: the archive is corrupted "
                              "or was altered; nothing was restored.")
        seen.add(info.name)
    missing = sorted(set(expected) - seen)
    if missing:
        raise BackupError(f"The archive lacks {len(missing)} file(s) its manifest lists (first: {missing[0]}): it is "
                          "incomplete; nothing was restored.")


def _has_files(root: Path) -> bool:
    return any(path.is_file() for path in root.rglob("*")) if root.is_dir() else False


def _empty_folder(root: Path) -> None:
    if not root.is_dir():
        return
    for child in root.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()


def restore_backup(archive: Path, database_url: str, folders: dict[str, Path], *, migrations: Path,
                   force: bool = False, workdir: Path | None = None) -> RestoreReport:
    """Restore ``archive`` into the configured database and folders, which must be empty unless
    ``force`` (then the database's schema and the folders' contents are replaced)."""
    if not archive.is_file():
        raise BackupError(f"{archive} does not exist.")
    kind = kind_of(database_url)
    try:
        tar = tarfile.open(archive, "r:*")  # noqa: SIM115 - closed by the with statement below
    except (tarfile.TarError, OSError) as exc:
        raise BackupError(f"{archive} is not a readable backup archive: {exc}") from exc
    with tar, tempfile.TemporaryDirectory(prefix="guichet-restore-", dir=workdir) as tmp:
        try:
            manifest = read_manifest(tar)
            if manifest.database_kind != kind:
                raise BackupError(f"The backup holds a {manifest.database_kind} database and GUICHET_DATABASE_URL "
                                  f"is {kind}: a backup is restored into the same kind of database only (move "
                                  f"between kinds by migrating an empty database and copying the data).")
            notes = check_revision(manifest, migrations)
            staging = Path(tmp)
            _extract_checked(tar, manifest, staging)
        except (tarfile.TarError, EOFError, OSError) as exc:
            raise BackupError(f"{archive} is damaged ({exc}); nothing was restored.") from exc

        # The archive is sound; now the target.
        pg_restore = check_pg_restore(database_url, manifest.pg_dump_version) if kind == POSTGRESQL else None
        tables = existing_tables(database_url)
        busy = [area for area, root in folders.items() if _has_files(root)]
        if (tables or busy) and not force:
            what = []
            if tables:
                what.append(f"the database has {len(tables)} table(s) ({', '.join(tables[:3])}"
                            f"{', ...' if len(tables) > 3 else ''})")
            if busy:
                what.append(f"the folder(s) {', '.join(str(folders[a]) for a in busy)} hold files")
            raise BackupError(f"Not restored: {'; '.join(what)}. Restore into an empty database and empty folders, "
                              "or add --force to replace their contents.")

        restore_database(staging / DUMP_NAMES[kind], database_url, pg_restore=pg_restore, clear=force)
        report = RestoreReport(manifest=manifest, notes=notes)
        for area, root in folders.items():
            if force:
                _empty_folder(root)
            source = staging / area
            root.mkdir(parents=True, exist_ok=True)
            if source.is_dir():
                for path in sorted(p for p in source.rglob("*") if p.is_file()):
                    target = root / path.relative_to(source)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.move(path, target)
                    report.files += 1

    counts = row_counts(database_url)
    differing = {t: (n, counts.get(t)) for t, n in manifest.row_counts.items() if counts.get(t) != n}
    if differing:
        detail = ", ".join(f"{t}: {n} expected, {got} found" for t, (n, got) in sorted(differing.items())[:5])
        raise BackupError(f"Restored, but the row counts differ from the manifest ({detail}).")
    return report
