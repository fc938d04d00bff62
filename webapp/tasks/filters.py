"""The filters of the task list, read from the query string (a benchmark and bookmarks rely on
these names): ``assignee`` (``me`` — the default —, ``none``, ``available``, ``any`` or a user
id), ``queue``, ``type`` (a dossier type), ``phase``, ``due`` (``overdue``), ``due_before`` and
``due_after`` (YYYY-MM-DD, both inclusive) and ``after`` (the keyset cursor of the next page).

A value that cannot be understood is not silently dropped: it becomes a message saying what to
fix, and the list shows nothing rather than a list filtered differently from what was asked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from flask_babel import gettext as _

from engine.cases.models import DossierType
from webapp.tasks.dates import parse_day

ASSIGNEE_MODES = ("me", "none", "available", "any")


@dataclass(frozen=True)
class Cursor:
    """Where the previous page stopped, in the list's order (due date, creation, id)."""

    due_at: dt.datetime | None
    created_at: dt.datetime
    id: int

    def encode(self) -> str:
        due = self.due_at.isoformat() if self.due_at else ""
        return f"{due}~{self.created_at.isoformat()}~{self.id}"

    @classmethod
    def decode(cls, text: str) -> Cursor:
        due, created, ident = text.split("~")
        return cls(dt.datetime.fromisoformat(due) if due else None, dt.datetime.fromisoformat(created), int(ident))


@dataclass(frozen=True)
class TaskFilter:
    assignee: str = "me"  # one of ASSIGNEE_MODES or a user id as text
    queue: str | None = None
    dossier_type: str | None = None
    phase: str | None = None
    overdue: bool = False
    due_before: dt.date | None = None
    due_after: dt.date | None = None
    after: Cursor | None = None
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def assignee_id(self) -> int | None:
        return int(self.assignee) if self.assignee.isdigit() else None

    def query_args(self, **changes: Any) -> dict[str, str]:
        """The query string of this filter (without the cursor unless given), for links."""
        current = replace(self, **changes) if changes else replace(self, after=None)
        args: dict[str, str] = {}
        if current.assignee != "me":
            args["assignee"] = current.assignee
        for name, value in (("queue", current.queue), ("type", current.dossier_type), ("phase", current.phase)):
            if value:
                args[name] = value
        if current.overdue:
            args["due"] = "overdue"
        if current.due_before:
            args["due_before"] = current.due_before.isoformat()
        if current.due_after:
            args["due_after"] = current.due_after.isoformat()
        if current.after:
            args["after"] = current.after.encode()
        return args


def _text(args: Mapping[str, str], name: str) -> str | None:
    value = (args.get(name) or "").strip()
    return value or None


def _day(args: Mapping[str, str], name: str, errors: dict[str, str]) -> dt.date | None:
    text = _text(args, name)
    if text is None:
        return None
    try:
        return parse_day(text)
    except ValueError:
        errors[name] = _("“%(value)s” is not a date: use YYYY-MM-DD, for example 2026-03-31.", value=text)
        return None


def parse_filter(args: Mapping[str, str]) -> TaskFilter:
    """The filter asked for by the query string ``args``, with a message per value not understood."""
    errors: dict[str, str] = {}
    assignee = _text(args, "assignee") or "me"
    if assignee not in ASSIGNEE_MODES and not assignee.isdigit():
        errors["assignee"] = _("Choose whose tasks to show: me, nobody, available to me, anyone or a colleague.")
        assignee = "me"
    dossier_type = _text(args, "type")
    if dossier_type is not None and dossier_type not in {t.value for t in DossierType}:
        errors["type"] = _("“%(value)s” is not a dossier type: choose one from the list.", value=dossier_type)
    due = _text(args, "due")
    if due is not None and due != "overdue":
        errors["due"] = _("The due filter only knows “overdue”.")
    due_before = _day(args, "due_before", errors)
    due_after = _day(args, "due_after", errors)
    if due_before and due_after and due_after > due_before:
        errors["due_after"] = _("The first day (due on or after) must not come after the last day (due on or before).")
    after = None
    if _text(args, "after"):
        try:
            after = Cursor.decode(args["after"])
        except ValueError:
            errors["after"] = _("This link to the next page is damaged: start again from the first page.")
    return TaskFilter(
        assignee=assignee,
        queue=_text(args, "queue"),
        dossier_type=dossier_type,
        phase=_text(args, "phase"),
        overdue=due == "overdue",
        due_before=due_before,
        due_after=due_after,
        after=after,
        errors=errors,
    )
