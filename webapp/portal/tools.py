"""Tools of the chosen organisation (seed 002): each with the accreditations it requires and, for
the signed-in member, what is still missing, in plain words; managers enable or disable tools."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from engine.portal import tools as engine_tools
from engine.portal.errors import PortalRefused
from engine.workflow.errors import NotFound
from webapp.context import db_session
from webapp.portal.blueprint import bp
from webapp.portal.context import current_access, portal_required
from webapp.portal.member_labels import ACCREDITATIONS, problem_text, refusal
from webapp.transactions import run_command


def ensure_tool_rows() -> None:
    """The tools are data rows; the first page that lists them creates them when missing."""
    if not engine_tools.all_tools(db_session()):
        run_command(engine_tools.ensure_tools)


@bp.get("/tools")
@portal_required()
def tools() -> Any:
    access = current_access()
    assert access is not None
    ensure_tool_rows()
    session = db_session()
    rows = []
    for tool in engine_tools.all_tools(session):
        problems = engine_tools.tool_problems(session, access, tool.code)
        rows.append({"tool": tool, "enabled": engine_tools.is_enabled(session, access.organisation_id, tool.id),
                     "problems": [problem_text(p) for p in problems],
                     "requires": [str(ACCREDITATIONS.get(k, k)) for k in tool.required_accreditations]})
    language = str(getattr(current_user.user, "locale", None) or "fr")
    return render_template("portal/tools/index.html", access=access, rows=rows, language=language)


def _toggle(code: str, enable: bool) -> Any:
    access = current_access()
    assert access is not None
    try:
        run_command(lambda s: (engine_tools.enable_tool if enable else engine_tools.disable_tool)(
            s, current_user.id, access.organisation_id, code))
    except NotFound:
        return ("", 404)
    except PortalRefused as exc:
        flash(refusal(exc), "error")
    else:
        flash(_("The tool is enabled for your organisation.") if enable
              else _("The tool is disabled for your organisation."), "success")
    return redirect(url_for("portal.tools"))


@bp.post("/tools/<code>/enable")
@portal_required(manager=True)
def enable_tool(code: str) -> Any:
    return _toggle(code, True)


@bp.post("/tools/<code>/disable")
@portal_required(manager=True)
def disable_tool(code: str) -> Any:
    return _toggle(code, False)
