"""/api answers every error in JSON, with the documented shape."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.webapp.api.conftest import Caller
from webapp.bootstrap import Services


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.data
    assert response.is_json, response.data
    error = response.json["error"]
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    return error


@pytest.mark.parametrize("url", ["/api/nope", "/api/", "/api/tasks/abc", "/api/instances/1/nope/deeper"])
def test_unknown_url_is_json_404(api_app: Flask, url: str) -> None:
    error = _error(api_app.test_client().get(url), 404, "not_found")
    assert "openapi.json" in error["message"]


def test_wrong_method_is_json_405(api_app: Flask) -> None:
    response = api_app.test_client().delete("/api/tasks/1/claim")
    _error(response, 405, "method_not_allowed")
    assert response.headers["Allow"] == "POST"
    response = api_app.test_client().put("/api/instances")
    _error(response, 405, "method_not_allowed")
    assert set(response.headers["Allow"].split(", ")) == {"GET", "POST"}


def test_missing_objects_are_json_404(admin: Caller) -> None:
    for url in ("/api/instances/999", "/api/instances/999/audit", "/api/tasks/999",
                "/api/process-versions/999"):
        error = _error(admin.get(url), 404, "not_found")
        assert "999" in error["message"]
    _error(admin.post("/api/tasks/999/complete", json={}), 404, "not_found")
    _error(admin.post("/api/tasks/999/claim"), 404, "not_found")
    _error(admin.post("/api/instances/999/suspend"), 404, "not_found")


def test_malformed_json_is_400(admin: Caller) -> None:
    response = admin.post("/api/instances", data="{not json", content_type="application/json")
    _error(response, 400, "malformed_json")
    response = admin.post("/api/instances", data="[1, 2]", content_type="application/json")
    _error(response, 400, "malformed_json")
    _error(admin.post("/api/instances"), 400, "missing_body")


def test_invalid_body_is_422_with_fields(admin: Caller) -> None:
    error = _error(admin.post("/api/instances", json={"data": "x", "colour": "red"}), 422, "validation_failed")
    assert set(error["fields"]) == {"process_key", "data", "colour"}
    assert all(isinstance(m, list) and m for m in error["fields"].values())


def test_unknown_process_is_422_on_its_field(admin: Caller) -> None:
    error = _error(admin.post("/api/instances", json={"process_key": "nope"}), 422, "validation_failed")
    assert "nope" in error["fields"]["process_key"][0]


def test_invalid_query_is_422(admin: Caller) -> None:
    error = _error(admin.get("/api/instances?status=sleeping&limit=0&subject=42"), 422, "validation_failed")
    assert set(error["fields"]) == {"status", "limit", "subject"}
    error = _error(admin.get("/api/instances?cursor=garbage"), 422, "validation_failed")
    assert "cursor" in error["fields"]
    _error(admin.get("/api/instances/1?include=everything"), 422, "validation_failed")


def test_unexpected_error_is_json_500(admin: Caller, api_services: Services, review,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_args, **_kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(api_services.engine, "start", boom)
    error = _error(admin.post("/api/instances", json={"process_key": "review"}), 500, "internal_error")
    assert "secret" not in error["message"]
