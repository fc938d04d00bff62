from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from engine.cases.models import Dossier
from engine.db import Database

_counter = iter(range(1, 10_000))


@pytest.fixture
def make_dossier(db: Database) -> Callable[..., Dossier]:
    """``make_dossier(journey_id=None)``: a dossier row without a process (enough for parties)."""

    def make(**kwargs: Any) -> Dossier:
        n = next(_counter)
        with db.transaction() as session:
            dossier = Dossier(number=f"T-{n:05d}", type="information", title=f"Dossier {n}", **kwargs)
            session.add(dossier)
            session.flush()
            return dossier

    return make
