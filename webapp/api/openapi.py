"""The OpenAPI 3 document, built with apispec from the routes and their ``@operation``s."""

from __future__ import annotations

import re
from collections import defaultdict
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask, current_app, jsonify
from flask.typing import ResponseReturnValue

from engine.access.models import Role
from webapp.api import api_bp
from webapp.api.auth import STAFF
from webapp.api.operation import OperationDoc, operation
from webapp.api.schemas import ErrorSchema
from webapp.api.util import DEFAULT_LIMIT, MAX_LIMIT

OPENAPI_VERSION = "3.0.3"
SECURITY_SCHEME = "bearerAuth"
_RULE_ARG = re.compile(r"<(?:(?P<converter>\w+)(?:\([^)]*\))?:)?(?P<name>\w+)>")
_CONVERTER_TYPES = {"int": "integer", "float": "number"}

# status -> (component name, description)
ERROR_RESPONSES: dict[int, tuple[str, str]] = {
    400: ("BadRequest", "Malformed request: the body is not a JSON object, or the action is not possible."),
    401: ("Unauthorized", "No API token, or an unknown or revoked one (see the WWW-Authenticate header)."),
    403: ("Forbidden", "The token's user lacks the role this endpoint needs, or may not act on this object."),
    404: ("NotFound", "The object does not exist (or no instance waits for the message)."),
    409: ("Conflict", "Someone else changed the object first, or its state does not allow the action; "
                      "nothing was saved."),
    422: ("ValidationFailed", "Invalid fields; error.fields maps each field to its messages. Nothing was saved."),
    500: ("InternalError", "An unexpected error, logged on the server."),
}

DESCRIPTION = f"""JSON API of Guichet for integration clients.

**Authentication.** Send `Authorization: Bearer <token>`; an administrator creates tokens with
`guichet tokens create`. Each endpoint also needs one of the roles it lists (administrators pass).

**Errors.** Every error is `{{"error": {{"code": "...", "message": "...", "fields": {{...}}}}}}`;
`fields` (per-field messages) is present on validation errors (422).

**Pagination.** Lists take `limit` (default {DEFAULT_LIMIT}, capped at {MAX_LIMIT}) and return
`next_cursor`; pass it back as `cursor` for the next page (`null` on the last page). `offset`
skips rows after the cursor.
"""


def _api_version() -> str:
    try:
        return version("guichet")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0"


def _roles_text(roles: frozenset[Role]) -> str:
    if roles >= STAFF - {Role.ADMINISTRATOR}:
        return "Roles: any back-office role."
    names = ", ".join(sorted(r.value for r in roles if r != Role.ADMINISTRATOR))
    return f"Roles: {names} (or administrator)." if names else "Roles: administrator."


def _operation(spec_doc: OperationDoc, endpoint: str, path_params: list[dict[str, Any]]) -> dict[str, Any]:
    op: dict[str, Any] = {
        "operationId": endpoint.rpartition(".")[2],
        "tags": [spec_doc.tag],
        "summary": spec_doc.summary,
    }
    description = spec_doc.description
    if spec_doc.roles is None:
        op["security"] = []
    else:
        description = (description + "\n\n" if description else "") + _roles_text(spec_doc.roles)
    if description:
        op["description"] = description
    parameters = list(path_params)
    if spec_doc.query is not None:
        parameters.append({"in": "query", "schema": spec_doc.query})
    if parameters:
        op["parameters"] = parameters
    if spec_doc.body is not None:
        op["requestBody"] = {
            "required": spec_doc.body_required,
            "content": {"application/json": {"schema": spec_doc.body}},
        }
        if spec_doc.body_description:
            op["requestBody"]["description"] = spec_doc.body_description
    success: dict[str, Any] = {"description": spec_doc.summary}
    if spec_doc.response is not None:
        success["content"] = {"application/json": {"schema": spec_doc.response}}
    responses: dict[str, Any] = {str(spec_doc.status): success}
    statuses = set(spec_doc.errors) | {500}
    if spec_doc.roles is not None:
        statuses |= {401, 403}
    if spec_doc.body is not None:
        statuses |= {400, 422}
    for status in sorted(statuses):
        responses[str(status)] = ERROR_RESPONSES[status][0]
    op["responses"] = responses
    return op


def build_openapi(app: Flask) -> dict[str, Any]:
    spec = APISpec(
        title="Guichet API",
        version=_api_version(),
        openapi_version=OPENAPI_VERSION,
        plugins=[MarshmallowPlugin()],
        info={"description": DESCRIPTION},
        servers=[{"url": "/"}],
        security=[{SECURITY_SCHEME: []}],
    )
    spec.components.security_scheme(SECURITY_SCHEME, {
        "type": "http", "scheme": "bearer",
        "description": "An API token (gt_…) created with `guichet tokens create`.",
    })
    spec.components.schema("Error", schema=ErrorSchema)
    for name, description in ERROR_RESPONSES.values():
        spec.components.response(name, {
            "description": description, "content": {"application/json": {"schema": "Error"}},
        })

    paths: dict[str, dict[str, Any]] = defaultdict(dict)
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        view = app.view_functions.get(rule.endpoint)
        spec_doc: OperationDoc | None = getattr(view, "_api_doc", None)
        if not rule.endpoint.startswith(f"{api_bp.name}.") or spec_doc is None:
            continue
        path_params = [
            {"in": "path", "name": m["name"], "required": True,
             "schema": {"type": _CONVERTER_TYPES.get(m["converter"] or "", "string")}}
            for m in _RULE_ARG.finditer(rule.rule)
        ]
        path = _RULE_ARG.sub(lambda m: "{" + m["name"] + "}", rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            paths[path][method.lower()] = _operation(spec_doc, rule.endpoint, path_params)
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


@api_bp.get("/openapi.json")
@operation(tag="meta", summary="This OpenAPI 3 document", roles=None)
def openapi_document() -> ResponseReturnValue:
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    document = app.extensions.get("guichet_api_openapi")
    if document is None:
        document = app.extensions["guichet_api_openapi"] = build_openapi(app)
    return jsonify(document)
