"""Workload and overdue figures against hand-built tasks with known answers, on both databases,
including the exact boundaries: due at "now" is not overdue, created exactly N days ago is not
unclaimed for more than N days."""

from __future__ import annotations

import pytest

from engine.db import Database
from engine.monitoring.filters import Scope
from engine.monitoring.workload import workload
from engine.workflow.models import ProcessInstance

from .work_data import at, dossier, task, user, version

NOW = at("2026-06-10 12:00")


@pytest.fixture
def data(db: Database) -> dict[str, int]:
    with db.transaction() as s:
        pv = version(s)
        alice, bob = user(s, "Alice"), user(s, "Bob")
        info = dossier(s, pv, "information", "2026-05-01 08:00")
        loan = dossier(s, pv, "loan", "2026-04-01 08:00")
        i, lo = s.get(ProcessInstance, info.process_instance_id), s.get(ProcessInstance, loan.process_instance_id)
        ids = {
            "t1": task(s, i, "frontdesk", "2026-06-01 08:00", due_at="2026-06-10 11:59:59", assignee=alice).id,
            "t2": task(s, i, "frontdesk", "2026-06-05 12:00", due_at="2026-06-10 12:00").id,  # both boundaries
            "t3": task(s, i, "frontdesk", "2026-06-05 11:59:59").id,
            "t4": task(s, lo, "loans", "2026-05-01 08:00", due_at="2026-06-01 08:00", assignee=bob).id,
            "t5": task(s, lo, "loans", "2026-05-01 09:00", due_at="2026-06-09 08:00").id,
        }
        task(s, lo, "loans", "2026-05-01 08:00", due_at="2026-05-02 08:00", assignee=alice, state="completed")
        task(s, i, "frontdesk", "2026-05-01 08:00", due_at="2026-05-02 08:00", state="cancelled")
        ids.update(alice=alice.id, bob=bob.id, info=info.id)
        return ids


def _counts(rows):
    return {r.key: (r.open, r.overdue, r.unassigned, r.unclaimed) for r in rows}


def test_open_tasks_per_queue_and_person(db, data):
    with db.transaction() as s:
        load = workload(s, Scope(), now=NOW)
    assert _counts(load.per_queue) == {"frontdesk": (3, 1, 2, 1), "loans": (2, 2, 1, 1)}
    assert [r.key for r in load.per_queue] == ["frontdesk", "loans"]
    assert _counts(load.per_person) == {data["alice"]: (1, 1, 0, 0), data["bob"]: (1, 1, 0, 0), None: (3, 1, 3, 2)}
    assert [r.name for r in load.per_person] == ["Alice", "Bob", None]  # "unassigned" last


def test_overdue_and_unclaimed_lists_with_their_boundaries(db, data):
    with db.transaction() as s:
        load = workload(s, Scope(), now=NOW)
    assert [r.id for r in load.overdue.rows] == [data["t4"], data["t5"], data["t1"]]  # longest overdue first
    assert load.overdue.total == 3 and not load.overdue.capped
    assert [r.id for r in load.unclaimed.rows] == [data["t5"], data["t3"]]
    first = load.overdue.rows[2]
    assert first.assignee_name == "Alice" and first.dossier_id == data["info"] and first.dossier_type == "information"


def test_unclaimed_days_move_the_boundary(db, data):
    with db.transaction() as s:
        load = workload(s, Scope(), unclaimed_days=40, now=NOW)
    assert [r.id for r in load.unclaimed.rows] == [data["t5"]]  # 40 days and 3 hours old


def test_filters_on_queue_person_and_type(db, data):
    with db.transaction() as s:
        loans = workload(s, Scope(queue="loans"), now=NOW)
        alice = workload(s, Scope(person_id=data["alice"]), now=NOW)
        info = workload(s, Scope(dossier_type="information"), now=NOW)
    assert _counts(loans.per_queue) == {"loans": (2, 2, 1, 1)}
    assert _counts(alice.per_person) == {data["alice"]: (1, 1, 0, 0)}
    assert [r.id for r in alice.overdue.rows] == [data["t1"]]
    assert _counts(info.per_queue) == {"frontdesk": (3, 1, 2, 1)}
    assert info.unclaimed.total == 1


def test_lists_are_capped_with_the_full_count(db, data):
    with db.transaction() as s:
        load = workload(s, Scope(), now=NOW, cap=1)
    assert [r.id for r in load.overdue.rows] == [data["t4"]]
    assert load.overdue.total == 3 and load.overdue.capped


@pytest.mark.parametrize("days", [0, 366])
def test_unclaimed_days_out_of_range_are_refused(db, days):
    with db.transaction() as s, pytest.raises(ValueError, match="between 1 and 365"):
        workload(s, Scope(), unclaimed_days=days, now=NOW)
