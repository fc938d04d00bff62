from __future__ import annotations

import pytest

from engine.workflow.errors import NotFound
from engine.workflow.models import InstanceStatus, MessageWait, ProcessInstance


def test_message_reaches_only_the_correlated_instance(db, engine, deploy):
    deploy("payment.bpmn")
    with db.transaction() as s:
        first = engine.start(s, "payment", data={"case_id": "C-1"})
        second = engine.start(s, "payment", data={"case_id": "C-2"})
    with db.transaction() as s:
        assert s.query(MessageWait).count() == 2
        delivered = engine.correlate_message(
            s, "payment_received", {"amount": "90.50", "case_id": "C-2"}, correlations={"case_key": {"case_id": "C-2"}}
        )
    assert delivered == [second.id]
    with db.transaction() as s:
        assert s.get(ProcessInstance, second.id).status == InstanceStatus.COMPLETED
        assert engine.task_data(s.get(ProcessInstance, second.id))["payment"]["amount"] == "90.50"
        assert s.get(ProcessInstance, first.id).status == InstanceStatus.WAITING
        assert [w.instance_id for w in s.query(MessageWait)] == [first.id]


def test_message_nobody_waits_for(db, engine, deploy):
    deploy("payment.bpmn")
    with db.transaction() as s:
        engine.start(s, "payment", data={"case_id": "C-1"})
    with db.transaction() as s, pytest.raises(NotFound, match="C-9"):
        engine.correlate_message(
            s, "payment_received", {"case_id": "C-9"}, correlations={"case_key": {"case_id": "C-9"}}
        )
    with db.transaction() as s, pytest.raises(NotFound):
        engine.correlate_message(s, "unknown_message", {})


def test_payload_contradicting_its_correlation_is_refused(db, engine, deploy):
    from engine.workflow.errors import InvalidMessage

    deploy("payment.bpmn")
    with db.transaction() as s:
        first = engine.start(s, "payment", data={"case_id": "C-1"})
    with pytest.raises(InvalidMessage, match="case_id"), db.transaction() as s:
        engine.correlate_message(s, "payment_received", {"case_id": "C-2"},
                                 correlations={"case_key": {"case_id": "C-1"}})
    with pytest.raises(InvalidMessage, match="payload"), db.transaction() as s:
        engine.correlate_message(s, "payment_received", "just text", correlations={"case_key": {"case_id": "C-1"}})
    with db.transaction() as s:
        assert s.get(ProcessInstance, first.id).status == InstanceStatus.WAITING
