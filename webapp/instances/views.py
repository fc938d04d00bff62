"""Pages: the instance list, one instance on its diagram, the heat map of a version."""

from __future__ import annotations

from typing import Any

from flask import abort, render_template, request, url_for
from sqlalchemy import select

from engine.workflow.errors import EngineError, NotFound
from engine.workflow.inspection import heat_map, instance_overview
from engine.workflow.interventions import migration_problems, move_targets
from engine.workflow.models import InstanceStatus, ProcessVersion
from webapp.context import db_session, services
from webapp.instances.access import may_see_case_data
from webapp.instances.blueprint import bp
from webapp.instances.formatting import human_duration
from webapp.instances.queries import (
    STATUS_FILTERS,
    InstanceFilters,
    audit_trail,
    element_names,
    flow_nodes,
    instance_or_404,
    list_instances,
    process_keys,
    subject_dossier,
    version_or_404,
)
from webapp.instances.texts import viewer_texts
from webapp.instances.tokens import Token, active_tokens

ENDED = (InstanceStatus.COMPLETED, InstanceStatus.TERMINATED)
MIGRATION_CHOICES = 3  # the newest versions offered as migration targets on an instance


def _filters() -> InstanceFilters:
    key = (request.args.get("key") or "").strip() or None
    status = request.args.get("status") or None
    return InstanceFilters(
        key=key[:255] if key else None,
        version=request.args.get("version", type=int),
        status=status if status in STATUS_FILTERS else None,
    )


@bp.get("/")
def index() -> Any:
    session = db_session()
    filters = _filters()
    return render_template("instances/index.html", rows=list_instances(session, filters), filters=filters,
                           keys=process_keys(session), statuses=STATUS_FILTERS,
                           may_open_dossiers=may_see_case_data())


@bp.get("/<int:instance_id>")
def show(instance_id: int) -> Any:
    session = db_session()
    engine = services().engine
    instance_or_404(session, instance_id)
    try:
        overview = instance_overview(session, engine, instance_id)
    except NotFound:
        abort(404)
    instance = overview.instance
    ended = instance.status in ENDED
    tokens: list[tuple[Token, list[tuple[str, str]]]] = []
    migrations: list[tuple[ProcessVersion, list[str]]] = []
    if not ended:
        current = active_tokens(engine, instance) if instance.state else []
        with_targets = [(token, _targets(session, instance_id, token)) for token in current]
        tokens = [(token, targets) for token, targets in with_targets if targets]
        newest = sorted(overview.newer_versions, key=lambda v: v.version, reverse=True)[:MIGRATION_CHOICES]
        migrations = [(version, _migration_problems(session, instance_id, version)) for version in newest]
    return render_template(
        "instances/show.html",
        overview=overview,
        instance=instance,
        version=overview.version,
        ended=ended,
        dossier=subject_dossier(session, instance),
        audit=audit_trail(session, instance_id),
        tokens=tokens,
        migrations=migrations,
        names=element_names(overview.version),
        nodes=flow_nodes(overview.version),
        data_allowed=may_see_case_data(),
        may_open_dossiers=may_see_case_data(),  # the dossier pages are for the back office
        viewer_data={
            "mode": "instance",
            "texts": viewer_texts(),
            "marks": [
                {"id": m.bpmn_id, "completed": m.completed, "active": m.active, "incident": m.incident}
                for m in overview.marks.values()
            ],
            "urls": {
                "diagram": url_for("instances.version_diagram", version_id=overview.version.id),
                "history": url_for("instances.element_history_json", instance_id=instance_id, bpmn_id="__ID__"),
            },
        },
    )


def _targets(session: Any, instance_id: int, token: Token) -> list[tuple[str, str]]:
    try:
        return move_targets(session, services().engine, instance_id, token.task_guid)
    except (EngineError, ValueError):  # a token that cannot move offers no target
        return []


def _migration_problems(session: Any, instance_id: int, version: ProcessVersion) -> list[str]:
    try:
        return migration_problems(session, services().engine, instance_id, version.id)
    except EngineError as exc:
        return [str(exc)]


@bp.get("/versions/<int:version_id>/heatmap")
def heatmap(version_id: int) -> Any:
    session = db_session()
    version = version_or_404(session, version_id)
    return heatmap_page(session, version)


def heatmap_page(session: Any, version: ProcessVersion, report: Any = None, reason: str = "",
                  target_id: int | None = None, status: int = 200) -> Any:
    cells = heat_map(session, version.id)
    names = element_names(version)
    newer = list(session.scalars(
        select(ProcessVersion).where(ProcessVersion.key == version.key, ProcessVersion.version > version.version)
        .order_by(ProcessVersion.version.desc())
    ))
    rows = sorted(cells.values(), key=lambda c: (-c.waiting, -c.passed, names.get(c.bpmn_id, c.bpmn_id)))
    return render_template(
        "instances/heatmap.html",
        version=version,
        rows=[(cell, names.get(cell.bpmn_id, cell.bpmn_id), human_duration(cell.avg_seconds)) for cell in rows],
        newer=newer,
        report=report,
        reason=reason,
        target_id=target_id,
        viewer_data={
            "mode": "heatmap",
            "texts": viewer_texts(),
            "urls": {
                "diagram": url_for("instances.version_diagram", version_id=version.id),
                "cells": url_for("instances.heatmap_json", version_id=version.id),
            },
        },
    ), status
