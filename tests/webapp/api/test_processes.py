"""Deployed process versions."""

from __future__ import annotations

from engine.db import Database
from engine.workflow.models import ProcessVersion
from tests.webapp.api.conftest import Caller
from webapp.bootstrap import Services


def test_list_and_filter(worker: Caller, review: ProcessVersion, payment: int) -> None:
    items = worker.get("/api/process-versions").json["items"]
    assert [v["key"] for v in items] == ["payment", "review"]  # newest first
    assert "bpmn_xml" not in items[0]
    only = worker.get("/api/process-versions?key=review").json
    assert [v["id"] for v in only["items"]] == [review.id]
    assert only["next_cursor"] is None
    assert worker.get("/api/process-versions?key=nope").json["items"] == []


def test_get_one_with_and_without_xml(worker: Caller, review: ProcessVersion) -> None:
    body = worker.get(f"/api/process-versions/{review.id}").json
    assert body["key"] == "review"
    assert body["version"] == 1
    assert body["name"] == "Review"
    assert body["checksum"] == review.checksum
    assert "bpmn_xml" not in body
    body = worker.get(f"/api/process-versions/{review.id}?include=xml").json
    assert body["bpmn_xml"].startswith("<?xml")


def test_new_versions(worker: Caller, review: ProcessVersion, api_services: Services, db: Database) -> None:
    changed = review.bpmn_xml.replace('name="Review"', 'name="Review v2"')
    with db.transaction() as session:
        api_services.engine.deploy(session, changed, "review.bpmn")
    items = worker.get("/api/process-versions?key=review").json["items"]
    assert [(v["version"], v["name"]) for v in items] == [(2, "Review v2"), (1, "Review")]
