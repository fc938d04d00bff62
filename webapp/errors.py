"""Error pages: JSON (RFC 9457 problem details) for the API and for clients asking for JSON,
HTML pages for browsers. Engine errors that escape a view map to their HTTP status."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, jsonify, render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

from engine.workflow.errors import ConflictError, EngineError, Forbidden, FormInvalid, InvalidState, NotFound
from webapp.auth.identity import wants_json

log = logging.getLogger(__name__)

ENGINE_STATUS: list[tuple[type[EngineError], int]] = [
    (NotFound, 404),
    (Forbidden, 403),
    (FormInvalid, 422),
    (ConflictError, 409),
    (InvalidState, 409),
]


def _explanation(status: int) -> str:
    """A sentence that tells people what happened and what to do, in their language."""
    texts = {
        400: _("The request could not be understood. Go back, reload the page and try again."),
        401: _("Sign in first."),
        403: _("You do not have the role needed for this page. Ask an administrator if you need it."),
        404: _("This page does not exist, or what it showed was removed."),
        405: _("This address cannot be used like this."),
        409: _("Someone else changed this at the same moment. Reload the page and try again."),
        422: _("Some values are not valid."),
        429: _("Too many attempts. Wait a minute, then try again."),
        500: _("Something went wrong on our side. The error was logged; try again in a moment."),
        503: _("The database cannot be reached at the moment. Nothing was saved; try again in a few "
               "seconds."),
    }
    return texts.get(status, _("The request could not be completed."))


def _title(status: int) -> str:
    titles = {
        400: _("Bad request"),
        401: _("Sign-in needed"),
        403: _("Access refused"),
        404: _("Page not found"),
        405: _("Method not allowed"),
        409: _("Conflict"),
        422: _("Invalid input"),
        429: _("Too many attempts"),
        500: _("Server error"),
        503: _("Temporarily unavailable"),
    }
    return titles.get(status, _("Error"))


def render_error(status: int, detail: str | None = None, **extra: Any) -> Any:
    if wants_json():
        body: dict[str, Any] = {"type": "about:blank", "title": _title(status), "status": status,
                                "detail": detail or _explanation(status), **extra}
        response = jsonify(body)
        response.status_code = status
        response.mimetype = "application/problem+json"
        return response
    template = "errors/too_many_requests.html" if status == 429 else "errors/error.html"
    return render_template(template, status=status, title=_title(status),
                           detail=detail or _explanation(status)), status


def _http_error(error: HTTPException) -> Any:
    status = error.code or 500
    response = render_error(status)
    if status == 429 and getattr(error, "retry_after", None):
        response = _with_header(response, "Retry-After", str(error.retry_after))
    return response


def _with_header(response: Any, name: str, value: str) -> Any:
    if isinstance(response, tuple):
        body, status = response
        return body, status, {name: value}
    response.headers[name] = value
    return response


def _csrf_error(error: CSRFError) -> Any:
    return render_error(400, _("The form expired or was sent from another site. Reload the page, "
                               "then submit it again."))


def _engine_error(error: EngineError) -> Any:
    status = next((code for cls, code in ENGINE_STATUS if isinstance(error, cls)), 500)
    extra = {"errors": error.errors} if isinstance(error, FormInvalid) else {}
    return render_error(status, str(error), **extra)


# how long a client should wait before trying again when the database is unreachable
DATABASE_RETRY_AFTER_S = 5


def database_unavailable(error: Exception) -> bool:
    """The database could not be reached or dropped the connection (a restart, a failover): the
    request can succeed a moment later, once the pool's pre-ping finds the server back."""
    return isinstance(error, OperationalError) or (isinstance(error, DBAPIError) and error.connection_invalidated)


def _database_error(error: DBAPIError) -> Any:
    if not database_unavailable(error):
        return _unexpected(error)
    log.warning("database unavailable: %s", str(error.orig or error).strip().splitlines()[0])
    return _with_header(render_error(503), "Retry-After", str(DATABASE_RETRY_AFTER_S))


def _unexpected(error: Exception) -> Any:
    if isinstance(error, HTTPException):
        return _http_error(error)
    log.exception("unexpected error", exc_info=error)
    return render_error(InternalServerError.code)


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(EngineError, _engine_error)
    app.register_error_handler(DBAPIError, _database_error)
    if not app.testing and not app.debug:
        app.register_error_handler(Exception, _unexpected)
