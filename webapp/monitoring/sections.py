"""The monitoring section menu and its landing page. Each section module registers its own
routes; the menu lists the sections whose endpoint exists, in this order."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, redirect, url_for
from flask_babel import lazy_gettext as _l

from webapp.monitoring.blueprint import bp

SECTIONS = (
    ("monitoring.phase_board", _l("Phase board")),
    ("monitoring.dwell_times", _l("Dwell times")),
    ("monitoring.flow", _l("Flow")),
    ("monitoring.workload", _l("Workload")),
    ("monitoring.incidents", _l("Incidents and timers")),
    ("monitoring.reports", _l("Reports")),
)


def monitoring_sections() -> list[tuple[str, Any]]:
    return [(endpoint, label) for endpoint, label in SECTIONS if endpoint in current_app.view_functions]


@bp.app_context_processor
def _sections() -> dict[str, Any]:
    return {"monitoring_sections": monitoring_sections}


@bp.get("/")
def index() -> Any:
    sections = monitoring_sections()
    if not sections:
        abort(404)
    return redirect(url_for(sections[0][0]))
