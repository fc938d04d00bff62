"""Human tasks through the API: the review diagram both ways, validation, conflicts, claiming."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from engine.access.models import Role
from engine.db import Database
from engine.workflow.models import AuditEvent, ProcessInstance
from engine.workflow.runtime import StaleInstance
from tests.webapp.api.conftest import Caller, MakeCaller
from webapp.bootstrap import Services

StartReview = Callable[..., dict[str, Any]]


def _first_task(instance: dict[str, Any]) -> int:
    return instance["open_tasks"][0]["id"]


def test_small_amount_is_approved_automatically(worker: Caller, start_review: StartReview) -> None:
    task_id = _first_task(start_review())
    response = worker.post(f"/api/tasks/{task_id}/complete", json={"amount": 500, "note": "small"})
    assert response.status_code == 200, response.json
    body = response.json
    assert body["task"]["state"] == "completed"
    assert body["task"]["completed_by_id"] == worker.user_id
    assert body["instance"]["status"] == "completed"
    assert body["instance"]["phase"] == "done"
    assert body["instance"]["open_tasks"] == []
    data = worker.get(f"/api/instances/{body['instance']['id']}?include=data").json["data"]
    assert data["amount"] == 500
    assert data["approved"] is True


def test_large_amount_goes_to_an_expert(worker: Caller, make_caller: MakeCaller,
                                        start_review: StartReview) -> None:
    task_id = _first_task(start_review())
    body = worker.post(f"/api/tasks/{task_id}/complete", json={"amount": 5000}).json
    assert body["instance"]["status"] == "waiting"
    [expert_task] = body["instance"]["open_tasks"]
    assert expert_task["bpmn_id"] == "expert"
    assert expert_task["queue"] == "experts"
    assert expert_task["form_key"] == "test.approve"

    expert = make_caller(Role.CASE_WORKER)
    assert expert.post(f"/api/tasks/{expert_task['id']}/claim").status_code == 200
    done = expert.post(f"/api/tasks/{expert_task['id']}/complete", json={"approved": False})
    assert done.status_code == 200, done.json
    assert done.json["instance"]["status"] == "completed"
    data = worker.get(f"/api/instances/{done.json['instance']['id']}?include=data").json["data"]
    assert data["approved"] is False
    assert data["level"] == "normal"


def test_task_describes_its_form(worker: Caller, start_review: StartReview) -> None:
    task_id = _first_task(start_review())
    body = worker.get(f"/api/tasks/{task_id}").json
    assert body["name"] == "Enter amount"
    assert body["state"] == "ready"
    assert body["due_at"]
    form = body["form"]
    assert form["key"] == "test.amount"
    assert form["title"] == "Amount"
    amount, note = form["fields"]
    assert amount == {"name": "amount", "label": "Amount", "widget": "number", "required": True,
                      "multiple": False, "help": "In euros", "choices": None}
    assert note["name"] == "note"
    assert note["required"] is False
    assert isinstance(note["label"], str)


def test_choices_are_described(worker: Caller, start_review: StartReview) -> None:
    task_id = _first_task(start_review())
    expert_task = worker.post(f"/api/tasks/{task_id}/complete", json={"amount": 5000}).json["instance"]["open_tasks"][0]
    fields = {f["name"]: f for f in worker.get(f"/api/tasks/{expert_task['id']}").json["form"]["fields"]}
    assert fields["approved"]["widget"] == "checkbox"
    assert fields["level"]["widget"] == "select"
    assert fields["level"]["choices"] == [{"value": "normal", "label": "Normal"},
                                          {"value": "urgent", "label": "Urgent"}]


def test_labels_follow_the_request_language(api_app: Flask, make_caller: MakeCaller,
                                            start_review: StartReview) -> None:
    if "babel" not in api_app.extensions:
        from flask_babel import Babel

        Babel(api_app)
    task_id = _first_task(start_review())

    def note_label(caller: Caller, headers: dict[str, str] | None = None) -> str:
        fields = caller.get(f"/api/tasks/{task_id}", headers=headers).json["form"]["fields"]
        return next(f["label"] for f in fields if f["name"] == "note")

    caller = make_caller(Role.CASE_WORKER, locale="en")
    assert note_label(caller, {"Accept-Language": "nl-BE,nl;q=0.9,fr;q=0.5"}) == "locale:nl"
    assert note_label(caller, {"Accept-Language": "fr"}) == "locale:fr"
    assert note_label(caller) == "locale:en"  # no header: the token user's language


def test_invalid_form_data_is_422_and_nothing_is_saved(worker: Caller, start_review: StartReview,
                                                       db: Database) -> None:
    started = start_review()
    task_id = _first_task(started)
    with db.transaction() as session:
        audit_before = session.scalar(select(func.count(AuditEvent.id)))
        lock_before = session.scalar(select(ProcessInstance.lock_version))

    response = worker.post(f"/api/tasks/{task_id}/complete", json={"amount": -3, "colour": "red"})
    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "validation_failed"
    assert "test.amount" in error["message"]
    assert set(error["fields"]) == {"amount", "colour"}
    missing = worker.post(f"/api/tasks/{task_id}/complete")
    assert missing.status_code == 422
    assert missing.json["error"]["fields"]["amount"] == ["Missing data for required field."]
    wrong_type = worker.post(f"/api/tasks/{task_id}/complete", json={"amount": "lots"})
    assert list(wrong_type.json["error"]["fields"]) == ["amount"]

    assert worker.get(f"/api/tasks/{task_id}").json["state"] == "ready"
    with db.transaction() as session:
        assert session.scalar(select(func.count(AuditEvent.id))) == audit_before
        assert session.scalar(select(ProcessInstance.lock_version)) == lock_before


def test_completing_twice_is_409(worker: Caller, make_caller: MakeCaller, start_review: StartReview) -> None:
    task_id = _first_task(start_review())
    assert worker.post(f"/api/tasks/{task_id}/complete", json={"amount": 5}).status_code == 200
    second = make_caller(Role.CASE_WORKER).post(f"/api/tasks/{task_id}/complete", json={"amount": 7})
    assert second.status_code == 409
    assert second.json["error"]["code"] == "conflict"
    assert "already completed" in second.json["error"]["message"]
    assert worker.get(f"/api/instances/{worker.get(f'/api/tasks/{task_id}').json['instance_id']}"
                      "?include=data").json["data"]["amount"] == 5


def test_someone_else_completing_meanwhile_is_409(worker: Caller, make_caller: MakeCaller,
                                                  start_review: StartReview, api_services: Services,
                                                  db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """The other person commits between our read of the case and our save: our save loses the
    optimistic-lock race, the automatic retry then sees the task done and answers 409."""
    task_id = _first_task(start_review())
    other = make_caller(Role.CASE_WORKER)
    engine = api_services.engine
    real_load = engine.load
    loads: list[int] = []

    def racing_load(instance: ProcessInstance) -> Any:
        loads.append(instance.id)
        if len(loads) == 1:
            with db.transaction() as session:
                engine.complete(session, task_id, {"amount": 1}, user_id=other.user_id)
        return real_load(instance)

    monkeypatch.setattr(engine, "load", racing_load)
    response = worker.post(f"/api/tasks/{task_id}/complete", json={"amount": 2})
    assert response.status_code == 409, response.json
    assert "already completed by API user" in response.json["error"]["message"]
    task = worker.get(f"/api/tasks/{task_id}").json
    assert task["completed_by_id"] == other.user_id


def test_a_lost_race_on_the_case_is_retried_once(worker: Caller, start_review: StartReview,
                                                 api_services: Services, db: Database,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    started = start_review()
    engine = api_services.engine
    real_load = engine.load
    bumps: list[int] = []

    def bumping_load(instance: ProcessInstance) -> Any:
        if not bumps:  # someone else saves the case meanwhile, once
            bumps.append(instance.id)
            with db.transaction() as session:
                session.execute(update(ProcessInstance).where(ProcessInstance.id == instance.id)
                                .values(lock_version=ProcessInstance.lock_version + 1))
        return real_load(instance)

    monkeypatch.setattr(engine, "load", bumping_load)
    response = worker.post(f"/api/tasks/{_first_task(started)}/complete", json={"amount": 5})
    assert response.status_code == 200, response.json
    assert response.json["instance"]["status"] == "completed"
    assert bumps == [started["id"]]


def test_a_race_lost_twice_is_409(worker: Caller, start_review: StartReview, api_services: Services,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    task_id = _first_task(start_review())
    calls: list[int] = []

    def always_stale(*_args: Any, **_kwargs: Any) -> Any:
        calls.append(1)
        raise StaleInstance("Someone else changed this case at the same moment.")

    monkeypatch.setattr(api_services.engine, "complete", always_stale)
    response = worker.post(f"/api/tasks/{task_id}/complete", json={"amount": 5})
    assert response.status_code == 409
    assert response.json["error"]["message"] == "Someone else changed this case at the same moment."
    assert len(calls) == 2


def test_claim_and_unclaim(worker: Caller, make_caller: MakeCaller, manager: Caller,
                           start_review: StartReview) -> None:
    task_id = _first_task(start_review())
    colleague = make_caller(Role.CASE_WORKER)
    claimed = worker.post(f"/api/tasks/{task_id}/claim")
    assert claimed.status_code == 200
    assert claimed.json["assignee_id"] == worker.user_id
    assert worker.post(f"/api/tasks/{task_id}/claim").status_code == 200  # idempotent for the holder

    taken = colleague.post(f"/api/tasks/{task_id}/claim")
    assert taken.status_code == 409
    assert "taken by someone else" in taken.json["error"]["message"]
    not_yours = colleague.post(f"/api/tasks/{task_id}/complete", json={"amount": 5})
    assert not_yours.status_code == 403
    assert colleague.post(f"/api/tasks/{task_id}/unclaim").status_code == 403

    released = worker.post(f"/api/tasks/{task_id}/unclaim")
    assert released.status_code == 200
    assert released.json["assignee_id"] is None
    assert colleague.post(f"/api/tasks/{task_id}/claim").status_code == 200
    dispatcher = make_caller(Role.DISPATCHER)
    assert dispatcher.post(f"/api/tasks/{task_id}/unclaim").json["assignee_id"] is None
    assert colleague.post(f"/api/tasks/{task_id}/claim").status_code == 200
    # a manager may complete a task someone else holds
    assert manager.post(f"/api/tasks/{task_id}/complete", json={"amount": 5}).status_code == 200
    assert worker.post(f"/api/tasks/{task_id}/claim").status_code == 409


def test_task_list_filters_and_pagination(worker: Caller, start_review: StartReview) -> None:
    tasks = [_first_task(start_review()) for _ in range(4)]
    worker.post(f"/api/tasks/{tasks[0]}/claim")
    completed = worker.post(f"/api/tasks/{tasks[1]}/complete", json={"amount": 5000}).json
    expert_task = completed["instance"]["open_tasks"][0]

    def ids(query: str = "") -> list[int]:
        response = worker.get(f"/api/tasks{query}")
        assert response.status_code == 200, response.json
        return [t["id"] for t in response.json["items"]]

    assert ids() == [tasks[0], tasks[2], tasks[3], expert_task["id"]]
    assert ids("?assignee=me") == [tasks[0]]
    assert ids(f"?assignee={worker.user_id}") == [tasks[0]]
    assert ids("?assignee=none") == [tasks[2], tasks[3], expert_task["id"]]
    assert ids("?queue=experts") == [expert_task["id"]]
    assert ids("?state=completed") == [tasks[1]]
    assert ids("?state=all&limit=100") == sorted([*tasks, expert_task["id"]])
    assert ids(f"?instance_id={expert_task['instance_id']}&state=all") == [tasks[1], expert_task["id"]]
    first = worker.get("/api/tasks?limit=3").json
    assert len(first["items"]) == 3
    rest = worker.get(f"/api/tasks?limit=3&cursor={first['next_cursor']}").json
    assert [t["id"] for t in rest["items"]] == [expert_task["id"]]
    assert rest["next_cursor"] is None
    assert worker.get("/api/tasks?assignee=somebody").status_code == 422
    assert worker.get("/api/tasks?state=sleeping").status_code == 422
