"""Structured logs: with GUICHET_LOG_FORMAT=json every line is one JSON object (time, level,
logger, message, and for the web the request id, user id, path, status and duration), which log
shippers read without parsing rules. Text stays the default so a developer's terminal stays
readable.

The web adds a request id to every request (the ``X-Request-ID`` the proxy sent, or a new one),
returns it in the response header and puts it on every log line written while the request runs,
so one request's lines can be found across the proxy, gunicorn and Guichet.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import sys
import time
import uuid
from typing import Any

from flask import Flask, Response, g, has_request_context, request

from webapp.security import loggable_path  # secret URL parts (reset tokens) never reach a log line

REQUEST_LOGGER = "guichet.request"
REQUEST_ID_HEADER = "X-Request-ID"
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# Attributes of every LogRecord: what is not among them was passed with ``extra=`` and is kept.
_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}
_HANDLER_MARK = "_guichet_json"


class JsonFormatter(logging.Formatter):
    """One JSON object per record; fields given with ``extra=`` are kept, the request's id,
    path and user are added while a request runs."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(_request_fields())
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def _request_fields() -> dict[str, Any]:
    if not has_request_context():
        return {}
    fields: dict[str, Any] = {"request_id": g.get("request_id"), "path": loggable_path()}
    user_id = _user_id()
    if user_id is not None:
        fields["user_id"] = user_id
    return fields


def _user_id() -> int | None:
    """The signed-in user's id when the request already loaded the user (no extra query for a
    log line: a probe or a static file never loads one)."""
    user = g.get("_login_user")
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    try:
        return int(user.get_id())
    except (TypeError, ValueError):
        return None


def configure_logging(log_format: str, level: int = logging.INFO) -> None:
    """Send the root logger's records to stderr as JSON (idempotent). Text: leave logging alone."""
    if log_format != "json":
        return
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _HANDLER_MARK, False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    setattr(handler, _HANDLER_MARK, True)
    root.addHandler(handler)
    root.setLevel(level)


def use_json_in_celery() -> None:
    """Make the Celery worker and beat write JSON: Celery sets up its own handlers at start."""
    from celery.signals import after_setup_logger, after_setup_task_logger

    def _json_handlers(logger: logging.Logger, **_kwargs: Any) -> None:
        for handler in logger.handlers:
            handler.setFormatter(JsonFormatter())

    after_setup_logger.connect(_json_handlers, weak=False, dispatch_uid="guichet-json-logs")
    after_setup_task_logger.connect(_json_handlers, weak=False, dispatch_uid="guichet-json-task-logs")


def gunicorn_log_config() -> dict[str, Any]:
    """gunicorn's own lines (start, workers, errors) as JSON too."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": f"{__name__}.JsonFormatter"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
        "root": {"level": "INFO", "handlers": ["stderr"]},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
            "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": True},
        },
    }


def _start_request() -> None:
    given = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = given if _SAFE_REQUEST_ID.match(given) else uuid.uuid4().hex
    g.request_started = time.perf_counter()


def request_duration_s() -> float | None:
    started = g.get("request_started")
    return None if started is None else time.perf_counter() - started


def _finish_request(response: Response) -> Response:
    request_id = g.get("request_id")
    if request_id:
        response.headers.setdefault(REQUEST_ID_HEADER, request_id)
    duration = request_duration_s()
    logging.getLogger(REQUEST_LOGGER).info(
        "%s %s %s", request.method, loggable_path(), response.status_code,
        extra={"method": request.method, "status": response.status_code,
               "duration_ms": round(duration * 1000, 2) if duration is not None else None},
    )
    return response


def init_request_logging(app: Flask, log_format: str) -> None:
    configure_logging(log_format)
    if log_format == "json":
        use_json_in_celery()
    app.before_request(_start_request)
    app.after_request(_finish_request)
