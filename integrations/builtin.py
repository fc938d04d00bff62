"""Operators that need no outside system; useful in every diagram and in tests."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields

from engine.calendar import add_working_days
from engine.workflow.operators import OperatorRegistry


class _WorkingDaysParams(Schema):
    start = fields.Date(required=True)
    days = fields.Integer(required=True)


def _working_days(start: Any, days: int) -> str:
    return add_working_days(start, days).isoformat()


class _EchoParams(Schema):
    value = fields.Raw(required=True)


def register(operators: OperatorRegistry) -> None:
    operators.register("calendar.add_working_days", _working_days, _WorkingDaysParams,
                       description="The date N Belgian working days after a start date.")
    operators.register("util.echo", lambda value: value, _EchoParams,
                       description="Returns its parameter; for testing diagrams.")
