"""`guichet serve`: gunicorn really started with two workers on the test database, the probes,
the metrics added up across the workers, and JSON log lines."""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from kombu import Connection

from engine.db import Database
from engine.ops.heartbeat import record_heartbeat
from tests.support.processes import Server, free_port, serve

AMQP_URL = os.environ.get("GUICHET_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")


@pytest.fixture
def broker() -> str:
    try:
        with Connection(AMQP_URL, connect_timeout=5) as conn:
            conn.ensure_connection(max_retries=1)
    except Exception as exc:
        pytest.fail(f"RabbitMQ is needed at {AMQP_URL} (it runs on this machine and CI's): {exc}")
    return AMQP_URL


@pytest.fixture
def server(tmp_path: Path, database_url: str, db: Database, broker: str) -> Iterator[Server]:
    with serve(tmp_path, database_url, broker, workers=2) as running:
        yield running


def _counter(text: str, name: str, **labels: str) -> float:
    """Sum of the samples of ``name`` whose labels include ``labels``."""
    total = 0.0
    for line in text.splitlines():
        match = re.match(rf"^{re.escape(name)}\{{(.*)\}} (\S+)$", line)
        if match and all(f'{key}="{value}"' in match.group(1) for key, value in labels.items()):
            total += float(match.group(2))
    return total


def test_gunicorn_serves_probes_metrics_and_json_logs(server: Server, db: Database) -> None:
    status, body, headers = server.get("/healthz")
    assert (status, json.loads(body)) == (200, {"status": "ok"})
    assert headers["Cache-Control"] == "no-store"

    # no worker has run the heartbeat yet: not ready, and the body says why
    status, ready = server.json("/readyz")
    assert status == 503 and ready["failing"] == ["worker"]
    assert ready["checks"]["database"]["ok"] and ready["checks"]["broker"]["ok"]
    with db.transaction() as session:  # what guichet.heartbeat does in a worker
        record_heartbeat(session, "test-worker")
    status, ready = server.json("/readyz")
    assert status == 200, ready
    assert ready["status"] == "ok" and set(ready["checks"]) == {"database", "broker", "worker"}
    assert "amqp" not in json.dumps(ready) and "guest" not in json.dumps(ready)  # no URL, no password

    # counters are added up over both gunicorn workers (multiprocess mode)
    _, first, _ = server.get("/metrics")
    before = _counter(first.decode(), "guichet_http_requests_total", endpoint="ops.healthz", status="200")
    for _ in range(6):
        assert server.get("/healthz")[0] == 200
    _, second, _ = server.get("/metrics")
    text = second.decode()
    assert _counter(text, "guichet_http_requests_total", endpoint="ops.healthz", status="200") == before + 6
    assert _counter(text, "guichet_http_request_duration_seconds_count", endpoint="ops.healthz") >= before + 6
    assert "guichet_incidents_open 0.0" in text and "guichet_metrics_database_up 1.0" in text

    status, body, _ = server.get("/login", headers={"X-Request-ID": "probe-42"})
    lines = [line for line in server.log_path.read_text().splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    requests = [e for e in entries if e.get("logger") == "guichet.request"]
    mine = [e for e in requests if e.get("request_id") == "probe-42"]
    assert mine and status == 200 and mine[0]["path"] == "/login" and mine[0]["status"] == 200
    assert {"time", "level", "message", "duration_ms"} <= set(mine[0])
    assert any(e["logger"].startswith("gunicorn") for e in entries)  # gunicorn's own lines too


def test_readyz_names_an_unreachable_broker(tmp_path: Path, database_url: str, db: Database) -> None:
    closed = free_port()
    with db.transaction() as session:
        record_heartbeat(session, "test-worker")
    with serve(tmp_path, database_url, f"amqp://guest:guest@127.0.0.1:{closed}//", workers=1) as server:
        started = time.monotonic()
        status, ready = server.json("/readyz")
        assert time.monotonic() - started < 8  # short timeouts: a probe must not hang
        assert status == 503
        assert ready["failing"] == ["broker"] and ready["checks"]["broker"]["ok"] is False
        assert str(closed) not in json.dumps(ready)
        assert server.json("/healthz") == (200, {"status": "ok"})  # alive, only not ready
