"""The OpenAPI document describes every /api route, the schemas, the security and the errors."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask

from webapp.api.openapi import build_openapi

HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
def document(api_app: Flask) -> dict[str, Any]:
    response = api_app.test_client().get("/api/openapi.json")  # public: no token
    assert response.status_code == 200
    assert response.is_json
    return response.json


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [v for k, v in node.items() if k == "$ref"] + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def test_header(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.0.")
    assert document["info"]["title"] == "Guichet API"
    assert document["info"]["version"]
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "description": document["components"]["securitySchemes"]
        ["bearerAuth"]["description"]}
    assert document["security"] == [{"bearerAuth": []}]


def test_every_api_route_is_described(api_app: Flask, document: dict[str, Any]) -> None:
    expected = set()
    for rule in api_app.url_map.iter_rules():
        if not rule.rule.startswith("/api/") or rule.endpoint == "api.fallback":
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            expected.add((path, method.lower()))
    described = {(path, method) for path, item in document["paths"].items() for method in item
                 if method in HTTP_METHODS}
    assert expected == described
    assert len(described) >= 16


def test_operations(document: dict[str, Any]) -> None:
    operation_ids = []
    for path, item in document["paths"].items():
        for method, op in item.items():
            operation_ids.append(op["operationId"])
            assert op["summary"] and op["tags"], (path, method)
            responses = op["responses"]
            assert any(code.startswith("2") for code in responses), (path, method)
            assert responses["500"] == {"$ref": "#/components/responses/InternalError"}
            if op.get("security") == []:
                assert path == "/api/openapi.json"
            else:
                assert "401" in responses and "403" in responses, (path, method)
                assert "Roles:" in op["description"]
            for name in re.findall(r"{(\w+)}", path):
                [param] = [p for p in op["parameters"] if p["in"] == "path" and p["name"] == name]
                assert param["required"] is True
                assert param["schema"] == {"type": "integer"}
    assert len(operation_ids) == len(set(operation_ids))


def test_schemas_and_errors(document: dict[str, Any]) -> None:
    components = document["components"]
    schemas = components["schemas"]
    error = schemas["Error"]
    assert error["required"] == ["error"]
    detail = schemas[error["properties"]["error"]["$ref"].rpartition("/")[2]]
    assert set(detail["properties"]) == {"code", "message", "fields"}
    assert set(detail["required"]) == {"code", "message"}
    for name in ("Unauthorized", "Forbidden", "NotFound", "Conflict", "ValidationFailed", "BadRequest"):
        assert components["responses"][name]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Error"}
    assert {"Task", "TaskDetail", "InstanceDetail", "StartInstance", "Message", "Form", "FormField",
            "ProcessVersion", "AuditEventPage"} <= set(schemas)
    assert set(schemas["StartInstance"]["required"]) == {"process_key"}
    assert schemas["FormData"]["additionalProperties"] is True

    complete = document["paths"]["/api/tasks/{task_id}/complete"]["post"]
    assert complete["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/FormData"}
    assert {"409", "422"} <= set(complete["responses"])
    tasks = document["paths"]["/api/tasks"]["get"]
    assert {"limit", "cursor", "offset", "state", "assignee", "queue"} <= {p["name"] for p in tasks["parameters"]}


def test_every_reference_resolves(document: dict[str, Any]) -> None:
    refs = _refs(document)
    assert refs
    for ref in refs:
        node: Any = document
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]


def test_document_is_valid_openapi(api_app: Flask) -> None:
    import openapi_spec_validator as validator  # a test extra: missing means `make test` was not used
    validator.validate(build_openapi(api_app))
