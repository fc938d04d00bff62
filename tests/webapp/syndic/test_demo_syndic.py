"""The syndic demo data (webapp/demo_data/syndic.py) as the demo loader adds it after the portal
set: the tool usable by demo.syndic, the fee table, a credited wallet and one recorded mandate —
and a second load adds nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from engine.access.models import User
from engine.db import Database
from engine.portal.access import access_for
from engine.portal.tools import tool_problems
from engine.syndic.models import FeeRate, Mandate
from engine.wallet import ledger
from engine.wallet.models import WalletEntry
from tests.webapp.support import use_fast_password_hashing
from webapp.demo_data.portal import ENTERPRISE_NUMBER, load_demo_portal
from webapp.demo_data.syndic import ASSOCIATION_NUMBER, CREDIT, load_demo_syndic


@pytest.fixture(autouse=True)
def _fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    use_fast_password_hashing(monkeypatch)


def _counts(db: Database) -> tuple[int, int, int]:
    with db.transaction() as session:
        return tuple(session.scalar(select(func.count()).select_from(m)) or 0  # type: ignore[return-value]
                     for m in (FeeRate, Mandate, WalletEntry))


def test_the_demo_syndic_can_file_at_once_and_a_second_load_adds_nothing(db: Database) -> None:
    with db.transaction() as session:
        assert load_demo_syndic(session, None) is False  # no portal set yet: nothing to complete
        load_demo_portal(session, "Demo-Password-1!", None)
        assert load_demo_syndic(session, None) is True
    first = _counts(db)
    with db.transaction() as session:
        assert load_demo_syndic(session, None) is True
    assert _counts(db) == first == (4, 1, 1)
    with db.transaction() as session:
        manager = session.scalar(select(User).where(User.username == "demo.syndic"))
        mandate = session.scalars(select(Mandate)).one()
        organisation_id = mandate.syndic_organisation_id
        access = access_for(session, manager.id, organisation_id)
        assert access is not None and tool_problems(session, access, "syndic_filing") == []
        assert ledger.balance(session, ledger.wallet_for(session, organisation_id).id) == CREDIT >= Decimal("92.50")
        assert mandate.association_number == ASSOCIATION_NUMBER and mandate.end_date is None
        assert mandate.syndic_enterprise_number == ENTERPRISE_NUMBER
