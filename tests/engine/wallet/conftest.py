from __future__ import annotations

from collections.abc import Callable

import pytest

from engine.db import Database
from engine.parties.models import Organisation
from engine.wallet.ledger import wallet_for


@pytest.fixture
def make_wallet(db: Database) -> Callable[[], int]:
    """``make_wallet()``: a new organisation and its wallet, committed; returns the wallet id."""
    counter = iter(range(1, 10_000))

    def make() -> int:
        with db.transaction() as session:
            organisation = Organisation(name=f"Syndic {next(counter)}")
            session.add(organisation)
            session.flush()
            return wallet_for(session, organisation.id).id

    return make
