"""JSON endpoints of the modeler page: the panel's lists, loading a diagram, validate, save a
draft (refused when stale), deploy, and the version history."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user

from engine.workflow.deploy import DeploymentError
from engine.workflow.drafts import DraftConflict, InvalidDraft, get_draft, save_draft
from engine.workflow.errors import ConflictError, NotFound
from engine.workflow.history import get_version, history, versions
from webapp.context import db_session, services
from webapp.designer.blueprint import bp
from webapp.designer.catalog import panel_catalog
from webapp.designer.service import deploy_diagram, key_or_404, problem_json, problems_of, source_name
from webapp.transactions import run_command

MAX_DIAGRAM_CHARS = 5_000_000


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def _xml(body: dict[str, Any]) -> str | None:
    xml = body.get("xml")
    if not isinstance(xml, str) or not xml.strip() or len(xml) > MAX_DIAGRAM_CHARS:
        return None
    return xml


def _error(message: str, status: int, **extra: Any) -> Any:
    return jsonify(error=message, **extra), status


def _when(value: Any) -> str | None:
    return format_datetime(value, "short") if value else None


@bp.get("/api/catalog")
def catalog() -> Any:
    svc = services()
    return jsonify(panel_catalog(db_session(), svc.forms, svc.engine.operators))


@bp.get("/api/processes/<key>/diagram")
def diagram(key: str) -> Any:
    """The diagram to open: a chosen version, else the draft, else the newest version."""
    session = db_session()
    key_or_404(key)
    draft = get_draft(session, key)
    number = request.args.get("version", type=int)
    rows = versions(session, key)
    if number is not None:
        try:
            version = get_version(session, key, number)
        except NotFound:
            return _error(_("This process has no version %(n)s.", n=number), 404)
        xml, source = version.bpmn_xml, "version"
    elif draft is not None:
        xml, source, number = draft.bpmn_xml, "draft", draft.base_version
    elif rows:
        xml, source, number = rows[0].bpmn_xml, "version", rows[0].version
    else:
        return _error(_("There is no process %(key)s yet.", key=key), 404)
    return jsonify(
        key=key, xml=xml, source=source, version=number,
        latest_version=rows[0].version if rows else None,
        draft_lock_version=draft.lock_version if draft else None,
        draft_saved_by=draft.saved_by.name if draft and draft.saved_by else None,
        draft_saved_at=_when(draft.saved_at) if draft else None,
    )


@bp.post("/api/validate")
def validate() -> Any:
    body = _body()
    xml = _xml(body)
    if xml is None:
        return _error(_("The diagram is empty or too large."), 400)
    key = body.get("key") if isinstance(body.get("key"), str) else None
    problems = problems_of(xml, key, f"{key or 'diagram'}.bpmn")
    return jsonify(valid=not problems, problems=[problem_json(p) for p in problems])


@bp.post("/api/processes/<key>/draft")
def draft(key: str) -> Any:
    key_or_404(key)
    body = _body()
    xml = _xml(body)
    if xml is None:
        return _error(_("The diagram is empty or too large."), 400)
    lock = body.get("lock_version")
    base = body.get("base_version")
    if (lock is not None and not isinstance(lock, int)) or (base is not None and not isinstance(base, int)):
        return _error(_("lock_version and base_version must be whole numbers."), 400)
    try:
        saved = run_command(lambda s: save_draft(s, key, xml, lock_version=lock, user_id=current_user.id,
                                                 base_version=base))
    except DraftConflict as exc:
        when = _when(exc.saved_at) or _("just now")
        return _error(_("%(who)s saved this draft at %(when)s, after you opened it. Nothing of yours was "
                        "saved: download your diagram, reload the page and redo your change.",
                        who=exc.saved_by or _("someone else"), when=when), 409)
    except InvalidDraft as exc:
        return _error(str(exc), 400)
    return jsonify(lock_version=saved.lock_version, saved_at=_when(saved.saved_at),
                   message=_("Draft saved."))


@bp.post("/api/processes/<key>/deploy")
def deploy(key: str) -> Any:
    key_or_404(key)
    body = _body()
    xml = _xml(body)
    if xml is None:
        return _error(_("The diagram is empty or too large."), 400)
    comment = body.get("comment")
    if not isinstance(comment, str) or not comment.strip():
        return _error(_("Write a comment saying what this version changes."), 400)
    try:
        result = run_command(lambda s: deploy_diagram(s, key, xml, user_id=current_user.id,
                                                      comment=comment.strip()[:2000]))
    except DeploymentError as exc:
        return _error(_("The diagram has problems; nothing was deployed."), 422,
                      problems=[problem_json(p) for p in exc.problems])
    except ConflictError as exc:
        return _error(str(exc), 409)
    version = result.version
    if result.created:
        message = _("Version %(n)s of %(key)s deployed.", n=version.version, key=key)
    else:
        message = _("The diagram is the same as version %(n)s: nothing new was deployed.", n=version.version)
    return jsonify(created=result.created, version=version.version, message=message,
                   source_name=source_name(db_session(), key))


@bp.get("/api/processes/<key>/history")
def history_json(key: str) -> Any:
    key_or_404(key)
    try:
        entries = history(db_session(), key)
    except NotFound:
        return jsonify(versions=[])
    return jsonify(versions=[
        {
            "version": e.version.version,
            "deployed_by": e.deployed_by,
            "deployed_at": _when(e.version.deployed_at),
            "comment": e.version.comment,
            "summary": e.diff.as_dict() if e.diff is not None else None,
            "open_url": url_for("designer.modeler", key=key, version=e.version.version),
            "download_url": url_for("designer.download_version", key=key, number=e.version.version),
        }
        for e in entries
    ])
