"""Interventions on instances, each a POST form with a reason: suspend, resume, terminate, retry
or resolve an incident, move a token, migrate to a newer version (one instance, or every
instance of a version from the heat map). Every engine refusal comes back as a message saying
what to do; nothing here ever answers with a server error for a refused command."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import Session

from engine.workflow.errors import ConflictError, EngineError, MigrationRefused
from engine.workflow.interventions import migrate_instance, migrate_version, move_token
from engine.workflow.models import Incident, ProcessVersion
from webapp.context import db_session, services
from webapp.instances.blueprint import bp
from webapp.instances.queries import instance_or_404, version_or_404
from webapp.instances.views import heatmap_page
from webapp.transactions import run_command

MAX_REASON = 2000


def _reason() -> str:
    return (request.form.get("reason") or "").strip()[:MAX_REASON]


def _back(instance_id: int) -> Any:
    return redirect(url_for("instances.show", instance_id=instance_id))


def _attempt(command: Callable[[Session], Any], done: str) -> bool:
    """Run one engine command; flash ``done`` or, when refused, why and what to do."""
    try:
        run_command(command)
    except MigrationRefused as exc:
        flash(_("This case cannot move to that version: %(problems)s", problems="; ".join(exc.problems)), "error")
        return False
    except ConflictError as exc:
        flash(_("Someone else changed this case meanwhile; nothing was changed. Reload the page and try "
                "again. (%(detail)s)", detail=str(exc)), "error")
        return False
    except (EngineError, ValueError) as exc:
        flash(_("Nothing was changed: %(reason)s", reason=str(exc)), "error")
        return False
    flash(done, "success")
    return True


def _require_reason(instance_id: int, reason: str) -> Any | None:
    if reason:
        return None
    flash(_("Give a reason: it is kept in the case's history."), "error")
    return _back(instance_id)


def _incident_or_404(session: Session, instance_id: int, incident_id: int) -> Incident:
    incident = session.get(Incident, incident_id)
    if incident is None or incident.instance_id != instance_id:
        abort(404)
    return incident


@bp.post("/<int:instance_id>/suspend")
def suspend(instance_id: int) -> Any:
    instance_or_404(db_session(), instance_id)
    reason, user_id, engine = _reason(), current_user.id, services().engine
    _attempt(lambda s: engine.suspend(s, instance_id, user_id=user_id, reason=reason), _("The case is suspended."))
    return _back(instance_id)


@bp.post("/<int:instance_id>/resume")
def resume(instance_id: int) -> Any:
    instance_or_404(db_session(), instance_id)
    reason, user_id, engine = _reason(), current_user.id, services().engine
    _attempt(lambda s: engine.resume(s, instance_id, user_id=user_id, reason=reason), _("The case goes on."))
    return _back(instance_id)


@bp.post("/<int:instance_id>/terminate")
def terminate(instance_id: int) -> Any:
    instance_or_404(db_session(), instance_id)
    reason, user_id, engine = _reason(), current_user.id, services().engine
    missing = _require_reason(instance_id, reason)
    if missing is not None:
        return missing
    _attempt(lambda s: engine.terminate(s, instance_id, user_id=user_id, reason=reason), _("The case is stopped."))
    return _back(instance_id)


@bp.post("/<int:instance_id>/incidents/<int:incident_id>/retry")
def retry_incident(instance_id: int, incident_id: int) -> Any:
    session = db_session()
    instance_or_404(session, instance_id)
    _incident_or_404(session, instance_id, incident_id)
    reason, user_id, engine = _reason(), current_user.id, services().engine
    _attempt(lambda s: engine.retry_incident(s, incident_id, user_id=user_id, reason=reason),
             _("The failed step runs again."))
    return _back(instance_id)


@bp.post("/<int:instance_id>/incidents/<int:incident_id>/resolve")
def resolve_incident(instance_id: int, incident_id: int) -> Any:
    session = db_session()
    instance_or_404(session, instance_id)
    _incident_or_404(session, instance_id, incident_id)
    note = (request.form.get("note") or "").strip()[:MAX_REASON]
    if not note:
        flash(_("Write a note saying how the incident was resolved."), "error")
        return _back(instance_id)
    user_id, engine = current_user.id, services().engine
    _attempt(lambda s: engine.resolve_incident(s, incident_id, user_id=user_id, note=note),
             _("The incident is resolved."))
    return _back(instance_id)


@bp.post("/<int:instance_id>/move")
def move(instance_id: int) -> Any:
    instance_or_404(db_session(), instance_id)
    choice = request.form.get("move") or ""
    task_guid, _sep, target = choice.partition("::")
    if not task_guid or not target:
        flash(_("Choose the token to move and where it goes."), "error")
        return _back(instance_id)
    reason = _reason()
    missing = _require_reason(instance_id, reason)
    if missing is not None:
        return missing
    user_id, engine = current_user.id, services().engine
    _attempt(lambda s: move_token(s, engine, instance_id, task_guid=task_guid, to_bpmn_id=target,
                                  user_id=user_id, reason=reason),
             _("The token is moved."))
    return _back(instance_id)


@bp.post("/<int:instance_id>/migrate")
def migrate(instance_id: int) -> Any:
    session = db_session()
    instance_or_404(session, instance_id)
    target_id = request.form.get("target_version_id", type=int)
    if target_id is None or session.get(ProcessVersion, target_id) is None:
        flash(_("Choose the version to move the case to."), "error")
        return _back(instance_id)
    reason = _reason()
    missing = _require_reason(instance_id, reason)
    if missing is not None:
        return missing
    user_id, engine = current_user.id, services().engine
    _attempt(lambda s: migrate_instance(s, engine, instance_id, target_version_id=target_id, user_id=user_id,
                                        reason=reason),
             _("The case now runs on the new version."))
    return _back(instance_id)


@bp.post("/versions/<int:version_id>/migrate")
def migrate_all(version_id: int) -> Any:
    """Every instance of this version that can move goes to the chosen newer version; the page
    then lists what moved and, per instance, why the others could not."""
    session = db_session()
    version = version_or_404(session, version_id)
    target_id = request.form.get("target_version_id", type=int)
    target = session.get(ProcessVersion, target_id) if target_id is not None else None
    reason = _reason()
    if target is None or target.key != version.key or target.version <= version.version:
        flash(_("Choose a newer version of the same process."), "error")
        return heatmap_page(session, version, reason=reason, status=400)
    if not reason:
        flash(_("Give a reason: it is kept in the case's history."), "error")
        return heatmap_page(session, version, target_id=target.id, status=400)
    user_id, engine, target_pk = current_user.id, services().engine, target.id
    try:
        report = run_command(lambda s: migrate_version(s, engine, version_id, target_pk, user_id=user_id,
                                                       reason=reason))
    except (EngineError, ValueError) as exc:
        flash(_("Nothing was changed: %(reason)s", reason=str(exc)), "error")
        return heatmap_page(db_session(), version, reason=reason, target_id=target_pk, status=409)
    flash(_("%(moved)s case(s) moved to version %(n)s; %(refused)s refused.", moved=len(report.migrated),
            n=target.version, refused=len(report.refused)), "success" if not report.refused else "error")
    return heatmap_page(db_session(), version, report=report, target_id=target_pk)
