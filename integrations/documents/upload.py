"""Uploading files to a dossier's journey: every file is checked (size, type) and written to the
store's temporary folder first; only when all pass are the contents moved into place and the rows
added. One refused file refuses the whole upload, with a reason per refused file, and nothing is
kept. Deleting a file removes its content once no row uses it any more (after the commit)."""

from __future__ import annotations

import mimetypes
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import BinaryIO

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from engine.cases.models import Dossier
from engine.config import UPLOAD_EXTENSIONS
from engine.documents import files
from engine.documents.models import DossierFile, FileFolder
from integrations.documents import sniff
from integrations.documents.store import DiskStore, StagedBlob, TooLarge

DEFAULT_EXTENSIONS = tuple(UPLOAD_EXTENSIONS.split(","))


@dataclass(frozen=True)
class UploadLimits:
    max_bytes: int = 25 * 1024 * 1024
    extensions: frozenset[str] = frozenset(DEFAULT_EXTENSIONS)
    archive: sniff.ArchiveLimits = field(default_factory=sniff.ArchiveLimits)

    @classmethod
    def from_text(cls, max_mb: float, extensions: str) -> UploadLimits:
        exts = frozenset(e.strip().lower().lstrip(".") for e in extensions.split(",") if e.strip())
        return cls(max_bytes=int(max_mb * 1024 * 1024), extensions=exts)


@dataclass(frozen=True)
class Incoming:
    """A file as the user sent it."""

    filename: str
    stream: BinaryIO


@dataclass(frozen=True)
class Refusal:
    name: str
    # "too_large", "type", "empty", "no_name"; from the content (integrations/documents/sniff.py):
    # "executable", "mismatch" (not what the extension says), "archive" (unpacks too far)
    reason: str


@dataclass
class UploadRefused(Exception):
    refusals: list[Refusal] = field(default_factory=list)


def clean_name(filename: str) -> str:
    """The file's own name, without any folder a browser may send, at most 255 characters."""
    name = PurePath(filename.replace("\\", "/")).name.strip()
    name = "".join(ch for ch in name if ch.isprintable())
    if len(name) > 255:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 254 - len(ext)] + dot + ext) if dot and len(ext) < 20 else name[:255]
    return name


def extension(name: str) -> str:
    return name.rpartition(".")[2].lower() if "." in name else ""


def upload(session: Session, store: DiskStore, dossier: Dossier, incoming: Iterable[Incoming],
           folder: FileFolder | None, limits: UploadLimits, *, user_id: int | None) -> list[DossierFile]:
    """Add the files to the dossier's journey, or raise :class:`UploadRefused` having kept nothing."""
    staged: list[tuple[str, StagedBlob]] = []
    refusals: list[Refusal] = []
    try:
        for item in incoming:
            name = clean_name(item.filename or "")
            if not name:
                refusals.append(Refusal(item.filename or "?", "no_name"))
                continue
            if extension(name) not in limits.extensions:
                refusals.append(Refusal(name, "type"))
                continue
            try:
                blob = store.stage(item.stream, limits.max_bytes)
            except TooLarge:
                refusals.append(Refusal(name, "too_large"))
                continue
            if blob.size == 0:
                store.discard(blob)
                refusals.append(Refusal(name, "empty"))
                continue
            problem = sniff.check(blob.path, extension(name), limits.archive)
            if problem:
                store.discard(blob)
                refusals.append(Refusal(name, problem))
                continue
            staged.append((name, blob))
        if refusals or not staged:
            raise UploadRefused(refusals)
        rows = [
            files.add_file(session, dossier, name=name, size=blob.size, sha256=blob.sha256, folder=folder,
                           content_type=mimetypes.guess_type(name)[0] or "application/octet-stream",
                           user_id=user_id)
            for name, blob in staged
        ]
    except BaseException:
        for _name, blob in staged:
            store.discard(blob)
        raise
    # The rows are flushed; put the contents in place now. Should the transaction still fail, a
    # blob without row stays behind: harmless, and reused by the next upload of the same content.
    for _name, blob in staged:
        store.commit(blob)
    return rows


def delete(session: Session, store: DiskStore, row: DossierFile, *, user_id: int | None) -> None:
    """Delete a file row for good; its content goes once the transaction commits, if no row uses it
    then (checked again on a fresh connection: an upload of the same content may have come in)."""
    sha256 = row.sha256
    if not files.delete_file(session, row, user_id=user_id):
        return
    bind = session.get_bind()

    def remove_blob(_session: Session) -> None:
        with bind.connect() as connection:
            used = connection.scalar(select(DossierFile.id).where(DossierFile.sha256 == sha256).limit(1))
        if used is None:
            store.remove(sha256)

    event.listen(session, "after_commit", remove_blob, once=True)


def delete_all(session: Session, store: DiskStore, dossier_id: int, *, user_id: int | None) -> int:
    """Delete every file of a journey (its first dossier's id) before the dossier itself is deleted
    for good; contents no other file uses go after the commit. Returns how many files were deleted."""
    rows = list(session.scalars(select(DossierFile).where(DossierFile.dossier_id == dossier_id)))
    for row in rows:
        delete(session, store, row, user_id=user_id)
    return len(rows)
