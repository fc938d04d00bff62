from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from marshmallow import Schema, fields
from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer

from engine import jobs
from engine.config import Settings
from engine.db import Database
from engine.workflow.models import ProcessVersion
from engine.workflow.operators import OperatorRegistry
from engine.workflow.runtime import WorkflowEngine
from forms.registry import FormRegistry, field

DIAGRAMS = Path(__file__).parent / "diagrams"


class AmountForm(Schema):
    amount = fields.Integer(required=True, metadata=field("Amount"))


class ApproveForm(Schema):
    approved = fields.Boolean(required=True, metadata=field("Approved"))


class NoteForm(Schema):
    note = fields.String(load_default="", metadata=field("Note"))


class FlakyLookup:
    """A test operator that fails a given number of times before answering."""

    def __init__(self) -> None:
        self.failures_left = 0
        self.calls: list[str] = []

    def __call__(self, number: str) -> dict[str, Any]:
        self.calls.append(number)
        if self.failures_left > 0:
            self.failures_left -= 1
            raise ConnectionError("KBO service unreachable")
        return {"number": number, "name": "ACP Résidence Les Tilleuls"}


class LookupParams(Schema):
    number = fields.String(required=True)


@pytest.fixture
def test_forms() -> FormRegistry:
    registry = FormRegistry()
    registry.register("test.amount", AmountForm, "Amount")
    registry.register("test.approve", ApproveForm, "Approve")
    registry.register("test.note", NoteForm, "Note")
    return registry


@pytest.fixture
def lookup() -> FlakyLookup:
    return FlakyLookup()


@pytest.fixture
def engine(db: Database, settings: Settings, test_forms: FormRegistry, lookup: FlakyLookup) -> WorkflowEngine:
    operators = OperatorRegistry()
    operators.register("test.lookup", lookup, LookupParams, max_retries=2, retry_backoff_s=0)
    wf_engine = WorkflowEngine(operators=operators, forms=test_forms)
    jobs.configure(settings)  # eager: jobs run right after the commit that queued them
    jobs.bind(db, wf_engine)
    return wf_engine


@pytest.fixture
def deploy(db: Database, engine: WorkflowEngine) -> Callable[[str], ProcessVersion]:
    def _deploy(name: str) -> ProcessVersion:
        with db.transaction() as session:
            return engine.deploy(session, (DIAGRAMS / name).read_text(), name).version

    return _deploy


class Clock:
    """Moves SpiffWorkflow's notion of 'now' for timer tests, without sleeping."""

    def __init__(self) -> None:
        self.offset = dt.timedelta()

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC) + self.offset

    def advance(self, **kwargs: float) -> dt.datetime:
        self.offset += dt.timedelta(**kwargs)
        return self.now()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    clock = Clock()
    real = dt.datetime

    class ShiftedDatetime(real):
        @classmethod
        def now(cls, tz: dt.tzinfo | None = None) -> dt.datetime:  # type: ignore[override]
            return real.now(tz) + clock.offset

    monkeypatch.setattr(spiff_timer, "datetime", ShiftedDatetime)
    yield clock
