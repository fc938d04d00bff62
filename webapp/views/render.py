"""How a cell reads: on the page (in the reader's language and date format) and in exports
(CSV: text; Excel: numbers, dates and booleans as such)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from flask_babel import format_date, format_datetime, format_decimal
from flask_babel import gettext as _

from webapp.labels import process_text
from webapp.views.columns import ColumnType, ViewColumn


def choice_labels(columns: list[ViewColumn]) -> dict[str, dict[str, str]]:
    """code -> label for each choice column, translated once per page rather than once per cell."""
    return {c.key: dict(c.choices()) for c in columns if c.type == ColumnType.CHOICE and c.choices is not None}


def cell_html(column: ViewColumn, value: Any, labels: dict[str, dict[str, str]] | None = None) -> str:
    if value is None or value == "":
        return ""
    if column.type == ColumnType.DATE:
        if isinstance(value, dt.datetime):
            return format_datetime(value, "short")
        return format_date(value, "medium")
    if column.type == ColumnType.CHOICE:
        known = (labels or {}).get(column.key)
        return known.get(str(value), str(value)) if known is not None else column.label_of(value)
    if column.type == ColumnType.BOOL:
        return _("Yes") if value else _("No")
    if column.type == ColumnType.NUMBER:
        return format_decimal(value)
    return process_text(value) if column.translated else str(value)


def cell_csv(column: ViewColumn, value: Any, labels: dict[str, dict[str, str]] | None = None) -> str:
    if value is None:
        return ""
    if column.type == ColumnType.DATE:
        if isinstance(value, dt.datetime):
            return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M")
        return value.isoformat()
    if column.type in (ColumnType.CHOICE, ColumnType.BOOL) or column.translated:
        return cell_html(column, value, labels)
    return str(value)


def cell_xlsx(column: ViewColumn, value: Any, labels: dict[str, dict[str, str]] | None = None) -> Any:
    if value is None:
        return None
    if column.type == ColumnType.DATE:
        if isinstance(value, dt.datetime):
            return value.astimezone(dt.UTC).replace(tzinfo=None)  # Excel has no time zones: UTC
        return value
    if column.type == ColumnType.BOOL:
        return bool(value)
    if column.type == ColumnType.NUMBER:
        return float(value) if isinstance(value, Decimal) else value
    if column.type == ColumnType.CHOICE or column.translated:
        return cell_html(column, value, labels)
    return str(value)
