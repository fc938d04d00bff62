"""Content-addressed blobs on disk: ``<root>/ab/cd/<sha256>``. A content is stored once whatever
the number of files that use it. Writes go to ``<root>/tmp`` first and are moved into place with
one rename, so a blob is either absent or complete."""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

CHUNK = 1024 * 1024
SHA256 = re.compile(r"[0-9a-f]{64}")


class TooLarge(Exception):
    """The content is larger than the limit; nothing was kept."""


@dataclass
class StagedBlob:
    """A content written to the temporary folder, not yet in place."""

    path: Path
    sha256: str
    size: int


class DiskStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path_for(self, sha256: str) -> Path:
        if not SHA256.fullmatch(sha256):
            raise ValueError("not a SHA-256 checksum")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    def stage(self, stream: BinaryIO, max_bytes: int | None = None) -> StagedBlob:
        """Copy ``stream`` to a temporary file, computing its checksum; :class:`TooLarge` (and
        nothing left behind) when it exceeds ``max_bytes``."""
        tmp = self.root / "tmp"
        tmp.mkdir(parents=True, exist_ok=True)
        path = tmp / uuid.uuid4().hex
        digest = hashlib.sha256()
        size = 0
        try:
            with path.open("wb") as out:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if max_bytes is not None and size > max_bytes:
                        raise TooLarge(f"larger than {max_bytes} bytes")
                    digest.update(chunk)
                    out.write(chunk)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return StagedBlob(path=path, sha256=digest.hexdigest(), size=size)

    def commit(self, staged: StagedBlob) -> bool:
        """Move a staged content into place; False when the same content was already there."""
        target = self.path_for(staged.sha256)
        if target.is_file():
            staged.path.unlink(missing_ok=True)
            return False
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staged.path, target)
        return True

    def discard(self, staged: StagedBlob) -> None:
        staged.path.unlink(missing_ok=True)

    def put_bytes(self, content: bytes) -> str:
        import io

        staged = self.stage(io.BytesIO(content))
        self.commit(staged)
        return staged.sha256

    def open(self, sha256: str) -> BinaryIO:
        return self.path_for(sha256).open("rb")

    def remove(self, sha256: str) -> None:
        self.path_for(sha256).unlink(missing_ok=True)

    def count(self) -> int:
        """How many blobs are stored (for tests and checks)."""
        return sum(1 for path in self.root.glob("??/??/*") if path.is_file())
