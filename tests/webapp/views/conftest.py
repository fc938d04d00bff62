from __future__ import annotations

from collections.abc import Callable

import pytest

from engine.db import Database
from tests.webapp.views.support import dossier_adder


@pytest.fixture
def add_dossier(db: Database) -> Callable[..., int]:
    return dossier_adder(db)
