"""The manifest.json at the head of every backup archive: what the archive holds and how to check
it before anything is restored (every member's SHA-256, the Alembic revision, the row counts)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

FORMAT = 1
MANIFEST_NAME = "manifest.json"
CHUNK = 1024 * 1024


class BackupError(Exception):
    """The backup or the restore cannot go on; the message says why and what to do."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class Member:
    """One file of the archive besides the manifest: its name in the archive, size and checksum."""

    path: str
    size: int
    sha256: str


@dataclass
class Manifest:
    guichet_version: str
    created_at: str  # ISO 8601, UTC
    database_kind: str  # "postgresql" | "sqlite"
    alembic_revision: str | None  # None: the database had no migration history (create_all)
    database: Member
    row_counts: dict[str, int]
    files: list[Member] = field(default_factory=list)
    # pg_dump's and the server's "major.minor" when the database is PostgreSQL (pg_restore must be
    # at least as new as the pg_dump that wrote the dump).
    pg_dump_version: str | None = None
    server_version: str | None = None
    format: int = FORMAT

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), indent=2, sort_keys=True).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> Manifest:
        try:
            data: dict[str, Any] = json.loads(raw)
            if data.get("format") != FORMAT:
                raise BackupError(f"The archive's manifest has format {data.get('format')!r}; this Guichet "
                                  f"reads format {FORMAT}.")
            data["database"] = Member(**data["database"])
            data["files"] = [Member(**item) for item in data["files"]]
            return cls(**data)
        except BackupError:
            raise
        except (ValueError, TypeError, KeyError) as exc:
            raise BackupError(f"The archive's manifest.json is unreadable ({exc}): not a Guichet backup, "
                              "or a damaged one.") from exc

    def members(self) -> list[Member]:
        return [self.database, *self.files]
