"""Pages of the designer: the list of processes, a new process, the modeler, the version history
(open, download or re-deploy any version)."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from engine.workflow.deploy import DeploymentError
from engine.workflow.drafts import ProcessDraft, get_draft, save_draft
from engine.workflow.errors import ConflictError, NotFound
from engine.workflow.history import get_version, history, latest_per_key, redeploy, versions
from webapp.context import db_session, services
from webapp.designer.blueprint import bp
from webapp.designer.service import key_or_404
from webapp.designer.template import KEY_PATTERN, new_process_xml
from webapp.designer.texts import modeler_texts
from webapp.transactions import run_command


@bp.get("/")
def index() -> Any:
    session = db_session()
    drafts = {d.key: d for d in session.scalars(select(ProcessDraft))}
    deployed = latest_per_key(session)
    new_only = sorted(k for k in drafts if k not in {v.key for v, _who in deployed})
    return render_template("designer/index.html", deployed=deployed, drafts=drafts, new_only=new_only,
                           form=request.args)


@bp.post("/new")
def new() -> Any:
    key = (request.form.get("key") or "").strip()
    name = (request.form.get("name") or "").strip()
    if not KEY_PATTERN.match(key):
        flash(_("The process key must start with a letter and hold only letters, digits, - and _ "
                "(at most 100), e.g. information or roof_insulation."), "error")
        return redirect(url_for("designer.index", key=key, name=name))
    session = db_session()
    if versions(session, key) or get_draft(session, key) is not None:
        flash(_("A process %(key)s exists already: open it from the list.", key=key), "error")
        return redirect(url_for("designer.index", key=key, name=name))
    try:
        run_command(lambda s: save_draft(s, key, new_process_xml(key, name or key), lock_version=None,
                                         user_id=current_user.id))
    except ConflictError:
        flash(_("A process %(key)s exists already: open it from the list.", key=key), "error")
        return redirect(url_for("designer.index"))
    return redirect(url_for("designer.modeler", key=key))


@bp.get("/processes/<key>")
def modeler(key: str) -> Any:
    key_or_404(key)
    session = db_session()
    rows = versions(session, key)
    if not rows and get_draft(session, key) is None:
        abort(404)
    return render_template("designer/modeler.html", key=key, versions=rows,
                           chosen=request.args.get("version", type=int), texts=modeler_texts())


@bp.get("/processes/<key>/history")
def history_page(key: str) -> Any:
    key_or_404(key)
    try:
        entries = history(db_session(), key)
    except NotFound:
        abort(404)
    return render_template("designer/history.html", key=key, entries=entries)


@bp.get("/processes/<key>/versions/<int:number>.bpmn")
def download_version(key: str, number: int) -> Any:
    key_or_404(key)
    try:
        version = get_version(db_session(), key, number)
    except NotFound:
        abort(404)
    return Response(version.bpmn_xml, mimetype="application/xml", headers={
        "Content-Disposition": f'attachment; filename="{key}-v{number}.bpmn"',
    })


@bp.post("/processes/<key>/versions/<int:number>/redeploy")
def redeploy_version(key: str, number: int) -> Any:
    key_or_404(key)
    comment = (request.form.get("comment") or "").strip()[:2000]
    engine = services().engine
    try:
        result = run_command(lambda s: redeploy(s, key, number, forms=engine.forms, operators=engine.operators,
                                                user_id=current_user.id, comment=comment or None))
    except NotFound:
        abort(404)
    except DeploymentError as exc:
        flash(_("Version %(n)s no longer passes the checks: %(problems)s", n=number,
                problems="; ".join(str(p) for p in exc.problems)), "error")
        return redirect(url_for("designer.history_page", key=key))
    except ConflictError as exc:
        flash(str(exc), "error")
        return redirect(url_for("designer.history_page", key=key))
    if result.created:
        flash(_("Version %(old)s deployed again as version %(n)s.", old=number, n=result.version.version), "success")
    else:
        flash(_("Version %(n)s is already the newest: nothing new was deployed.", n=result.version.version),
              "success")
    return redirect(url_for("designer.history_page", key=key))
