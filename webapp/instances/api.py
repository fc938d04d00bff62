"""JSON endpoints of the viewer and heat map pages: the version's diagram, one element's history
in one instance (with its data only for roles that may see case data), the heat map's cells."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, jsonify
from flask_babel import format_datetime
from flask_babel import gettext as _

from engine.workflow.errors import NotFound
from engine.workflow.inspection import element_history, heat_map
from webapp.context import db_session, services
from webapp.instances.access import may_see_case_data
from webapp.instances.blueprint import bp
from webapp.instances.formatting import human_duration
from webapp.instances.queries import element_names, instance_or_404, version_or_404

MAX_BPMN_ID = 255


def _when(value: Any) -> str | None:
    return format_datetime(value, "short") if value else None


def outcome_label(outcome: str | None) -> str:
    if outcome == "completed":
        return _("completed")
    if outcome == "cancelled":
        return _("cancelled")
    return _("still here")


@bp.get("/versions/<int:version_id>/diagram.bpmn")
def version_diagram(version_id: int) -> Any:
    version = version_or_404(db_session(), version_id)
    return Response(version.bpmn_xml, mimetype="application/xml")


@bp.get("/<int:instance_id>/elements/<bpmn_id>/history")
def element_history_json(instance_id: int, bpmn_id: str) -> Any:
    if len(bpmn_id) > MAX_BPMN_ID:
        abort(404)
    session = db_session()
    instance = instance_or_404(session, instance_id)
    allowed = may_see_case_data()
    try:
        visits = element_history(session, services().engine, instance_id, bpmn_id, with_data=allowed)
    except NotFound:
        abort(404)
    name = element_names(instance.process_version).get(bpmn_id, bpmn_id)
    return jsonify(
        element=bpmn_id,
        name=name,
        data_allowed=allowed,
        data_hidden=None if allowed else _("Data hidden: your role does not show case data"),
        visits=[
            {
                "task_guid": v.task_guid,
                "entered_at": _when(v.entered_at),
                "left_at": _when(v.left_at),
                "outcome": v.outcome,
                "outcome_label": outcome_label(v.outcome),
                "actor": v.actor,
                "data_in": v.data_in if allowed else None,
                "data_out": v.data_out if allowed else None,
            }
            for v in visits
        ],
    )


@bp.get("/versions/<int:version_id>/heatmap.json")
def heatmap_json(version_id: int) -> Any:
    session = db_session()
    version = version_or_404(session, version_id)
    names = element_names(version)
    cells = heat_map(session, version.id)
    return jsonify(
        version_id=version.id,
        cells=[
            {
                "id": cell.bpmn_id,
                "name": names.get(cell.bpmn_id, cell.bpmn_id),
                "passed": cell.passed,
                "waiting": cell.waiting,
                "avg_seconds": cell.avg_seconds,
                "avg": human_duration(cell.avg_seconds),
            }
            for cell in cells.values()
        ],
    )
