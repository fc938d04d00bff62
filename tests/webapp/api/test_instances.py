"""Starting, reading, listing and managing instances."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select

from engine.db import Database
from engine.privacy.models import AccessLog
from tests.webapp.api.conftest import Caller

StartReview = Callable[..., dict[str, Any]]


def test_start(designer: Caller, review) -> None:
    response = designer.post(
        "/api/instances",
        json={"process_key": "review", "data": {"origin": "api"}, "subject": {"type": "dossier", "id": 42}},
    )
    assert response.status_code == 201
    body = response.json
    assert response.headers["Location"].endswith(f"/api/instances/{body['id']}")
    assert body["status"] == "waiting"
    assert body["phase"] == "request"
    assert body["process_key"] == "review"
    assert body["process_version"] == 1
    assert body["subject"] == {"type": "dossier", "id": 42}
    assert body["started_by_id"] == designer.user_id
    assert [t["bpmn_id"] for t in body["open_tasks"]] == ["enter"]
    assert body["open_tasks"][0]["queue"] == "frontdesk"
    assert body["incidents"] == []
    assert "data" not in body


def test_get(worker: Caller, start_review: StartReview, db: Database) -> None:
    started = start_review(origin="api")
    body = worker.get(f"/api/instances/{started['id']}").json
    assert body["open_tasks"] == started["open_tasks"]
    assert "data" not in body
    with db.transaction() as session:  # the bare instance holds no case data: nothing logged
        assert session.scalar(select(func.count()).select_from(AccessLog)) == 0
    body = worker.get(f"/api/instances/{started['id']}?include=data").json
    assert body["data"]["origin"] == "api"
    with db.transaction() as session:  # reading the case data through the API is in the access log
        logged = session.scalars(select(AccessLog)).all()
    assert [(e.action, e.record_type, e.record_id, e.record_key, e.actor_id) for e in logged] == [
        ("view", "process_instance", started["id"], "data", worker.user_id)]


def test_list_filters(worker: Caller, designer: Caller, start_review: StartReview) -> None:
    first = start_review()
    second = designer.post(
        "/api/instances", json={"process_key": "review", "subject": {"type": "dossier", "id": 7}}
    ).json
    third = start_review()
    assert worker.post(f"/api/tasks/{third['open_tasks'][0]['id']}/complete", json={"amount": 5}).status_code == 200

    def ids(query: str = "") -> list[int]:
        response = worker.get(f"/api/instances{query}")
        assert response.status_code == 200, response.json
        return [i["id"] for i in response.json["items"]]

    assert ids() == [third["id"], second["id"], first["id"]]
    assert ids("?status=completed") == [third["id"]]
    assert ids("?status=waiting") == [second["id"], first["id"]]
    assert ids("?process_key=review&subject=dossier:7") == [second["id"]]
    assert ids("?process_key=other") == []


def test_pagination(worker: Caller, start_review: StartReview) -> None:
    started = sorted((start_review()["id"] for _ in range(5)), reverse=True)
    page = worker.get("/api/instances?limit=2").json
    assert [i["id"] for i in page["items"]] == started[:2]
    assert page["limit"] == 2
    seen = [i["id"] for i in page["items"]]
    while page["next_cursor"]:
        page = worker.get(f"/api/instances?limit=2&cursor={page['next_cursor']}").json
        seen += [i["id"] for i in page["items"]]
    assert seen == started
    assert [i["id"] for i in worker.get("/api/instances?limit=2&offset=3").json["items"]] == started[3:]
    assert worker.get("/api/instances?limit=100000").json["limit"] == 200  # capped


def test_suspend_resume_terminate(manager: Caller, worker: Caller, start_review: StartReview) -> None:
    iid = start_review()["id"]
    task_id = worker.get(f"/api/instances/{iid}").json["open_tasks"][0]["id"]

    suspended = manager.post(f"/api/instances/{iid}/suspend")
    assert suspended.status_code == 200
    assert suspended.json["status"] == "suspended"
    again = manager.post(f"/api/instances/{iid}/suspend")
    assert again.status_code == 409
    assert again.json["error"]["code"] == "invalid_state"
    refused = worker.post(f"/api/tasks/{task_id}/complete", json={"amount": 5})
    assert refused.status_code == 409
    assert "suspended" in refused.json["error"]["message"]

    resumed = manager.post(f"/api/instances/{iid}/resume")
    assert resumed.json["status"] == "waiting"
    assert manager.post(f"/api/instances/{iid}/resume").status_code == 409

    terminated = manager.post(f"/api/instances/{iid}/terminate", json={"reason": "duplicate"})
    assert terminated.status_code == 200
    assert terminated.json["status"] == "terminated"
    assert terminated.json["open_tasks"] == []
    assert worker.get(f"/api/tasks/{task_id}").json["state"] == "cancelled"
    assert manager.post(f"/api/instances/{iid}/terminate").status_code == 409

    audit = manager.get(f"/api/instances/{iid}/audit").json["items"]
    kinds = [e["kind"] for e in audit]
    assert kinds[-3:] == ["instance_suspended", "instance_resumed", "instance_terminated"]
    assert audit[-1]["detail"] == {"reason": "duplicate"}
    assert audit[-1]["actor_id"] == manager.user_id


def test_workers_may_not_manage(worker: Caller, start_review: StartReview) -> None:
    iid = start_review()["id"]
    for action in ("suspend", "resume", "terminate"):
        assert worker.post(f"/api/instances/{iid}/{action}").status_code == 403


def test_audit_is_paginated_oldest_first(worker: Caller, start_review: StartReview) -> None:
    iid = start_review()["id"]
    everything = worker.get(f"/api/instances/{iid}/audit").json["items"]
    assert everything[0]["kind"] == "instance_started"
    assert len(everything) >= 2
    first = worker.get(f"/api/instances/{iid}/audit?limit=1").json
    assert [e["id"] for e in first["items"]] == [everything[0]["id"]]
    rest = worker.get(f"/api/instances/{iid}/audit?limit=50&cursor={first['next_cursor']}").json
    assert [e["id"] for e in rest["items"]] == [e["id"] for e in everything[1:]]
    assert rest["next_cursor"] is None
