"""User management ("gestion utilisateurs", seed 000) of the chosen organisation: every member
with role, status and the manager's star; managers confirm or refuse people awaiting
confirmation and, on a member's page, set the role, the buildings, the withheld functions and
the tools; every member edits their own employee information. A membership of another
organisation is a 404, whatever its id."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import ValidationError
from sqlalchemy.orm import Session

from engine.access.models import User
from engine.metering.models import Building
from engine.portal import members as engine_members
from engine.portal import tools as engine_tools
from engine.portal.access import PortalAccess, visible_buildings_query
from engine.portal.errors import PortalRefused
from engine.portal.models import Membership, PortalFunction
from engine.workflow.errors import NotFound
from webapp.context import db_session
from webapp.portal.blueprint import bp
from webapp.portal.context import current_access, portal_required
from webapp.portal.member_labels import FUNCTIONS, ROLES, STATUSES, refusal
from webapp.portal.organisations import EMPLOYEE_KEYS, EmployeeInfoSchema, form_errors
from webapp.portal.tools import ensure_tool_rows
from webapp.privacy import record_access  # the access log of personal data
from webapp.transactions import run_command


def _access() -> PortalAccess:
    access = current_access()
    assert access is not None  # portal_required saw to it
    return access


def _membership(access: PortalAccess, membership_id: int) -> Membership:
    try:
        return engine_members.member_of(db_session(), access.organisation_id, membership_id)
    except NotFound:
        abort(404)


@bp.get("/members")
@portal_required()
def members() -> Any:
    access = _access()
    rows = engine_members.members_of(db_session(), access.organisation_id)
    record_access("view", "organisation", access.organisation_id, record_key="members", rows=len(rows))
    return render_template("portal/members/index.html", access=access, rows=rows, roles=ROLES, statuses=STATUSES)


def _render_member(access: PortalAccess, membership: Membership, *, errors: dict[str, list[str]] | None = None,
                   values: dict[str, str] | None = None, status: int = 200) -> Any:
    if access.is_manager:
        ensure_tool_rows()
    session = db_session()
    person = session.get(User, membership.user_id)
    buildings = session.scalars(visible_buildings_query(access).order_by(Building.name, Building.id)).all() \
        if access.is_manager else []
    info = values or {k: getattr(membership, k) or "" for k in EMPLOYEE_KEYS}
    return render_template(
        "portal/members/show.html", access=access, membership=membership, person=person, roles=ROLES,
        statuses=STATUSES, functions=FUNCTIONS, buildings=buildings,
        chosen_buildings=engine_members.building_ids_of(session, membership.id),
        tools=engine_tools.all_tools(session) if access.is_manager else [],
        granted=engine_tools.granted_codes(session, membership.id), info=info, errors=errors or {},
        may_edit_info=access.is_manager or membership.user_id == access.user_id,
        language=str(getattr(current_user.user, "locale", None) or "fr")), status


@bp.get("/members/<int:membership_id>")
@portal_required()
def member(membership_id: int) -> Any:
    access = _access()
    membership = _membership(access, membership_id)
    if not access.is_manager and membership.user_id != access.user_id:
        # employees see the list; a member's page with its restrictions is for managers and themself
        abort(404)
    record_access("view", "member", membership.id)
    return _render_member(access, membership)


@bp.post("/members/<int:membership_id>/info")
@portal_required()
def member_info(membership_id: int) -> Any:
    access = _access()
    membership = _membership(access, membership_id)
    if not access.is_manager and membership.user_id != access.user_id:
        abort(404)
    values = {k: request.form.get(k, "").strip() for k in EMPLOYEE_KEYS}
    try:
        info = EmployeeInfoSchema().load(values)
    except ValidationError as exc:
        return _render_member(access, membership, errors=form_errors(exc), values=values, status=400)
    try:
        run_command(lambda s: engine_members.edit_employee_info(s, current_user.id, access.organisation_id,
                                                                membership_id, info))
    except PortalRefused as exc:
        flash(refusal(exc), "error")
        return redirect(url_for("portal.members"))
    flash(_("The employee information is saved."), "success")
    return redirect(url_for("portal.member", membership_id=membership_id))


def _manager_action(membership_id: int, command: Callable[[Session, PortalAccess], Any], done: str,
                    back: str = "member") -> Any:
    """Run one manager command on a member of the chosen organisation and go back."""
    access = _access()
    _membership(access, membership_id)  # 404 first: a foreign id learns nothing, not even "refused"
    try:
        run_command(lambda s: command(s, access))
    except PortalRefused as exc:
        flash(refusal(exc), "error")
    else:
        flash(done, "success")
    if back == "list":
        return redirect(url_for("portal.members"))
    return redirect(url_for("portal.member", membership_id=membership_id))


@bp.post("/members/<int:membership_id>/confirm")
@portal_required(manager=True)
def confirm_member(membership_id: int) -> Any:
    return _manager_action(membership_id, lambda s, a: engine_members.confirm_member(
        s, a.user_id, a.organisation_id, membership_id), _("The member is confirmed and informed by e-mail."), "list")


@bp.post("/members/<int:membership_id>/refuse")
@portal_required(manager=True)
def refuse_member(membership_id: int) -> Any:
    return _manager_action(membership_id, lambda s, a: engine_members.refuse_member(
        s, a.user_id, a.organisation_id, membership_id), _("The request is refused and the person informed."), "list")


@bp.post("/members/<int:membership_id>/role")
@portal_required(manager=True)
def member_role(membership_id: int) -> Any:
    role = request.form.get("role", "")
    return _manager_action(membership_id, lambda s, a: engine_members.set_role(
        s, a.user_id, a.organisation_id, membership_id, role), _("The role is saved."))


@bp.post("/members/<int:membership_id>/buildings")
@portal_required(manager=True)
def member_buildings(membership_id: int) -> Any:
    everything = request.form.get("scope", "all") == "all"
    try:
        ids = [int(v) for v in request.form.getlist("building")]
    except ValueError:
        abort(400)
    return _manager_action(membership_id, lambda s, a: engine_members.restrict_buildings(
        s, a.user_id, a.organisation_id, membership_id, all_buildings=everything, building_ids=ids),
        _("The buildings this member sees are saved."))


@bp.post("/members/<int:membership_id>/functions")
@portal_required(manager=True)
def member_functions(membership_id: int) -> Any:
    allowed = set(request.form.getlist("function"))
    denied = [f.value for f in PortalFunction if f.value not in allowed]
    return _manager_action(membership_id, lambda s, a: engine_members.set_denied_functions(
        s, a.user_id, a.organisation_id, membership_id, denied), _("The functions of this member are saved."))


@bp.post("/members/<int:membership_id>/tools")
@portal_required(manager=True)
def member_tools(membership_id: int) -> Any:
    codes = request.form.getlist("tool")
    return _manager_action(membership_id, lambda s, a: engine_tools.set_member_tools(
        s, a.user_id, a.organisation_id, membership_id, codes), _("The tools of this member are saved."))


@bp.post("/members/<int:membership_id>/remove")
@portal_required(manager=True)
def remove_member(membership_id: int) -> Any:
    return _manager_action(membership_id, lambda s, a: engine_members.remove_member(
        s, a.user_id, a.organisation_id, membership_id), _("The member is removed from the organisation."), "list")
