"""The phase board against hand-built dossiers with known answers (counts, oldest, medians of odd
and even counts, filters, closed and deactivated dossiers left out), the upkeep of ``left_at``
by record_phase through the real engine, and the backfill SQL of the migration, on SQLite and
PostgreSQL alike."""

from __future__ import annotations

from itertools import pairwise

import pytest
from sqlalchemy import select, text

from engine.access.models import Role
from engine.access.users import create_user
from engine.cases.dossiers import open_dossier, set_dossier_active
from engine.cases.models import DossierPhase, DossierType
from engine.cases.phases import LEFT_AT_BACKFILL_SQL, OPEN_TYPE_BACKFILL_SQL, PHASE_FLOWS
from engine.db import Database
from engine.monitoring.filters import Scope
from engine.monitoring.phase_board import BoardRow, phase_board
from engine.workflow.models import InstanceStatus
from tests.engine.cases.support import complete_next, deploy_all, make_engine
from tests.engine.monitoring.board_data import NOW, BoardData, days_ago


def _by_phase(rows: list[BoardRow], dossier_type: str) -> dict[str, BoardRow]:
    return {row.phase: row for row in rows if row.dossier_type == dossier_type}


@pytest.fixture
def board_db(db: Database) -> dict[str, int]:
    """Information: request ages 2 and 6 (even count), file ages 4 and 1; loan: analysis ages
    1, 2 and 10 (odd count), one in request with a subtype and a project. Plus dossiers that
    must not count: completed, terminated, deactivated."""
    with db.transaction() as session:
        data = BoardData(session)
        rmp = data.subtype("loan", "rmp")
        info = DossierType.INFORMATION.value
        data.dossier(info, [("request", days_ago(10)), ("file", days_ago(4))])
        data.dossier(info, [("request", days_ago(2))])
        data.dossier(info, [("request", days_ago(6))])
        data.dossier(info, [("request", days_ago(3)), ("file", days_ago(1))])
        data.dossier(info, [("request", days_ago(30)), ("file", days_ago(20)), ("done", days_ago(20))],
                     status=InstanceStatus.COMPLETED)
        data.dossier(info, [("request", days_ago(50))], active=False)
        data.dossier(info, [("request", days_ago(40))], status=InstanceStatus.TERMINATED)
        data.dossier("loan", [("request", days_ago(12)), ("analysis", days_ago(10))], status=InstanceStatus.ERROR)
        data.dossier("loan", [("request", days_ago(3)), ("analysis", days_ago(2))], project="fosster")
        data.dossier("loan", [("analysis", days_ago(1))], status=InstanceStatus.SUSPENDED)
        data.dossier("loan", [("request", days_ago(5))], subtype=rmp, project="fosster")
        return {"rmp": rmp.id}


def test_counts_oldest_and_median_per_phase_in_flow_order(db: Database, board_db: dict[str, int]) -> None:
    with db.transaction() as session:
        rows = phase_board(session, Scope(), now=NOW)
    # every type, every phase of its flow, in order, zeros included
    assert [(r.dossier_type, r.phase) for r in rows] == [(t.value, p) for t in DossierType for p in PHASE_FLOWS[t]]
    info = _by_phase(rows, "information")
    assert [info[p].count for p in ("request", "file", "done")] == [2, 2, 0]
    assert info["request"].oldest_days == pytest.approx(6)
    assert info["request"].median_days == pytest.approx(4)  # even count: mean of 2 and 6
    assert info["file"].oldest_days == pytest.approx(4)
    assert info["file"].median_days == pytest.approx(2.5)
    assert info["file"].oldest_reached_at == days_ago(4)
    assert info["done"].oldest_days is None and info["done"].median_days is None
    loan = _by_phase(rows, "loan")
    assert loan["analysis"].count == 3  # error and suspended instances are open
    assert loan["analysis"].oldest_days == pytest.approx(10)
    assert loan["analysis"].median_days == pytest.approx(2)  # odd count: the middle one
    assert loan["request"].count == 1 and loan["request"].median_days == pytest.approx(5)
    assert sum(r.count for r in rows) == 8
    assert all(r.count == 0 for r in rows if r.dossier_type not in ("information", "loan"))


def test_filters_type_subtype_and_project(db: Database, board_db: dict[str, int]) -> None:
    with db.transaction() as session:
        loan_only = phase_board(session, Scope(dossier_type="loan"), now=NOW)
        by_subtype = phase_board(session, Scope(subtype_id=board_db["rmp"]), now=NOW)
        by_project = phase_board(session, Scope(dossier_type="loan", project="fosster"), now=NOW)
        nothing = phase_board(session, Scope(project="condoreno"), now=NOW)
        # the period does not apply: the board is now
        with_period = phase_board(session, Scope(start=days_ago(1), end=NOW), now=NOW)
    assert {r.dossier_type for r in loan_only} == {"loan"}
    assert [r.phase for r in loan_only] == list(PHASE_FLOWS["loan"])
    assert {(r.dossier_type, r.phase): r.count for r in by_subtype if r.count} == {("loan", "request"): 1}
    assert {r.phase: r.count for r in by_project if r.count} == {"request": 1, "analysis": 1}
    assert _by_phase(by_project, "loan")["analysis"].median_days == pytest.approx(2)
    assert sum(r.count for r in nothing) == 0
    assert sum(r.count for r in with_period) == 8


def test_a_phase_outside_the_flow_is_shown_after_it(db: Database) -> None:
    with db.transaction() as session:
        BoardData(session).dossier("advice", [("request", days_ago(9)), ("legacy_check", days_ago(3))])
    with db.transaction() as session:
        rows = phase_board(session, Scope(dossier_type="advice"), now=NOW)
    assert [r.phase for r in rows] == [*PHASE_FLOWS["advice"], "legacy_check"]
    assert rows[-1].count == 1 and rows[-1].oldest_days == pytest.approx(3)


def test_record_phase_closes_the_phase_left_through_the_real_engine(db: Database) -> None:
    engine = make_engine()
    with db.transaction() as session:
        deploy_all(session, engine)
        user = create_user(session, "anna@guichet.test", "Anna", "Correct-Horse-42", [Role.CASE_WORKER])
        dossier = open_dossier(session, engine, DossierType.LOAN, "Loan for the roof", user_id=user.id)
        dossier_id, instance_id, user_id = dossier.id, dossier.process_instance_id, user.id
    with db.transaction() as session:
        rows = list(session.scalars(select(DossierPhase).where(DossierPhase.dossier_id == dossier_id)))
        assert [(r.phase, r.left_at) for r in rows] == [("request", None)]
        board = _by_phase(phase_board(session, Scope(dossier_type="loan")), "loan")
        assert board["request"].count == 1
    for _ in range(3):
        with db.transaction() as session:
            complete_next(session, engine, instance_id, user_id)
    with db.transaction() as session:
        rows = list(session.scalars(select(DossierPhase).where(DossierPhase.dossier_id == dossier_id)
                                    .order_by(DossierPhase.reached_at, DossierPhase.id)))
        assert len(rows) >= 2
        for row, following in pairwise(rows):
            assert row.left_at == following.reached_at
        assert rows[-1].left_at is None
        current = rows[-1].phase
        board = _by_phase(phase_board(session, Scope(dossier_type="loan")), "loan")
        assert {p: r.count for p, r in board.items() if r.count} == {current: 1}
    for _ in range(30):
        with db.transaction() as session:
            if complete_next(session, engine, instance_id, user_id) is None:
                break
    with db.transaction() as session:
        rows = list(session.scalars(select(DossierPhase).where(DossierPhase.dossier_id == dossier_id)
                                    .order_by(DossierPhase.reached_at, DossierPhase.id)))
        assert [r.phase for r in rows] == list(PHASE_FLOWS["loan"])
        assert [r.left_at is None for r in rows] == [False] * (len(rows) - 1) + [True]
        # completed: off the board
        assert sum(r.count for r in phase_board(session, Scope())) == 0


def test_ending_or_deactivating_takes_a_dossier_off_the_board_through_the_real_commands(db: Database) -> None:
    engine = make_engine()
    with db.transaction() as session:
        deploy_all(session, engine)
        user = create_user(session, "anna@guichet.test", "Anna", "Correct-Horse-42", [Role.CASE_WORKER])
        first = open_dossier(session, engine, DossierType.ADVICE, "Attic", user_id=user.id)
        second = open_dossier(session, engine, DossierType.ADVICE, "Cellar", user_id=user.id)
        ids = {"first": first.id, "second": second.id, "second_instance": second.process_instance_id,
               "user": user.id}

    def open_count() -> int:
        with db.transaction() as session:
            return sum(r.count for r in phase_board(session, Scope(dossier_type="advice")))

    assert open_count() == 2
    with db.transaction() as session:
        set_dossier_active(session, ids["first"], False, user_id=ids["user"])
    assert open_count() == 1
    with db.transaction() as session:
        set_dossier_active(session, ids["first"], True, user_id=ids["user"])
    assert open_count() == 2
    with db.transaction() as session:
        engine.terminate(session, ids["second_instance"], user_id=ids["user"], reason="duplicate")
    assert open_count() == 1
    with db.transaction() as session:  # reactivating a dossier whose process ended does not reopen it
        set_dossier_active(session, ids["second"], False, user_id=ids["user"])
        set_dossier_active(session, ids["second"], True, user_id=ids["user"])
    assert open_count() == 1


def test_the_backfill_sql_sets_left_at_from_the_next_row_and_marks_open_dossiers(db: Database) -> None:
    with db.transaction() as session:
        data = BoardData(session)
        first = data.dossier("advice", [("request", days_ago(9)), ("advice", days_ago(5)),
                                        ("customer_survey", days_ago(2))])
        second = data.dossier("advice", [("request", days_ago(7))])
        closed = data.dossier("advice", [("request", days_ago(7)), ("done", days_ago(6))],
                              status=InstanceStatus.COMPLETED)
        hidden = data.dossier("advice", [("request", days_ago(7))], active=False)
        # as before the columns existed
        session.execute(text("UPDATE dossier_phases SET left_at = NULL, open_type = NULL"))
    with db.transaction() as session:
        session.execute(text(LEFT_AT_BACKFILL_SQL))
        session.execute(text(OPEN_TYPE_BACKFILL_SQL))
    with db.transaction() as session:
        rows = {(r.dossier_id, r.phase): (r.left_at, r.open_type) for r in session.scalars(select(DossierPhase))}
        board = _by_phase(phase_board(session, Scope(), now=NOW), "advice")
    assert rows == {
        (first.id, "request"): (days_ago(5), None), (first.id, "advice"): (days_ago(2), None),
        (first.id, "customer_survey"): (None, "advice"),
        (second.id, "request"): (None, "advice"),
        (closed.id, "request"): (days_ago(6), None), (closed.id, "done"): (None, None),
        (hidden.id, "request"): (None, None),
    }
    assert {p: r.count for p, r in board.items() if r.count} == {"request": 1, "customer_survey": 1}
