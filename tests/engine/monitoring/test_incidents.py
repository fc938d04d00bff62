"""Incidents grouped per operator and the instances waiting on timers, messages or a manager,
against hand-built rows with known answers, on both databases."""

from __future__ import annotations

import pytest

from engine.db import Database
from engine.monitoring.filters import Scope
from engine.monitoring.incidents import (
    incidents_by_operator,
    open_incidents,
    suspended_instances,
    waiting_on_messages,
    waiting_on_timers,
)
from engine.workflow.models import Incident, MessageWait, ProcessInstance, ServiceCall

from .work_data import at, dossier, instance, version

NOW = at("2026-06-10 12:00")


def _call(s, inst: ProcessInstance, operator: str) -> ServiceCall:
    call = ServiceCall(instance_id=inst.id, task_guid="g", bpmn_id="call", operator=operator, result_variable="r",
                       status="failed")
    s.add(call)
    s.flush()
    return call


def _incident(s, inst: ProcessInstance, created: str, *, call: ServiceCall | None = None, kind: str = "service",
              status: str = "open") -> int:
    row = Incident(instance_id=inst.id, service_call_id=call.id if call else None, kind=kind, status=status,
                   error=f"{kind} failed", created_at=at(created), bpmn_id="call")
    s.add(row)
    s.flush()
    return row.id


@pytest.fixture
def data(db: Database) -> dict[str, int]:
    with db.transaction() as s:
        pv = version(s)
        d1 = dossier(s, pv, "information", "2026-05-01 08:00", status="error")
        i1 = s.get(ProcessInstance, d1.process_instance_id)
        i2 = instance(s, pv, status="error", subject_type="syndic", subject_id=7)
        ids = {
            "inc1": _incident(s, i1, "2026-06-01 08:00", call=_call(s, i1, "bce.lookup")),
            "inc2": _incident(s, i2, "2026-05-20 08:00", call=_call(s, i2, "bce.lookup"), status="retrying"),
            "inc3": _incident(s, i1, "2026-06-05 08:00", call=_call(s, i1, "mail.send")),
            "inc4": _incident(s, i2, "2026-06-03 08:00", kind="script"),
        }
        _incident(s, i1, "2026-04-01 08:00", call=_call(s, i1, "bce.lookup"), status="resolved")
        ids["t_due"] = instance(s, pv, next_timer_at=at("2026-06-10 11:00")).id
        ids["t_later"] = instance(s, pv, next_timer_at=at("2026-06-11 09:00")).id
        instance(s, pv, status="completed", completed_at=at("2026-06-01 00:00"), next_timer_at=at("2026-06-02 00:00"))
        ids["suspended"] = instance(s, pv, status="suspended").id
        waiting = instance(s, pv, updated_at=at("2026-06-01 00:00"))
        ended = instance(s, pv, status="terminated", completed_at=at("2026-06-01 00:00"))
        for inst, name in ((waiting, "payment_received"), (waiting, "documents_received"), (ended, "payment_received")):
            s.add(MessageWait(instance_id=inst.id, message_name=name))
        ids.update(i1=i1.id, d1=d1.id, waiting=waiting.id)
        return ids


def test_open_incidents_grouped_per_operator(db, data):
    with db.transaction() as s:
        groups = incidents_by_operator(s, Scope())
    assert [(g.operator, g.count, g.oldest) for g in groups] == [
        ("bce.lookup", 2, at("2026-05-20 08:00")),  # the resolved one is not counted
        ("script", 1, at("2026-06-03 08:00")),
        ("mail.send", 1, at("2026-06-05 08:00")),
    ]


def test_open_incident_list_oldest_first_with_its_subject(db, data):
    with db.transaction() as s:
        listing = open_incidents(s, Scope())
        only_bce = open_incidents(s, Scope(), operator="bce.lookup")
        of_dossiers = open_incidents(s, Scope(dossier_type="information"))
        capped = open_incidents(s, Scope(), cap=2)
    assert [r.id for r in listing.rows] == [data["inc2"], data["inc1"], data["inc4"], data["inc3"]]
    assert listing.total == 4
    first = listing.rows[0]
    assert first.status == "retrying" and first.subject.subject_type == "syndic" and first.subject.dossier_id is None
    assert [r.id for r in only_bce.rows] == [data["inc2"], data["inc1"]]
    assert [r.id for r in of_dossiers.rows] == [data["inc1"], data["inc3"]]
    assert of_dossiers.rows[0].subject.dossier_id == data["d1"]
    assert len(capped.rows) == 2 and capped.total == 4 and capped.capped


def test_timers_soonest_first_with_the_past_due_flagged(db, data):
    with db.transaction() as s:
        timers = waiting_on_timers(s, Scope(), now=NOW)
    assert [(r.subject.instance_id, r.overdue) for r in timers.rows] == [(data["t_due"], True),
                                                                        (data["t_later"], False)]
    assert timers.total == 2


def test_message_waits_and_suspended_instances(db, data):
    with db.transaction() as s:
        messages = waiting_on_messages(s, Scope())
        suspended = suspended_instances(s, Scope())
        none_of_dossiers = waiting_on_messages(s, Scope(dossier_type="information"))
    assert [(r.subject.instance_id, r.message_name) for r in messages.rows] == [
        (data["waiting"], "documents_received"), (data["waiting"], "payment_received")]
    assert [r.subject.instance_id for r in suspended.rows] == [data["suspended"]]
    assert none_of_dossiers.total == 0 and none_of_dossiers.rows == []
