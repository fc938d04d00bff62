"""Every /api error is JSON: ``{"error": {"code": ..., "message": ..., "fields": {...}}}``.

Handlers are registered on the blueprint, and a catch-all route inside /api turns unknown URLs
and wrong methods into JSON 404/405 (Flask routes those errors to app-level handlers only, which
belong to the HTML web app), so /api never answers with an HTML page.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import current_app, jsonify, request
from flask.typing import ResponseReturnValue
from marshmallow import ValidationError
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from engine.workflow.errors import (
    ConflictError,
    DeploymentError,
    EngineError,
    Forbidden,
    FormInvalid,
    InvalidState,
    NotFound,
)
from webapp.api import api_bp
from webapp.errors import DATABASE_RETRY_AFTER_S, database_unavailable

FALLBACK_ENDPOINT = "fallback"  # the catch-all route: not an API operation, left out of OpenAPI
_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")

# HTTP status -> machine-readable code used when an error carries no code of its own.
CODES: dict[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "too_many_requests",
    500: "internal_error",
    503: "database_unavailable",
}


class ApiError(Exception):
    """An error answered as JSON with an HTTP status; raise it from any view."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        fields: Mapping[str, list[str]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code or CODES.get(status, "error")
        self.fields = dict(fields or {})
        self.headers = dict(headers or {})


def error_response(
    status: int,
    message: str,
    *,
    code: str | None = None,
    fields: Mapping[str, list[str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> ResponseReturnValue:
    body: dict[str, Any] = {"code": code or CODES.get(status, "error"), "message": message}
    if fields:
        body["fields"] = dict(fields)
    response = jsonify({"error": body})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def flatten_messages(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested error messages as ``{"field.sub": ["message", ...]}``."""
    out: dict[str, list[str]] = {}
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(value, Mapping):
                out.update(flatten_messages(value, name))
            else:
                out[name] = [str(v) for v in (value if isinstance(value, list) else [value])]
    else:
        out[prefix or "_schema"] = [str(m) for m in (messages if isinstance(messages, list) else [messages])]
    return out


# ----------------------------------------------------------------- handlers


@api_bp.errorhandler(ApiError)
def _api_error(exc: ApiError) -> ResponseReturnValue:
    return error_response(exc.status, exc.message, code=exc.code, fields=exc.fields, headers=exc.headers)


@api_bp.errorhandler(ValidationError)
def _validation_error(exc: ValidationError) -> ResponseReturnValue:
    return error_response(422, "The request has invalid fields; see error.fields.",
                          fields=flatten_messages(exc.messages))


@api_bp.errorhandler(FormInvalid)
def _form_invalid(exc: FormInvalid) -> ResponseReturnValue:
    return error_response(422, f"The form {exc.form_key} has errors; nothing was saved.",
                          fields=exc.errors)


@api_bp.errorhandler(NotFound)
def _not_found(exc: NotFound) -> ResponseReturnValue:
    return error_response(404, str(exc))


@api_bp.errorhandler(Forbidden)
def _forbidden(exc: Forbidden) -> ResponseReturnValue:
    return error_response(403, str(exc))


@api_bp.errorhandler(ConflictError)
def _conflict(exc: ConflictError) -> ResponseReturnValue:
    return error_response(409, str(exc))


@api_bp.errorhandler(InvalidState)
def _invalid_state(exc: InvalidState) -> ResponseReturnValue:
    return error_response(409, str(exc), code="invalid_state")


@api_bp.errorhandler(DeploymentError)
def _deployment_error(exc: DeploymentError) -> ResponseReturnValue:
    fields: dict[str, list[str]] = {}
    for problem in exc.problems:
        fields.setdefault(problem.element_id or problem.file, []).append(problem.message)
    return error_response(422, "The diagram was refused.", code="deployment_refused", fields=fields)


@api_bp.errorhandler(EngineError)
def _engine_error(exc: EngineError) -> ResponseReturnValue:
    return error_response(400, str(exc))


@api_bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> ResponseReturnValue:
    status = exc.code or 500
    headers = {}
    if status == 405 and getattr(exc, "valid_methods", None):
        headers["Allow"] = ", ".join(exc.valid_methods)  # type: ignore[attr-defined]
    return error_response(status, exc.description or exc.name, headers=headers)


@api_bp.errorhandler(DBAPIError)
def _database_error(exc: DBAPIError) -> ResponseReturnValue:
    if not database_unavailable(exc):
        return _unexpected(exc)
    current_app.logger.warning("database unavailable in %s %s", request.method, request.path)
    return error_response(503, "The database cannot be reached at the moment; nothing was saved. Try again "
                               "in a few seconds.", headers={"Retry-After": str(DATABASE_RETRY_AFTER_S)})


@api_bp.errorhandler(Exception)
def _unexpected(exc: Exception) -> ResponseReturnValue:
    current_app.logger.exception("unhandled error in %s %s", request.method, request.path)
    return error_response(500, "An unexpected error occurred; it has been logged. Try again later, "
                               "and contact the administrator if it persists.")


# ----------------------------------------------------------------- unknown URLs and methods


@api_bp.route("/", defaults={"path": ""}, methods=_METHODS, endpoint=FALLBACK_ENDPOINT)
@api_bp.route("/<path:path>", methods=_METHODS, endpoint=FALLBACK_ENDPOINT)
def fallback(path: str) -> ResponseReturnValue:
    """Reached when no API route matches the URL, or only with other methods."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    allowed = []
    for method in _METHODS:
        try:
            rule, _ = adapter.match(method=method, return_rule=True)
        except HTTPException:
            continue
        if rule.endpoint != request.endpoint:
            allowed.append(method)
    if allowed:
        return error_response(405, f"{request.method} is not allowed on {request.path}; use "
                                   f"{', '.join(allowed)}.", headers={"Allow": ", ".join(allowed)})
    return error_response(404, f"There is no API endpoint at {request.path}; "
                               "GET /api/openapi.json lists them all.")


fallback._api_public = True  # type: ignore[attr-defined]
