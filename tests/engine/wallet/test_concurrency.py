"""Concurrent debits on one wallet from separate sessions: the exact final balance, never below
zero, every refusal counted. PostgreSQL locks the row; SQLite serialises the writers."""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal

from engine.db import Database
from engine.wallet import ledger
from engine.wallet.errors import InsufficientFunds
from engine.wallet.models import EntryKind

THREADS = 8
DEBITS_PER_THREAD = 10
PRICE = Decimal("7.50")
FUNDS = Decimal("300.00")  # room for 40 of the 80 attempts


def test_parallel_debits_never_overdraw(db: Database, make_wallet: Callable[[], int]) -> None:
    wallet_id = make_wallet()
    with db.transaction() as session:
        ledger.credit(session, wallet_id, FUNDS, kind=EntryKind.TOPUP_TRANSFER, reference="line-1")
    done: list[int] = []
    refused: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)
    mutex = threading.Lock()

    def work(worker: int) -> None:
        start.wait()
        for n in range(DEBITS_PER_THREAD):
            try:
                with db.transaction() as session:
                    ledger.debit(session, wallet_id, PRICE, product="syndic_mandate_filing",
                                 reference=f"W{worker}-{n}")
                    seen = ledger.balance(session, wallet_id)
                    assert seen >= 0, f"balance {seen} seen inside a debit"
                with mutex:
                    done.append(worker)
            except InsufficientFunds:
                with mutex:
                    refused.append(worker)
            except BaseException as exc:
                with mutex:
                    errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert len(done) == int(FUNDS / PRICE) == 40
    assert len(refused) == THREADS * DEBITS_PER_THREAD - 40
    with db.transaction() as session:
        assert ledger.balance(session, wallet_id) == Decimal("0.00")
        assert len(ledger.entries(session, wallet_id, kind=EntryKind.FEE, limit=1000)) == 40


def test_parallel_first_use_creates_one_wallet(db: Database, make_wallet: Callable[[], int]) -> None:
    from engine.parties.models import Organisation

    with db.transaction() as session:
        organisation = Organisation(name="ACP Les Tilleuls")
        session.add(organisation)
        session.flush()
        organisation_id = organisation.id
    ids: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def work() -> None:
        start.wait()
        try:
            with db.transaction() as session:
                ids.append(ledger.wallet_for(session, organisation_id).id)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert len(set(ids)) == 1 and len(ids) == 4
