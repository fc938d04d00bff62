"""The maildir source (stdlib :mod:`mailbox`): messages waiting in ``new/`` (or in ``cur/``
without the Seen flag) are read; once the transaction that stored them is committed, they are
moved to ``cur/`` with the ``S`` flag, as a mail client marks a message read. A message moved
meanwhile by another worker is simply left alone."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO


class _Raw:
    """What the Maildir factory gives: the message's bytes, without parsing them twice."""

    def __init__(self, stream: BinaryIO) -> None:
        self.raw = stream.read()

    def set_subdir(self, _subdir: str) -> None:
        pass

    def set_info(self, _info: str) -> None:
        pass

    def set_date(self, _date: float) -> None:
        pass


class GuichetMaildir:
    def __init__(self, path: Path) -> None:
        import mailbox

        class _Box(mailbox.Maildir):
            def subpath(self, key: str) -> str:
                return self._lookup(key)

            def mark_seen(self, key: str) -> None:
                subpath = self._lookup(key)
                name = os.path.basename(subpath)
                unique, _, info = name.partition(self.colon)
                flags = info[2:] if info.startswith("2,") else ""
                if subpath.startswith("cur") and "S" in flags:
                    return
                target = os.path.join("cur", f"{unique}{self.colon}2,{''.join(sorted(set(flags + 'S')))}")
                os.rename(os.path.join(self._path, subpath), os.path.join(self._path, target))
                self._toc[key] = target

        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.box = _Box(str(self.path), factory=_Raw, create=True)

    def pending_keys(self) -> list[str]:
        """Keys of the messages not read yet, oldest first (maildir names start with the time)."""
        keys = []
        for key in self.box.iterkeys():
            subpath = self.box.subpath(key)
            name = os.path.basename(subpath)
            info = name.partition(self.box.colon)[2]
            if subpath.startswith("new") or "S" not in (info[2:] if info.startswith("2,") else ""):
                keys.append(key)
        return sorted(keys)

    def read(self, keys: list[str]) -> Iterator[tuple[str, bytes]]:
        for key in keys:
            try:
                message = self.box.get_message(key)
            except (KeyError, FileNotFoundError):  # taken by another worker meanwhile
                continue
            yield key, message.raw  # type: ignore[attr-defined]

    def mark_seen(self, keys: list[str]) -> None:
        for key in keys:
            try:
                self.box.mark_seen(key)
            except (KeyError, FileNotFoundError):
                continue

    def drop(self, raw: bytes) -> str:
        """Put a message into ``new/`` (the demo and the tests deliver mail this way)."""
        return self.box.add(raw)
