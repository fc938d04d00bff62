"""Fuzz every operation of the REST API from its own OpenAPI document (schemathesis, in process
through WSGI, no network): generated path parameters, query strings and bodies, sent with the
bearer token of an integration user holding every back-office role, against seeded data (deployed
diagrams, started instances with open tasks). No operation may answer with a server error.

Bounded and reproducible: a few derandomized examples per operation, so the whole run stays
within seconds and a failure replays identically."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.schemas import BaseOpenAPISchema

from engine.access.models import Role
from engine.workflow.models import ProcessVersion
from tests.webapp.api.conftest import Caller, MakeCaller

EXAMPLES_PER_OPERATION = 20


@pytest.fixture
def integration_user(make_caller: MakeCaller) -> Caller:
    roles = (Role.ADMINISTRATOR, Role.PROCESS_DESIGNER, Role.MANAGER, Role.CASE_WORKER)
    return make_caller(*[role for role in roles if role in Role])


@pytest.fixture
def api_schema(api_app: Any, integration_user: Caller, review: ProcessVersion, payment: int,
               start_review: Callable[..., dict[str, Any]]) -> BaseOpenAPISchema:
    """The API's OpenAPI document, loaded from the app, with data to find: two review instances
    (one waiting for an approval task) and the payment diagram."""
    start_review(amount=50)
    start_review(amount=5000)
    return schemathesis.from_wsgi("/api/openapi.json", api_app)


schema = schemathesis.from_pytest_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_no_operation_answers_with_a_server_error(case: schemathesis.Case, integration_user: Caller) -> None:
    response = case.call_wsgi(headers={"Authorization": f"Bearer {integration_user.token}"})
    case.validate_response(response, checks=(not_a_server_error,))


@pytest.mark.parametrize("method, url", [
    ("get", "/api/instances/9223372036854775808"),
    ("get", "/api/tasks/2147483648"),
    ("post", "/api/tasks/9223372036854775808/claim"),
    ("get", "/api/process-versions/99999999999999999999"),
])
def test_an_id_beyond_any_row_is_not_found(integration_user: Caller, method: str, url: str) -> None:
    """Found by the fuzzing: the database overflowed on such ids (500)."""
    response = getattr(integration_user, method)(url)
    assert response.status_code == 404, response.json
    assert response.json["error"]["code"] == "not_found"


@pytest.mark.parametrize("query", ["instance_id=9223372036854775808", "assignee=2147483648"])
def test_an_id_beyond_any_row_in_a_query_is_invalid(integration_user: Caller, query: str) -> None:
    assert integration_user.get(f"/api/tasks?{query}").status_code == 422
    assert integration_user.get("/api/instances?subject=dossier:2147483648").status_code == 422


def test_an_anonymous_caller_still_gets_401_first(api_app: Any) -> None:
    assert api_app.test_client().get("/api/instances/9223372036854775808").status_code == 401
