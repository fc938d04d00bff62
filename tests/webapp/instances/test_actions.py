"""The interventions of the viewer, each with its happy path and a refusal that comes back as a
message (never a server error) and changes nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from engine.access.models import Role
from engine.workflow.models import AuditEvent, HumanTask, Incident, ProcessInstance
from tests.webapp.support import VALID_REQUEST, page_text

from . import support


def _instance(services, instance_id: int) -> tuple[str, int, str | None]:
    """(status, version number, the bpmn id of the open human task)."""
    with services.db.transaction() as session:
        instance = session.get(ProcessInstance, instance_id)
        open_task = session.scalar(select(HumanTask.bpmn_id).where(HumanTask.instance_id == instance_id,
                                                                   HumanTask.state == "ready"))
        return instance.status, instance.process_version.version, open_task


def _audit(services, instance_id: int, kind: str) -> list[dict]:
    with services.db.transaction() as session:
        return [e.detail for e in session.scalars(select(AuditEvent).where(AuditEvent.instance_id == instance_id,
                                                                           AuditEvent.kind == kind))]


def _post(client, path: str, **data: str) -> str:
    response = client.post(path, data=data, follow_redirects=True)
    assert response.status_code == 200, response.status_code
    return page_text(response)


def _first_guid(services, instance_id: int) -> str:
    with services.db.transaction() as session:
        return session.scalar(select(HumanTask.task_guid).where(HumanTask.instance_id == instance_id,
                                                                HumanTask.bpmn_id == "first"))


def test_suspend_and_resume_with_an_optional_reason(services, signed_in):
    support.deploy(services)
    instance_id = support.start(services)
    client, _user = signed_in(Role.MANAGER)
    text = _post(client, f"/instances/{instance_id}/suspend", reason="Waiting for the new form")
    assert "The case is suspended." in text and _instance(services, instance_id)[0] == "suspended"
    assert _audit(services, instance_id, "instance_suspended")[0].get("reason") == "Waiting for the new form"
    assert "Resume" in text
    text = _post(client, f"/instances/{instance_id}/resume", reason="")
    assert "The case goes on." in text and _instance(services, instance_id)[0] == "waiting"


def test_suspend_twice_and_resume_a_running_case_are_refused(services, signed_in):
    support.deploy(services)
    instance_id = support.start(services)
    client, _user = signed_in(Role.PROCESS_DESIGNER)
    text = _post(client, f"/instances/{instance_id}/resume")
    assert "Nothing was changed: Only a suspended case can be resumed" in text
    _post(client, f"/instances/{instance_id}/suspend")
    text = _post(client, f"/instances/{instance_id}/suspend")
    assert "Nothing was changed" in text and _instance(services, instance_id)[0] == "suspended"
    assert len(_audit(services, instance_id, "instance_suspended")) == 1


def test_terminate_needs_a_reason(services, signed_in):
    support.deploy(services)
    instance_id = support.start(services)
    client, _user = signed_in(Role.MANAGER)
    text = _post(client, f"/instances/{instance_id}/terminate", reason="  ")
    assert "Give a reason" in text and _instance(services, instance_id)[0] == "waiting"
    text = _post(client, f"/instances/{instance_id}/terminate", reason="Opened twice by mistake")
    assert "The case is stopped." in text and _instance(services, instance_id)[0] == "terminated"
    assert _audit(services, instance_id, "instance_terminated")[0]["reason"] == "Opened twice by mistake"
    text = _post(client, f"/instances/{instance_id}/terminate", reason="Again")
    assert "Nothing was changed: This case is already terminated." in text


def test_retry_an_incident_and_retry_a_resolved_one(services, signed_in):
    support.deploy(services)
    instance_id = support.start(services, divisor=0)
    with services.db.transaction() as session:
        incident_id = session.scalar(select(Incident.id).where(Incident.instance_id == instance_id))
    client, _user = signed_in(Role.MANAGER)
    text = _post(client, f"/instances/{instance_id}/incidents/{incident_id}/retry", reason="Fixed the data")
    assert "The failed step runs again." in text
    assert _audit(services, instance_id, "incident_retried")[0].get("reason") == "Fixed the data"
    with services.db.transaction() as session:
        assert session.get(Incident, incident_id).status == "resolved"
        # the script fails again (the divisor is still 0): a new incident is open
        assert session.scalar(select(func.count()).select_from(Incident).where(
            Incident.instance_id == instance_id, Incident.status == "open")) == 1
    text = _post(client, f"/instances/{instance_id}/incidents/{incident_id}/retry")
    assert "Nothing was changed: This incident is already resolved." in text


def test_resolve_an_incident_needs_a_note(services, signed_in):
    support.deploy(services)
    instance_id = support.start(services, divisor=0)
    with services.db.transaction() as session:
        incident_id = session.scalar(select(Incident.id).where(Incident.instance_id == instance_id))
    client, _user = signed_in(Role.PROCESS_DESIGNER)
    text = _post(client, f"/instances/{instance_id}/incidents/{incident_id}/resolve", note="")
    assert "Write a note saying how the incident was resolved." in text
    with services.db.transaction() as session:
        assert session.get(Incident, incident_id).status == "open"
    text = _post(client, f"/instances/{instance_id}/incidents/{incident_id}/resolve", note="Handled by phone")
    assert "The incident is resolved." in text
    with services.db.transaction() as session:
        incident = session.get(Incident, incident_id)
        assert incident.status == "resolved" and incident.resolution == "Handled by phone"


def test_move_a_token_forward(services, signed_in):
    support.deploy(services)
    instance_id = support.start(services)
    client, _user = signed_in(Role.MANAGER)
    guid = _first_guid(services, instance_id)
    page = client.get(f"/instances/{instance_id}").get_data(as_text=True)
    assert f'value="{guid}::second"' in page  # the target is offered
    text = _post(client, f"/instances/{instance_id}/move", move=f"{guid}::second", reason="Already checked")
    assert "The token is moved." in text
    assert _instance(services, instance_id)[2] == "second"
    [moved] = _audit(services, instance_id, "token_moved")
    assert moved["reason"] == "Already checked"


def test_move_refusals_say_what_to_do(services, signed_in):
    support.deploy(services)
    instance_id = support.start(services)
    client, _user = signed_in(Role.MANAGER)
    guid = _first_guid(services, instance_id)
    assert "Choose the token to move" in _post(client, f"/instances/{instance_id}/move", move="", reason="r")
    assert "Give a reason" in _post(client, f"/instances/{instance_id}/move", move=f"{guid}::second", reason="")
    text = _post(client, f"/instances/{instance_id}/move", move=f"{guid}::end", reason="Skip it all")
    assert "Nothing was changed" in text
    text = _post(client, f"/instances/{instance_id}/move", move="not-a-guid::second", reason="r")
    assert "Nothing was changed" in text
    assert _instance(services, instance_id)[2] == "first" and _audit(services, instance_id, "token_moved") == []


def test_migrate_to_a_newer_version(services, signed_in):
    support.deploy(services)
    instance_id = support.start(services)
    v2 = support.deploy(services, support.diagram(second_name="Answer the citizen"))
    client, _user = signed_in(Role.MANAGER)
    text = page_text(client.get(f"/instances/{instance_id}"))
    assert "Migrate to version 2" in text and "cannot move to version 2" not in text
    text = _post(client, f"/instances/{instance_id}/migrate", target_version_id=str(v2), reason="Rename")
    assert "The case now runs on the new version." in text
    assert _instance(services, instance_id)[:2] == ("waiting", 2)
    assert _audit(services, instance_id, "instance_migrated")[0]["reason"] == "Rename"


def test_migration_refusals_list_the_problems(services, signed_in):
    v1 = support.deploy(services)
    instance_id = support.start(services)
    v2 = support.deploy(services, support.diagram(with_first_task=False))
    client, _user = signed_in(Role.MANAGER)
    html = client.get(f"/instances/{instance_id}").get_data(as_text=True)
    form = html.split('id="form-migrate-2"', 1)[1].split("</form>", 1)[0]
    assert "This case cannot move to version 2:" in form and "first" in form
    assert "disabled>" in form  # the button cannot be used
    text = _post(client, f"/instances/{instance_id}/migrate", target_version_id=str(v2), reason="Try anyway")
    assert "This case cannot move to that version" in text
    assert "Give a reason" in _post(client, f"/instances/{instance_id}/migrate", target_version_id=str(v2))
    assert "Choose the version" in _post(client, f"/instances/{instance_id}/migrate", target_version_id="999999",
                                         reason="r")
    text = _post(client, f"/instances/{instance_id}/migrate", target_version_id=str(v1), reason="Same one")
    assert "Nothing was changed" in text or "cannot move" in text
    assert _instance(services, instance_id)[:2] == ("waiting", 1)
    assert _audit(services, instance_id, "instance_migrated") == []


def test_migrate_every_instance_of_a_version_with_a_report(services, signed_in):
    v1 = support.deploy(services)
    at_first = support.start(services)
    at_second = support.start(services)
    manager, user = signed_in(Role.MANAGER)
    with services.db.transaction() as session:
        task = session.scalar(select(HumanTask).where(HumanTask.instance_id == at_second, HumanTask.bpmn_id == "first"))
        services.engine.complete(session, task.id, VALID_REQUEST, user_id=user.id)
    v2 = support.deploy(services, support.diagram(with_second_task=False))
    response = manager.post(f"/instances/versions/{v1}/migrate", data={"target_version_id": str(v2),
                                                                       "reason": "Drop the check"})
    assert response.status_code == 200
    text = page_text(response)
    assert "Migration report" in text and "Moved: 1" in text and "Refused: 1" in text
    # the refused one (it waits where version 2 has nothing), with its reasons
    assert f"#{at_second} : " in text and "does not exist in version 2" in text
    assert _instance(services, at_first)[1] == 2 and _instance(services, at_second)[1] == 1


def test_bulk_migration_refusals(services, signed_in):
    v1 = support.deploy(services)
    support.start(services)
    v2 = support.deploy(services, support.diagram(second_name="Answer the citizen"))
    client, _user = signed_in(Role.PROCESS_DESIGNER)
    no_reason = client.post(f"/instances/versions/{v1}/migrate", data={"target_version_id": str(v2), "reason": ""})
    assert no_reason.status_code == 400 and "Give a reason" in page_text(no_reason)
    backwards = client.post(f"/instances/versions/{v2}/migrate", data={"target_version_id": str(v1), "reason": "r"})
    assert backwards.status_code == 400 and "Choose a newer version of the same process." in page_text(backwards)
    with services.db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(ProcessInstance).where(
            ProcessInstance.process_version_id == v1)) == 1
