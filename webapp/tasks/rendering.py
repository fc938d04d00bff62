"""Words of the task list, each worked out once per page.

A page lists up to a hundred and twenty tasks, and most of them share their task name, phase,
type, queue and due day: translating and formatting each value once instead of once per row keeps
the list within its time budget (see bench/workspace.py, "my tasks")."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from flask import url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf

from webapp.labels import dossier_type_label, phase_label, process_text, queue_label
from webapp.tasks.dates import local_day


class _Memo:
    def __init__(self, compute: Callable[[Any], str]) -> None:
        self._compute = compute
        self._seen: dict[Any, str] = {}

    def __call__(self, value: Any) -> str:
        if value not in self._seen:
            self._seen[value] = self._compute(value)
        return self._seen[value]


class ListWords:
    """Template helper: ``words.phase(code)``, ``words.day(when)``… memoised for one request."""

    def __init__(self) -> None:
        self.task_name = _Memo(process_text)
        self.phase = _Memo(phase_label)
        self.dossier_type = _Memo(dossier_type_label)
        self.queue = _Memo(queue_label)
        self._day = _Memo(local_day)
        self._formatted = _Memo(lambda day: format_date(day, "medium") if day else "")

    def day(self, when: dt.datetime | None) -> str:
        """The calendar day of ``when`` in the app's time zone, as the reader writes dates."""
        return self._formatted(self._day(when))


def _prefix(endpoint: str, **values: int) -> str:
    """The URL of ``endpoint`` without its trailing id: ``/tasks/0`` -> ``/tasks/``. Rows append
    their ids to it (a hundred ``url_for`` calls per page cost more than the rest of a row)."""
    url = url_for(endpoint, **values)
    return url[: url.rindex("/") + 1]


def row_context(list_url: str, now: dt.datetime) -> dict[str, Any]:
    """What every row of one page of the list shares (``ctx`` of tasks/_row.html)."""
    return {
        "words": ListWords(),
        "task_url": _prefix("tasks.show", task_id=0),  # + id; + id + "/claim" or "/release"
        "dossier_url": _prefix("dossiers.show", dossier_id=0),  # + id
        "list_url": list_url,
        "next_q": "?" + urlencode({"next": list_url}),
        "now": now,
        "csrf": generate_csrf(),
        "overdue": _("overdue"),
        "nobody": _("nobody"),
        "take": _("Take"),
        "release": _("Release"),
    }
