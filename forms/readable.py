"""Showing what was submitted on a form to people: labels instead of field names, choice labels
instead of codes, dates in the reader's format."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from forms.registry import FieldSpec, FormDefinition


@dataclass(frozen=True)
class ReadableValue:
    name: str
    label: Any
    text: str


def _choice_label(spec: FieldSpec, code: Any) -> str:
    for value, label in spec.choices or []:
        if str(value) == str(code):
            return str(label)
    return str(code)


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def readable_values(
    definition: FormDefinition,
    data: Mapping[str, Any],
    *,
    format_date: Callable[[dt.date], str] = lambda d: d.isoformat(),
    yes_no: tuple[str, str] = ("yes", "no"),
) -> list[ReadableValue]:
    """The form's filled-in fields, in form order; empty ones are left out."""
    out = []
    for spec in definition.fields():
        value = data.get(spec.name)
        if value is None or value == "" or value == []:
            continue
        if spec.multiple:
            items = value if isinstance(value, list | tuple) else [value]
            text = ", ".join(_choice_label(spec, v) for v in items)
        elif spec.choices:
            text = _choice_label(spec, value)
        elif spec.widget == "checkbox":
            text = yes_no[0] if value else yes_no[1]
        elif spec.widget == "date" and _as_date(value) is not None:
            text = format_date(_as_date(value))  # type: ignore[arg-type]
        else:
            text = str(value)
        out.append(ReadableValue(spec.name, spec.label, text))
    return out
