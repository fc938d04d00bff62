"""Filing at the enterprise counter by HTTP (GUICHET_BCE_COUNTER_URL) against a local
http.server: the request and its documents are posted once, the counter's reference is kept,
a reminder posts again with its number, and a refusal is an error that says what happened."""

from __future__ import annotations

import base64
import dataclasses
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from engine.config import Settings
from engine.db import Database
from engine.syndic import requests
from engine.syndic.models import MandateRequest, RequestStatus
from engine.workflow.models import ProcessInstance
from integrations.syndic import counter
from tests.engine.conftest import Clock
from tests.engine.syndic.conftest import World, review_task, submit, top_up
from webapp.bootstrap import Services


class Counter:
    def __init__(self) -> None:
        self.posts: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.status = 201


@pytest.fixture
def counter_server() -> Iterator[tuple[str, Counter]]:
    state = Counter()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.posts.append(json.loads(body))
            state.headers.append(dict(self.headers))
            answer = json.dumps({"reference": f"BCE-HTTP-{len(state.posts)}"} if state.status < 400
                                else {"error": "association unknown"}).encode()
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/syndic/requests", state
    server.shutdown()
    server.server_close()


@pytest.fixture
def settings(settings: Settings, counter_server: tuple[str, Counter]) -> Settings:
    return dataclasses.replace(settings, bce_counter_url=counter_server[0])


def _request(db: Database, request_id: int) -> MandateRequest:
    with db.transaction() as session:
        request = session.get(MandateRequest, request_id)
        session.expunge(request)
        return request


def test_filing_and_reminding_by_http(services: Services, world: World, counter_server: tuple[str, Counter],
                                      clock: Clock) -> None:
    _url, state = counter_server
    db = services.db
    top_up(db, world.org, "200.00", "t1")
    request_id = submit(services, world)
    task = review_task(db, request_id)
    with db.transaction() as session:
        services.engine.complete(session, task.id, {"decision": "approve"}, user_id=world.staff)
    request = _request(db, request_id)
    assert request.status == RequestStatus.FILED and request.counter_channel == "http"
    assert request.counter_reference == "BCE-HTTP-1"
    [post] = state.posts
    assert post["reference"] == request.reference and post["reminder"] == 0
    assert post["request"]["association_number"] == "0417497106"
    assert post["request"]["mandate_start"] == "2026-10-01"
    [document] = post["documents"]
    assert document["kind"] == "decision_extract" and document["name"] == "pv-ag.pdf"
    assert base64.b64decode(document["content"]) == b"%PDF-1.4 extract of the decision"
    assert state.headers[0]["Idempotency-Key"] == f"{request.reference}:0"
    assert not services.settings.outbox_root.exists() or not list(services.settings.outbox_root.glob("*.eml"))

    # the operator again (a redelivered job): nothing is posted twice
    counter.file_at_counter(services.settings, db, request_id)
    assert len(state.posts) == 1

    with db.transaction() as session:
        instance = session.get(ProcessInstance, request.process_instance_id)
        instance_id, due = instance.id, instance.next_timer_at
    clock.advance(seconds=(due - clock.now()).total_seconds() + 60)
    with db.transaction() as session:
        assert services.engine.fire_timers(session, instance_id, clock.now())
    assert [p["reminder"] for p in state.posts] == [0, 1]
    assert _request(db, request_id).reminders_sent == 1
    with db.transaction() as session:
        requests.confirm_filing(session, services.engine, request_id, user_id=world.staff,
                                counter_reference="BCE-HTTP-1")
    assert _request(db, request_id).status == RequestStatus.RECORDED


def test_a_refusal_by_the_counter_is_an_error_that_says_why(services: Services, world: World,
                                                            counter_server: tuple[str, Counter]) -> None:
    _url, state = counter_server
    state.status = 422
    request_id = submit(services, world)
    with pytest.raises(counter.CounterError, match=r"HTTP 422 .*association unknown"):
        counter.file_at_counter(services.settings, services.db, request_id)
    request = _request(services.db, request_id)
    assert request.sent_to_counter_at is None and request.status == RequestStatus.SUBMITTED


def test_an_unreachable_counter_is_an_error(services: Services, world: World) -> None:
    request_id = submit(services, world)
    closed = dataclasses.replace(services.settings, bce_counter_url="http://127.0.0.1:9/none")
    with pytest.raises(counter.CounterError, match="cannot be reached"):
        counter.file_at_counter(closed, services.db, request_id)
