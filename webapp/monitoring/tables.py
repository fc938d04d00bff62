"""Every chart has its table, and every table exports: one small table model shared by the
monitoring pages, rendered as HTML (templates/monitoring/_table.html), CSV or Excel.

A page builds its :class:`ReportTable` once and hands it to :func:`respond`, which answers the
same URL with ``?format=csv`` or ``?format=xlsx`` as a download, so exports always show exactly
the figures on screen, with the same filters."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from flask import Response, request
from openpyxl import Workbook


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    numeric: bool = False
    # how a value shows on screen (e.g. a duration as "3 d 4 h"); exports keep the raw value
    display: Callable[[Any], str] | None = None


@dataclass
class ReportTable:
    name: str  # file name of exports, e.g. "phase-board"
    title: str
    columns: Sequence[Column]
    rows: list[dict[str, Any]] = field(default_factory=list)

    def cell(self, column: Column, row: dict[str, Any]) -> str:
        value = row.get(column.key)
        if value is None:
            return ""
        if column.display is not None:
            return column.display(value)
        if isinstance(value, float):
            return f"{value:.1f}"
        return str(value)


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-")[:60] or "export"


def _excel_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value  # Excel: no zones, UTC
    if isinstance(value, Decimal):
        return float(value)
    if value is None or isinstance(value, int | float | dt.date | str | bool):
        return value
    return str(value)


def csv_response(table: ReportTable) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([c.label for c in table.columns])
    for row in table.rows:
        writer.writerow(["" if row.get(c.key) is None else row.get(c.key) for c in table.columns])
    return Response("\ufeff" + buffer.getvalue(), mimetype="text/csv; charset=utf-8",  # BOM: Excel reads UTF-8
                    headers={"Content-Disposition": f'attachment; filename="{_safe_name(table.name)}.csv"'})


def xlsx_bytes(tables: Sequence[ReportTable]) -> bytes:
    """One sheet per table (the scheduled reports mail several tables in one workbook)."""
    workbook = Workbook(write_only=True)
    for table in tables:
        sheet = workbook.create_sheet(title=_safe_name(table.title or table.name)[:31])
        sheet.append([c.label for c in table.columns])
        for row in table.rows:
            sheet.append([_excel_value(row.get(c.key)) for c in table.columns])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def xlsx_response(table: ReportTable) -> Response:
    return Response(xlsx_bytes([table]),
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{_safe_name(table.name)}.xlsx"'})


def export_requested() -> str | None:
    """``csv`` or ``xlsx`` when the request asks for a download of the page's table."""
    fmt = request.args.get("format")
    return fmt if fmt in ("csv", "xlsx") else None


def respond(table: ReportTable, page: Callable[[], Any]) -> Any:
    """The export the request asks for, else the page."""
    fmt = export_requested()
    if fmt == "csv":
        return csv_response(table)
    if fmt == "xlsx":
        return xlsx_response(table)
    return page()


def respond_any(tables: Sequence[ReportTable], page: Callable[[], Any]) -> Any:
    """:func:`respond` for a page with several tables: ``?table=<name>`` says which one to
    export (the links of templates/monitoring/_macros.html name it); the first by default."""
    if export_requested() is None:
        return page()
    wanted = request.args.get("table")
    chosen = next((t for t in tables if t.name == wanted), tables[0])
    return respond(chosen, page)
