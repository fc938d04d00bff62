"""One intake run: read the configured source (maildir, IMAP or none) and store what is new,
in batches of :data:`BATCH` messages per transaction. A message is marked read in its source
only after the batch holding it is committed; a batch whose transaction fails is left unread
and read again on the next run (de-duplication makes that harmless)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Protocol

from engine.config import Settings
from engine.db import Database
from engine.mail.intake import IncomingMail, store_batch
from integrations.documents.store import DiskStore
from integrations.mail.imap import ImapAccount, ImapSource
from integrations.mail.maildir import GuichetMaildir
from integrations.mail.parsing import parse_message

log = logging.getLogger(__name__)

BATCH = 200
SOURCES = ("maildir", "imap", "none")


class SourceProblem(Exception):
    """The configured source cannot be read; the message says what to set."""


@dataclass
class FetchResult:
    source: str
    stored: int = 0
    skipped: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)  # Message-IDs read with problems

    def summary(self) -> str:
        text = f"{self.stored} stored, {self.skipped} skipped (already stored) from {self.source}"
        if self.problems:
            text += f"; {len(self.problems)} malformed message(s) stored with what could be read"
        return f"{text} in {self.seconds:.1f} s."


class _Source(Protocol):
    def read(self, keys: list[str]) -> Iterator[tuple[str, bytes]]: ...

    def mark_seen(self, keys: list[str]) -> None: ...


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _parse_in_worker(root: str, name: str, raw: bytes) -> IncomingMail:
    return parse_message(raw, DiskStore(Path(root)), source=name)


def _run(db: Database, store: DiskStore, source: _Source, keys: list[str], name: str, result: FetchResult,
         batch: int, workers: int) -> None:
    chunks = list(_chunks(keys, batch))
    if workers <= 1 or len(chunks) < 3:
        for chunk in chunks:
            read = list(source.read(chunk))
            _store(db, source, [(key, parse_message(raw, store, source=name)) for key, raw in read], result)
        return
    # parse the next batch in the worker processes while this one is written to the database
    parse = partial(_parse_in_worker, str(store.root), name)
    with ProcessPoolExecutor(max_workers=workers) as pool:
        def submit(chunk: list[str]) -> tuple[list[str], Iterator[IncomingMail]]:
            read = list(source.read(chunk))
            return [key for key, _ in read], pool.map(parse, [raw for _, raw in read],
                                                      chunksize=max(1, len(read) // (workers * 4)))

        pending = submit(chunks[0])
        for following in [*chunks[1:], None]:
            current = pending
            if following is not None:
                pending = submit(following)
            read_keys, mails = current
            _store(db, source, list(zip(read_keys, mails, strict=True)), result)


def _store(db: Database, source: _Source, parsed: list[tuple[str, IncomingMail]], result: FetchResult) -> None:
    if parsed:
        with db.transaction() as session:
            outcome = store_batch(session, [mail for _, mail in parsed])
        result.stored += len(outcome.stored)
        result.skipped += len(outcome.skipped)
        result.problems += [m.message_id for _, m in parsed if m.parse_problem]
        source.mark_seen([key for key, _ in parsed])


def imap_account(settings: Settings) -> ImapAccount:
    if not settings.mail_imap_host:
        raise SourceProblem("GUICHET_MAIL_SOURCE is imap but GUICHET_MAIL_IMAP_HOST is empty.")
    return ImapAccount(host=settings.mail_imap_host, port=settings.mail_imap_port, user=settings.mail_imap_user,
                       password=settings.mail_imap_password, folder=settings.mail_imap_folder,
                       ssl=settings.mail_imap_ssl)


def fetch(settings: Settings, db: Database, *, batch: int = BATCH, workers: int = 1,
          store_factory: Callable[[Settings], DiskStore] | None = None) -> FetchResult:
    """Read the configured source once; returns how many were stored and skipped. With
    ``workers`` > 1 and a large backlog, messages are parsed in that many processes (the
    command line does so; a Celery worker process may not start processes of its own)."""
    started = time.perf_counter()
    name = settings.mail_source
    if name not in SOURCES:
        raise SourceProblem(f"GUICHET_MAIL_SOURCE must be one of {', '.join(SOURCES)}, not {name!r}.")
    result = FetchResult(source=name)
    store = (store_factory or (lambda s: DiskStore(s.files_root)))(settings)
    if name == "maildir":
        maildir = GuichetMaildir(settings.maildir_root)
        result.source = f"maildir {settings.maildir_root}"
        _run(db, store, maildir, maildir.pending_keys(), "maildir", result, batch, workers)
    elif name == "imap":
        account = imap_account(settings)
        result.source = f"imap {account.host}/{account.folder}"
        with ImapSource(account) as imap:
            _run(db, store, imap, imap.unseen_uids(), "imap", result, batch, workers)
    result.seconds = time.perf_counter() - started
    if result.stored or result.problems:
        log.info("mail intake: %s", result.summary())
    return result
