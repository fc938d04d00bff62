"""The ops routes and hooks inside one app: metrics access, the task-completion counter,
readiness details, static cache headers, request ids, JSON log lines and the heartbeat job."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import logging
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select

from engine import jobs
from engine.config import Settings
from engine.db import Database
from engine.ops.heartbeat import WorkerHeartbeat, heartbeat, record_heartbeat
from engine.workflow.models import HumanTask
from webapp import create_app
from webapp.bootstrap import Services, build_services
from webapp.ops.gunicorn_app import default_workers
from webapp.ops.logging import JsonFormatter

DIAGRAM = Path(__file__).resolve().parent / "diagrams" / "two_steps.bpmn"


@pytest.fixture
def services(settings: Settings, db: Database) -> Services:
    return build_services(dataclasses.replace(settings, metrics_token="s3cret-metrics"), db)


@pytest.fixture
def app(services: Services) -> Flask:
    return create_app(services, {"TESTING": True, "WTF_CSRF_ENABLED": False})


def _sample(text: str, name: str, **labels: str) -> float:
    total = 0.0
    for line in text.splitlines():
        match = re.match(rf"^{re.escape(name)}(?:\{{(.*)\}})? (\S+)$", line)
        if match and all(f'{k}="{v}"' in (match.group(1) or "") for k, v in labels.items()):
            total += float(match.group(2))
    return total


def test_metrics_open_to_loopback_or_the_token_only(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/metrics").status_code == 200  # the test client comes from 127.0.0.1
    outside = {"REMOTE_ADDR": "203.0.113.9"}
    refused = client.get("/metrics", environ_base=outside)
    assert refused.status_code == 401 and b"guichet_" not in refused.data
    assert client.get("/metrics", environ_base=outside, headers={"Authorization": "Bearer wrong"}).status_code == 401
    # through a reverse proxy every request comes from loopback: forwarded ones need the token
    assert client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 401
    allowed = client.get("/metrics", environ_base=outside, headers={"Authorization": "Bearer s3cret-metrics"})
    assert allowed.status_code == 200 and b"guichet_http_requests_total" in allowed.data


def test_completed_tasks_are_counted_after_the_commit(app: Flask, services: Services, db: Database) -> None:
    client = app.test_client()

    def completed() -> float:
        return _sample(client.get("/metrics").data.decode(), "guichet_human_tasks_completed_total",
                       process="ops_two_steps")

    def ready_task() -> int:
        with db.transaction() as session:
            return session.scalars(select(HumanTask.id).where(HumanTask.state == "ready")).one()

    with db.transaction() as session:
        services.engine.deploy(session, DIAGRAM.read_text(), "two_steps.bpmn")
    with db.transaction() as session:
        services.engine.start(session, "ops_two_steps")
    before = completed()
    first = ready_task()
    with pytest.raises(RuntimeError), db.transaction() as session:
        services.engine.complete(session, first, {"satisfaction": "5"}, user_id=None)
        raise RuntimeError("rolled back")  # a completion that is not committed never counts
    assert completed() == before
    with db.transaction() as session:
        services.engine.complete(session, first, {"satisfaction": "5"}, user_id=None)
    assert completed() == before + 1
    text = client.get("/metrics").data.decode()
    assert _sample(text, "guichet_human_tasks_ready", queue="ops-test") == 1  # "second" waits
    assert _sample(text, "guichet_incidents_open") == 0
    with db.transaction() as session:
        services.engine.complete(session, ready_task(), {"satisfaction": "4"}, user_id=None)
    assert completed() == before + 2


def test_jobs_are_timed_and_counted(app: Flask, services: Services, db: Database) -> None:
    client = app.test_client()
    before = _sample(client.get("/metrics").data.decode(), "guichet_jobs_total", task="guichet.heartbeat",
                     state="SUCCESS")
    heartbeat.delay()  # eager in the tests: runs here, with Celery's prerun/postrun signals
    text = client.get("/metrics").data.decode()
    assert _sample(text, "guichet_jobs_total", task="guichet.heartbeat", state="SUCCESS") == before + 1
    assert _sample(text, "guichet_job_duration_seconds_count", task="guichet.heartbeat") >= 1
    with db.transaction() as session:
        assert session.scalar(select(WorkerHeartbeat.beat_at)) is not None


def test_readyz_fails_on_a_stale_heartbeat_and_passes_on_a_fresh_one(app: Flask, services: Services,
                                                                     db: Database) -> None:
    app.extensions["guichet"] = dataclasses.replace(
        services, settings=dataclasses.replace(services.settings, jobs_eager=False, heartbeat_max_age_s=60))
    client = app.test_client()
    with db.transaction() as session:
        record_heartbeat(session, "w1", dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5))
    stale = client.get("/readyz")
    assert stale.status_code == 503 and stale.json["failing"] == ["worker"]
    assert stale.json["checks"]["worker"]["error"].startswith("last heartbeat at ")
    with db.transaction() as session:
        record_heartbeat(session, "w1")
    fresh = client.get("/readyz")
    assert fresh.status_code == 200 and fresh.json["checks"]["worker"]["age_s"] < 60


def test_beat_schedules_the_heartbeat(services: Services) -> None:
    entry = jobs.celery.conf.beat_schedule["worker-heartbeat"]
    assert entry["task"] == "guichet.heartbeat" and entry["schedule"] == 30.0


def test_static_files_carry_fingerprints_and_cache_headers(app: Flask) -> None:
    client = app.test_client()
    with app.test_request_context():
        from flask import url_for

        url = url_for("static", filename="css/guichet.css")
    assert re.fullmatch(r"/static/css/guichet\.css\?v=[0-9a-f]{12}", url)
    fingerprinted = client.get(url)
    assert fingerprinted.cache_control.max_age == 365 * 24 * 3600 and fingerprinted.cache_control.immutable
    plain = client.get("/static/css/guichet.css")
    assert plain.cache_control.max_age == 300 and not plain.cache_control.immutable
    stale = client.get("/static/css/guichet.css?v=000000000000")  # an old page's link: not immutable
    assert stale.cache_control.max_age == 300
    assert client.get("/static/vendor/htmx.min.js").cache_control.max_age == 7 * 24 * 3600
    page = client.get("/login").data.decode()
    assert re.search(r'/static/css/guichet\.css\?v=[0-9a-f]{12}', page)


def test_request_ids_are_returned_and_sanitised(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"] == "abc-123"
    forged = client.get("/healthz", headers={"X-Request-ID": "bad\"id {}"}).headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", forged)


def test_json_log_lines_carry_the_request(app: Flask) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("guichet.request")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        app.test_client().get("/healthz", headers={"X-Request-ID": "rid-7"})
        logging.getLogger("guichet.test").error("outside a request", extra={"dossier": 12})
    finally:
        logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)
    entry = json.loads(stream.getvalue().splitlines()[0])
    assert entry["request_id"] == "rid-7" and entry["path"] == "/healthz" and entry["status"] == 200
    assert entry["level"] == "INFO" and entry["duration_ms"] >= 0
    plain = JsonFormatter().format(logging.LogRecord("guichet.x", logging.ERROR, __file__, 1, "m %s", ("v",), None))
    assert json.loads(plain)["message"] == "m v"


def test_serve_and_beat_commands_exist(monkeypatch: pytest.MonkeyPatch) -> None:
    from webapp.cli import cli

    runner = CliRunner()
    serve_help = runner.invoke(cli, ["serve", "--help"])
    assert serve_help.exit_code == 0 and "--workers" in serve_help.output and "--bind" in serve_help.output
    assert runner.invoke(cli, ["beat", "--help"]).exit_code == 0
    monkeypatch.setenv("GUICHET_WEB_CONCURRENCY", "3")
    assert default_workers() == 3
    monkeypatch.delenv("GUICHET_WEB_CONCURRENCY")
    assert default_workers() >= 3
