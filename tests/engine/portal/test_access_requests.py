"""Portal access requests: screening at submission, the review task in the ``portal`` queue, the
grant or refusal run by the operators (eager jobs) and the requester's e-mail."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from engine.config import Settings
from engine.db import Database
from engine.notify import Notification
from engine.portal.access import access_for, visible_building_ids
from engine.portal.access_requests import (
    PROCESS_KEY,
    AccessRequest,
    NothingToRequest,
    RequestStatus,
    submit_request,
)
from engine.portal.models import MemberRole, OrganisationBuilding, OrganisationClient
from engine.queues.commands import seed_queues
from engine.workflow.errors import ConflictError
from engine.workflow.models import AuditEvent, HumanTask, HumanTaskState, ProcessInstance
from tests.portal_support import building, member, organisation, portal_account
from webapp.bootstrap import Services, build_services

BPMN = Path(__file__).resolve().parents[3] / "bpmn" / "portal" / "access_request.bpmn"


@pytest.fixture
def services(settings: Settings, db: Database) -> Services:
    services = build_services(settings, db)
    with db.transaction() as session:
        services.engine.deploy(session, BPMN.read_text(), "bpmn/portal/access_request.bpmn")
        seed_queues(session)
    return services


def _world(db: Database) -> dict[str, int]:
    with db.transaction() as session:
        org = organisation(session, name="Syndic Senne SRL", enterprise_number="0403170701")
        other = organisation(session, name="Syndic Nete BV", enterprise_number="0417497106")
        user = portal_account(session, first_name="Marie", locale="nl")
        member(session, org, user, MemberRole.MANAGER)
        radio = building(session, client_number="C555000", radio=True)
        radio2 = building(session, client_number="C555000", radio=True, remote=True)
        on_site = building(session, client_number="C555000", radio=False)
        foreign = building(session, client_number="C999999", radio=True, granted_to=other)
        return {"org": org.id, "user": user.id, "radio": radio.id, "radio2": radio2.id,
                "codes": [radio.code, radio2.code, on_site.code, foreign.code, "B77777"],
                "on_site": on_site.code, "foreign": foreign.code}


def _submit(services: Services, w: dict) -> int:
    with services.db.transaction() as session:
        request = submit_request(session, services.engine, organisation_id=w["org"], requester_id=w["user"],
                                 client_number="c555 000", codes=w["codes"], message="Nous gérons ces immeubles.")
        return request.id


def _task(services: Services, request_id: int) -> HumanTask:
    with services.db.transaction() as session:
        request = session.get(AccessRequest, request_id)
        return session.scalars(select(HumanTask).where(HumanTask.instance_id == request.process_instance_id)).one()


def test_non_radio_and_foreign_codes_are_refused_with_their_reasons(services: Services, db: Database) -> None:
    w = _world(db)
    request_id = _submit(services, w)
    with db.transaction() as session:
        request = session.get(AccessRequest, request_id)
        assert request.client_number == "C555000"
        assert len(request.building_codes) == 2 and w["on_site"] not in request.building_codes
        assert request.refusals[w["on_site"]] == (f"{w['on_site']} is read on site, not by radio: portal access "
                                                  "exists only for buildings with radio meters")
        # the same text for a code of another client number and for a code that does not exist
        assert request.refusals[w["foreign"]] == f"{w['foreign']} is not a building of client number C555000"
        assert request.refusals["B77777"] == "B77777 is not a building of client number C555000"
        assert request.status == RequestStatus.SUBMITTED
        assert session.get(ProcessInstance, request.process_instance_id).process_key == PROCESS_KEY


def test_nothing_is_started_when_no_building_is_left(services: Services, db: Database) -> None:
    w = _world(db)
    with pytest.raises(NothingToRequest) as refused, db.transaction() as session:
        submit_request(session, services.engine, organisation_id=w["org"], requester_id=w["user"],
                       client_number="C555000", codes=[w["on_site"], w["foreign"]])
    assert set(refused.value.refusals) == {w["on_site"], w["foreign"]}
    with db.transaction() as session:
        assert session.scalar(select(AccessRequest.id)) is None
        assert session.scalar(select(ProcessInstance.id)) is None


def test_the_review_task_waits_in_the_portal_queue_with_the_request_shown(services: Services, db: Database) -> None:
    w = _world(db)
    task = _task(services, _submit(services, w))
    assert task.queue == "portal" and task.form_key == "portal.access_review"
    assert "Client number: C555000" in task.instructions and "radio: yes" in task.instructions
    assert "0403170701" in task.instructions


def test_approval_grants_the_buildings_and_mails_the_requester(services: Services, db: Database,
                                                                make_staff: int) -> None:
    w = _world(db)
    request_id = _submit(services, w)
    task = _task(services, request_id)
    with db.transaction() as session:
        services.engine.complete(session, task.id, {"decision": "approve", "reason": ""}, user_id=make_staff)
    with db.transaction() as session:
        request = session.get(AccessRequest, request_id)
        assert request.status == RequestStatus.APPROVED and request.decided_by_id == make_staff
        assert session.get(ProcessInstance, request.process_instance_id).status == "completed"
        assert session.scalar(select(OrganisationClient.organisation_id)
                              .where(OrganisationClient.client_number == "C555000")) == w["org"]
        granted = set(session.scalars(select(OrganisationBuilding.building_id)
                                      .where(OrganisationBuilding.organisation_id == w["org"])))
        assert granted == {w["radio"], w["radio2"]}
        access = access_for(session, w["user"], w["org"])
        assert visible_building_ids(session, access) == {w["radio"], w["radio2"]}
        mail = session.scalars(select(Notification)).one()
        assert mail.purpose == "access_approved" and "goedgekeurd" in mail.body  # the requester's language
        assert session.scalar(select(AuditEvent.kind).where(AuditEvent.subject_type == "portal_access_request",
                                                             AuditEvent.kind == "access_granted"))
    with pytest.raises(ConflictError), db.transaction() as session:
        services.engine.complete(session, task.id, {"decision": "approve"}, user_id=make_staff)


def test_refusal_needs_a_reason_and_mails_it(services: Services, db: Database, make_staff: int) -> None:
    from engine.workflow.errors import FormInvalid

    w = _world(db)
    request_id = _submit(services, w)
    task = _task(services, request_id)
    with pytest.raises(FormInvalid), db.transaction() as session:
        services.engine.complete(session, task.id, {"decision": "refuse", "reason": " "}, user_id=make_staff)
    with db.transaction() as session:
        services.engine.complete(session, task.id, {"decision": "refuse", "reason": "Unknown syndic mandate"},
                                 user_id=make_staff)
    with db.transaction() as session:
        request = session.get(AccessRequest, request_id)
        assert request.status == RequestStatus.REFUSED and request.decision_reason == "Unknown syndic mandate"
        assert session.scalar(select(OrganisationBuilding.building_id)
                              .where(OrganisationBuilding.organisation_id == w["org"])) is None
        mail = session.scalars(select(Notification)).one()
        assert mail.purpose == "access_refused" and "Unknown syndic mandate" in mail.body
        assert session.get(HumanTask, task.id).state == HumanTaskState.COMPLETED


@pytest.fixture
def make_staff(db: Database) -> int:
    from engine.access.models import Role
    from tests.webapp.support import create_user

    return create_user(db, Role.CASE_WORKER).id
