"""Running an engine command from a request: one transaction per command, and one automatic
retry when the instance changed under our feet (optimistic locking)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy.orm import Session

from engine.workflow.runtime import StaleInstance
from webapp.context import db_session

T = TypeVar("T")
log = logging.getLogger(__name__)


@contextmanager
def command_transaction() -> Iterator[Session]:
    """``with db_session().begin():`` for a command, after closing the implicit read transaction
    that earlier reads of the request (the signed-in user, the page's objects) opened. That read
    transaction holds no changes: everything that writes runs in a block like this one."""
    session = db_session()
    if session.in_transaction():
        session.rollback()
    with session.begin():
        yield session


def run_command(command: Callable[[Session], T], *, attempts: int = 2) -> T:
    """Run ``command(session)`` in its own transaction; on :class:`StaleInstance` (someone else
    saved the same instance first, nothing of ours was kept) run it once more on fresh data."""
    for attempt in range(1, attempts + 1):
        try:
            with command_transaction() as session:
                return command(session)
        except StaleInstance:
            if attempt == attempts:
                raise
            log.info("instance changed concurrently; retrying the command (attempt %d)", attempt + 1)
    raise AssertionError("unreachable")  # pragma: no cover
