"""Durations as people read them: "3 d 4 h", "2 h 5 min", "40 s" (the two largest units)."""

from __future__ import annotations

from collections.abc import Callable

from flask_babel import gettext as _

_UNITS: list[tuple[int, Callable[[int], str]]] = [
    (86400, lambda n: _("%(n)s d", n=n)),
    (3600, lambda n: _("%(n)s h", n=n)),
    (60, lambda n: _("%(n)s min", n=n)),
    (1, lambda n: _("%(n)s s", n=n)),
]


def human_duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    rest = max(0, round(seconds))
    amounts: list[tuple[int, Callable[[int], str]]] = []
    for size, label in _UNITS:
        amount, rest = divmod(rest, size)
        amounts.append((amount, label))
    first = next((i for i, (amount, _label) in enumerate(amounts) if amount), len(amounts) - 1)
    shown = [label(amount) for amount, label in amounts[first:first + 2] if amount or first == len(amounts) - 1]
    return " ".join(shown)
