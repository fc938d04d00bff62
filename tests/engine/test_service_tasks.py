"""Service tasks run in the worker (eagerly here), retry, and end in incidents."""

from __future__ import annotations

from sqlalchemy import select

from engine.workflow.models import (
    HumanTask,
    Incident,
    IncidentStatus,
    InstanceStatus,
    ProcessInstance,
    ServiceCall,
    ServiceCallStatus,
)


def test_service_task_result_lands_in_the_data(db, engine, deploy, lookup):
    deploy("service.bpmn")
    with db.transaction() as s:
        instance = engine.start(s, "lookup", data={"enterprise_number": "0202.239.951"})
    # the eager job ran after the commit
    with db.transaction() as s:
        inst = s.get(ProcessInstance, instance.id)
        call = s.scalars(select(ServiceCall)).one()
        assert (call.status, call.attempts, call.params) == (ServiceCallStatus.DONE, 1, {"number": "0202.239.951"})
        assert engine.task_data(inst)["company"]["name"] == "ACP Résidence Les Tilleuls"
        assert s.scalars(select(HumanTask.bpmn_id)).all() == ["check"]
        assert inst.status == InstanceStatus.WAITING
    assert lookup.calls == ["0202.239.951"]


def test_transient_failures_are_retried(db, engine, deploy, lookup):
    lookup.failures_left = 2  # max_retries is 2: third attempt succeeds
    deploy("service.bpmn")
    with db.transaction() as s:
        instance = engine.start(s, "lookup", data={"enterprise_number": "0202.239.951"})
    with db.transaction() as s:
        call = s.scalars(select(ServiceCall)).one()
        assert (call.status, call.attempts) == (ServiceCallStatus.DONE, 3)
        assert s.scalars(select(Incident)).all() == []
        assert s.get(ProcessInstance, instance.id).status == InstanceStatus.WAITING


def test_failure_after_last_retry_is_an_incident_that_can_be_retried(db, engine, deploy, lookup):
    lookup.failures_left = 3
    deploy("service.bpmn")
    with db.transaction() as s:
        instance = engine.start(s, "lookup", data={"enterprise_number": "0202.239.951"})
    with db.transaction() as s:
        incident = s.scalars(select(Incident)).one()
        assert incident.kind == "service"
        assert incident.retries == 3
        assert "KBO service unreachable" in incident.error
        assert "ConnectionError" in incident.traceback
        assert s.get(ProcessInstance, instance.id).status == InstanceStatus.ERROR
        assert s.scalars(select(HumanTask)).all() == []
    with db.transaction() as s:
        engine.retry_incident(s, incident.id, user_id=None)  # the service is back: job runs after commit
    with db.transaction() as s:
        assert s.get(Incident, incident.id).status == IncidentStatus.RESOLVED
        assert s.get(ProcessInstance, instance.id).status == InstanceStatus.WAITING
        assert s.scalars(select(HumanTask.bpmn_id)).all() == ["check"]
    assert len(lookup.calls) == 4


def test_incident_resolved_by_hand_with_a_result(db, engine, deploy, lookup):
    lookup.failures_left = 99
    deploy("service.bpmn")
    with db.transaction() as s:
        instance = engine.start(s, "lookup", data={"enterprise_number": "0202.239.951"})
    with db.transaction() as s:
        incident = s.scalars(select(Incident)).one()
        engine.resolve_incident(
            s, incident.id, user_id=None, note="looked up by phone", result={"name": "ACP by phone"}
        )
    with db.transaction() as s:
        inst = s.get(ProcessInstance, instance.id)
        assert inst.status == InstanceStatus.WAITING
        assert engine.task_data(inst)["company"] == {"name": "ACP by phone"}
        assert s.get(Incident, incident.id).resolution == "looked up by phone"


def test_a_redelivered_job_does_nothing(db, engine, deploy, lookup):
    from engine import jobs

    deploy("service.bpmn")
    with db.transaction() as s:
        engine.start(s, "lookup", data={"enterprise_number": "0202.239.951"})
    with db.transaction() as s:
        call_id = s.scalars(select(ServiceCall.id)).one()
    assert jobs.run_service_call.apply(args=(call_id,)).get() == "skipped"
    assert len(lookup.calls) == 1
