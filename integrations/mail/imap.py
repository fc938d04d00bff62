"""The IMAP source (stdlib :mod:`imaplib`): UNSEEN messages of the folder, by UID, fetched with
``BODY.PEEK[]`` (which does not set \\Seen); \\Seen is set only after the transaction that stored
them is committed, so a crash in between reads them again (and de-duplication skips them)."""

from __future__ import annotations

import contextlib
import imaplib
import re
from collections.abc import Iterator
from dataclasses import dataclass

_UID = re.compile(rb"UID (\d+)")


class ImapProblem(Exception):
    """The server refused or could not be reached; the message says which."""


@dataclass(frozen=True)
class ImapAccount:
    host: str
    port: int
    user: str
    password: str
    folder: str = "INBOX"
    ssl: bool = True
    timeout_s: float = 30.0


class ImapSource:
    def __init__(self, account: ImapAccount) -> None:
        self.account = account
        self.client: imaplib.IMAP4 | None = None

    def __enter__(self) -> ImapSource:
        a = self.account
        port = a.port or (993 if a.ssl else 143)
        try:
            self.client = (imaplib.IMAP4_SSL(a.host, port, timeout=a.timeout_s) if a.ssl
                           else imaplib.IMAP4(a.host, port, timeout=a.timeout_s))
            self.client.login(a.user, a.password)
            status, detail = self.client.select(_quoted(a.folder))
        except (OSError, imaplib.IMAP4.error) as exc:
            raise ImapProblem(f"IMAP {a.host}:{port} as {a.user}: {exc}") from exc
        if status != "OK":
            raise ImapProblem(f"IMAP folder {a.folder!r} cannot be opened: {detail!r}")
        return self

    def __exit__(self, *_exc: object) -> None:
        if self.client is not None:
            with contextlib.suppress(OSError, imaplib.IMAP4.error):
                self.client.logout()
            self.client = None

    def _client(self) -> imaplib.IMAP4:
        if self.client is None:
            raise ImapProblem("not connected")
        return self.client

    def unseen_uids(self) -> list[str]:
        status, data = self._client().uid("SEARCH", None, "UNSEEN")
        if status != "OK":
            raise ImapProblem(f"IMAP search refused: {data!r}")
        return [uid.decode() for uid in (data[0] or b"").split()]

    def read(self, uids: list[str]) -> Iterator[tuple[str, bytes]]:
        if not uids:
            return
        status, data = self._client().uid("FETCH", ",".join(uids), "(UID BODY.PEEK[])")
        if status != "OK":
            raise ImapProblem(f"IMAP fetch refused: {data!r}")
        for item in data:
            if isinstance(item, tuple) and len(item) == 2:
                match = _UID.search(item[0])
                if match:
                    yield match.group(1).decode(), item[1]

    def mark_seen(self, uids: list[str]) -> None:
        if uids:
            status, data = self._client().uid("STORE", ",".join(uids), "+FLAGS.SILENT", r"(\Seen)")
            if status != "OK":
                raise ImapProblem(f"IMAP could not mark messages as seen: {data!r}")


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'
