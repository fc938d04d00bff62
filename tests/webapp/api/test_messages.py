"""Messages from integration clients."""

from __future__ import annotations

from engine.access.models import Role
from tests.webapp.api.conftest import Caller, MakeCaller


def _start_payment(admin: Caller, case_id: str) -> int:
    response = admin.post("/api/instances", json={"process_key": "payment", "data": {"case_id": case_id}})
    assert response.status_code == 201, response.json
    assert response.json["status"] == "waiting"
    return response.json["id"]


def test_nobody_waits_is_404(worker: Caller) -> None:
    response = worker.post("/api/messages", json={"name": "payment_received", "payload": {"amount": 10}})
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"
    assert "payment_received" in response.json["error"]["message"]


def test_message_body_is_validated(worker: Caller) -> None:
    response = worker.post("/api/messages", json={"payload": 1, "correlations": "x", "instance_id": "one"})
    assert response.status_code == 422
    assert set(response.json["error"]["fields"]) == {"name", "correlations", "instance_id"}


def test_no_correlations_when_the_process_expects_some_is_404(admin: Caller, payment: int) -> None:
    _start_payment(admin, "C-1")
    response = admin.post("/api/messages", json={"name": "payment_received", "payload": {"case_id": "C-1"}})
    assert response.status_code == 404


def test_delivered_to_the_matching_instance(admin: Caller, make_caller: MakeCaller, payment: int) -> None:
    first = _start_payment(admin, "C-1")
    second = _start_payment(admin, "C-2")
    client = make_caller(Role.CASE_WORKER)
    response = client.post("/api/messages", json={
        "name": "payment_received", "payload": {"case_id": "C-2", "amount": 25},
        "correlations": {"case_key": {"case_id": "C-2"}},
    })
    assert response.status_code == 200, response.json
    assert response.json == {"delivered": [second]}
    done = admin.get(f"/api/instances/{second}?include=data").json
    assert done["status"] == "completed"
    assert done["data"]["payment"] == {"case_id": "C-2", "amount": 25}
    assert admin.get(f"/api/instances/{first}").json["status"] == "waiting"
    audit = admin.get(f"/api/instances/{second}/audit").json["items"]
    received = next(e for e in audit if e["kind"] == "message_received")
    assert received["actor_id"] == client.user_id


def test_wrong_correlation_or_instance_is_404(admin: Caller, payment: int) -> None:
    waiting = _start_payment(admin, "C-1")
    response = admin.post("/api/messages", json={
        "name": "payment_received", "payload": {"case_id": "C-9"},
        "correlations": {"case_key": {"case_id": "C-9"}}})
    assert response.status_code == 404
    response = admin.post("/api/messages", json={"name": "payment_received", "payload": {"case_id": "C-1"},
                                                 "instance_id": waiting + 1})
    assert response.status_code == 404
    assert admin.get(f"/api/instances/{waiting}").json["status"] == "waiting"


def test_payload_without_the_correlation_property_is_422(admin: Caller, payment: int) -> None:
    waiting = _start_payment(admin, "C-1")
    for payload in ({"amount": 25}, 25, None):
        response = admin.post("/api/messages", json={
            "name": "payment_received", "payload": payload, "correlations": {"case_key": {"case_id": "C-1"}}})
        assert response.status_code == 422, (payload, response.json)
        assert "payload" in response.json["error"]["fields"]
    assert admin.get(f"/api/instances/{waiting}").json["status"] == "waiting"


def test_integration_client_may_send_messages_but_not_complete_tasks(api_app, make_caller) -> None:
    from engine.access.models import Role

    client = make_caller(Role.INTEGRATION)
    response = client.post("/api/messages", json={"name": "nobody_waits", "payload": {}})
    assert response.status_code == 404  # allowed to send; nobody waits
    assert client.post("/api/tasks/1/complete", json={}).status_code == 403
