"""``/healthz`` (liveness), ``/readyz`` (readiness) and ``/metrics``: public routes for load
balancers, orchestrators and Prometheus. The bodies name each check and its outcome, never a
URL, a host or a password.

- ``/healthz``: the process answers; no I/O, so a slow database never gets a web process killed.
- ``/readyz``: the database answers ``SELECT 1``, the broker accepts a connection, and a worker
  ran the heartbeat job recently (engine/ops/heartbeat.py: beat, broker, worker and database
  all work). 200 when all pass, else 503 with the failing checks named.
- ``/metrics``: Prometheus text, from loopback (not through a proxy) or with
  ``Authorization: Bearer <GUICHET_METRICS_TOKEN>``.
"""

from __future__ import annotations

import datetime as dt
import hmac
import ipaddress
import time
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from kombu import Connection
from sqlalchemy import text

from engine.db import utcnow
from engine.ops.heartbeat import latest_heartbeat
from webapp.bootstrap import Services

bp = Blueprint("ops", __name__)


@bp.after_request
def _never_cached(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"  # a probe must see the state of now
    return response

BROKER_TIMEOUT_S = 2.0
_FORWARDING_HEADERS = ("X-Forwarded-For", "Forwarded", "X-Real-IP")


def _services() -> Services:
    return current_app.extensions["guichet"]


@bp.get("/healthz")
def healthz() -> Response:
    return jsonify(status="ok")


def _timed(check: Callable[[], dict[str, Any] | None]) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        outcome = {"ok": True, **(check() or {})}
    except Exception as exc:
        # the class only: a driver's message may carry a host name or a user
        outcome = {"ok": False, "error": type(exc).__name__}
    outcome["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return outcome


def check_database(services: Services) -> dict[str, Any] | None:
    with services.db.engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return None


def check_broker(services: Services) -> dict[str, Any] | None:
    with Connection(services.settings.broker_url, connect_timeout=BROKER_TIMEOUT_S) as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=BROKER_TIMEOUT_S)
    return None


class StaleHeartbeat(Exception):
    pass


def check_worker(services: Services) -> dict[str, Any] | None:
    settings = services.settings
    if settings.jobs_eager:
        return {"detail": "jobs run in the web process"}
    if settings.heartbeat_max_age_s <= 0:
        return {"detail": "not checked"}
    with services.db.sessionmaker() as session:
        last = latest_heartbeat(session)
    if last is None:
        raise StaleHeartbeat("no heartbeat yet")
    age = (utcnow() - last).total_seconds()
    if age > settings.heartbeat_max_age_s:
        raise StaleHeartbeat(f"last heartbeat {age:.0f} s ago")
    return {"age_s": round(age, 1)}


def _heartbeat_error(outcome: dict[str, Any], services: Services) -> None:
    """A stale heartbeat is the one failure worth describing: it holds no secret."""
    if outcome.get("error") == StaleHeartbeat.__name__:
        with services.db.sessionmaker() as session:
            last = latest_heartbeat(session)
        outcome["error"] = "no heartbeat yet" if last is None else (
            f"last heartbeat at {last.astimezone(dt.UTC).isoformat(timespec='seconds')}")


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    services = _services()
    checks = {
        "database": _timed(lambda: check_database(services)),
        "broker": _timed(lambda: check_broker(services)),
        "worker": _timed(lambda: check_worker(services)),
    }
    if checks["database"]["ok"]:
        _heartbeat_error(checks["worker"], services)
    failing = [name for name, outcome in checks.items() if not outcome["ok"]]
    status = 503 if failing else 200
    return jsonify(status="unavailable" if failing else "ok", failing=failing, checks=checks), status


def _from_loopback() -> bool:
    """A direct request from this machine. Through a reverse proxy every request comes from
    loopback, so a request carrying forwarding headers is not trusted as local."""
    if any(header in request.headers for header in _FORWARDING_HEADERS):
        return False
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


def _has_token(expected: str) -> bool:
    given = request.headers.get("Authorization", "")
    scheme, _, token = given.partition(" ")
    return bool(expected) and scheme.lower() == "bearer" and hmac.compare_digest(token.strip(), expected)


@bp.get("/metrics")
def metrics() -> Response | tuple[Response, int]:
    from webapp.ops import metrics as prometheus

    services = _services()
    if not (_has_token(services.settings.metrics_token) or _from_loopback()):
        response = jsonify(error="metrics need a bearer token or a request from loopback")
        response.headers["WWW-Authenticate"] = "Bearer"
        return response, 401
    body, content_type = prometheus.render(services.db)
    return Response(body, content_type=content_type)
