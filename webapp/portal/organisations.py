"""My organisations (seed 002): the account's memberships, choosing the organisation to work
for, and adding one by enterprise number (checked, looked up in the BCE, then created or joined).
These pages need an account, not an organisation: they are where one is chosen."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import ValidationError, fields, validate

from engine.parties.enterprise_number import EnterpriseNumberError, format_number, normalise
from engine.parties.models import Organisation
from engine.portal import organisations as engine_organisations
from engine.portal.access import access_for
from engine.portal.errors import PortalRefused
from engine.portal.members import members_of
from engine.portal.tools import all_tools, is_enabled
from forms.base_schema import FormSchema
from forms.enterprise_number import enterprise_number_message
from webapp.context import db_session
from webapp.parties.views import bce_lookup
from webapp.portal.blueprint import bp
from webapp.portal.context import account_required, choose_organisation, current_access, portal_required
from webapp.portal.member_labels import REFUSALS, ROLES, STATUSES, refusal
from webapp.transactions import run_command

EMAIL_PATTERN = r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$"  # empty, or something that looks like an address


class EmployeeInfoSchema(FormSchema):
    job_title = fields.String(load_default="", validate=validate.Length(max=100, error=_l("At most 100 characters.")))
    contact_email = fields.String(load_default="", validate=[
        validate.Length(max=254, error=_l("At most 254 characters.")),
        validate.Regexp(EMAIL_PATTERN, error=_l("Enter an e-mail address such as name@example.be."))])
    phone = fields.String(load_default="", validate=validate.Length(max=50, error=_l("At most 50 characters.")))


class OrganisationSchema(FormSchema):
    name = fields.String(required=True, validate=validate.Length(
        min=1, max=255, error=_l("Enter the organisation's name (at most 255 characters).")))
    email = fields.String(load_default="", validate=validate.Regexp(
        EMAIL_PATTERN, error=_l("Enter an e-mail address such as name@example.be.")))
    phone = fields.String(load_default="", validate=validate.Length(max=50, error=_l("At most 50 characters.")))
    street = fields.String(load_default="", validate=validate.Length(max=200, error=_l("At most 200 characters.")))
    house_number = fields.String(load_default="", validate=validate.Length(max=20, error=_l("At most 20 characters.")))
    box = fields.String(load_default="", validate=validate.Length(max=20, error=_l("At most 20 characters.")))
    postcode = fields.String(load_default="", validate=validate.Length(max=10, error=_l("At most 10 characters.")))
    municipality = fields.String(load_default="", validate=validate.Length(
        max=100, error=_l("At most 100 characters.")))


EMPLOYEE_KEYS = ("job_title", "contact_email", "phone")
ORGANISATION_KEYS = ("name", "email", "phone", "street", "house_number", "box", "postcode", "municipality")


def form_errors(exc: ValidationError) -> dict[str, list[str]]:
    return {k: [str(m) for m in (v if isinstance(v, list) else [v])] for k, v in exc.messages.items()}


def _stripped(keys: tuple[str, ...]) -> dict[str, str]:
    return {k: request.form.get(k, "").strip() for k in keys}


@bp.get("/organisations")
@account_required
def organisations() -> Any:
    memberships = engine_organisations.memberships_of(db_session(), current_user.id)
    return render_template("portal/organisations/index.html", memberships=memberships, roles=ROLES,
                           statuses=STATUSES, chosen=current_access())


@bp.post("/organisations/<int:organisation_id>/use")
@account_required
def use_organisation(organisation_id: int) -> Any:
    """Only an active membership can be chosen; anything else is the same 404."""
    if access_for(db_session(), current_user.id, organisation_id) is None:
        abort(404)
    choose_organisation(organisation_id)
    return redirect(url_for("portal.index"))


def _render_add(number: str, *, record: Any = None, error: str | None = None, values: dict[str, str] | None = None,
                errors: dict[str, list[str]] | None = None, status: int = 200) -> Any:
    return render_template("portal/organisations/add.html", number=number, record=record, error=error,
                           values=values or {}, errors=errors or {}), status


@bp.route("/organisations/add", methods=["GET", "POST"])
@account_required
def add_organisation() -> Any:
    """Step 1: the number -> checked and looked up; step 2 (``confirm``): the BCE data shown, the
    employee information -> create or join."""
    number = request.values.get("number", "").strip()
    if request.method == "GET" and not number:
        return _render_add("")
    try:
        digits = normalise(number)
    except EnterpriseNumberError as exc:
        return _render_add(number, error=enterprise_number_message(exc), status=422)
    record = bce_lookup().lookup(digits)
    if record is None:
        return _render_add(number, error=_(
            "The enterprise number %(number)s is correct but unknown in the BCE (Crossroads Bank for Enterprises). "
            "Check it in the BCE public search (kbopub.economie.fgov.be).", number=format_number(digits)), status=422)
    if request.method == "GET" or not request.form.get("confirm"):
        return _render_add(format_number(digits), record=record)
    values = _stripped(EMPLOYEE_KEYS)
    try:
        info = EmployeeInfoSchema().load(values)
    except ValidationError as exc:
        return _render_add(format_number(digits), record=record, values=values, errors=form_errors(exc), status=400)
    try:
        added = run_command(lambda s: engine_organisations.add_organisation(
            s, current_user.id, record.organisation_fields(), info))
    except PortalRefused as exc:
        return _render_add(format_number(digits), record=record, values=values, error=refusal(exc), status=409)
    if added.created:
        choose_organisation(added.organisation.id)
        flash(_("%(name)s is created and you are its manager.", name=added.organisation.name), "success")
        return redirect(url_for("portal.index"))
    flash(_("Your request to join %(name)s is sent; its managers will confirm it. You will receive an e-mail.",
            name=added.organisation.name), "success")
    return redirect(url_for("portal.organisations"))


@bp.route("/organisation", methods=["GET", "POST"])
@portal_required()
def organisation() -> Any:
    """The chosen organisation: tabs Data (managers edit), Employees, Tools."""
    access = current_access()
    assert access is not None
    session = db_session()
    org = session.get(Organisation, access.organisation_id)
    assert org is not None
    tab = request.args.get("tab", "data")
    values = {k: getattr(org, k) or "" for k in ORGANISATION_KEYS}
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        if not access.is_manager:
            abort(403)
        values = _stripped(ORGANISATION_KEYS)
        try:
            data = OrganisationSchema().load(values)
            run_command(lambda s: engine_organisations.edit_organisation(s, current_user.id, org.id, data))
        except ValidationError as exc:
            errors, status = form_errors(exc), 400
        except PortalRefused as exc:
            errors, status = {"name": [refusal(exc)]}, 409
        else:
            flash(_("The organisation's data is saved."), "success")
            return redirect(url_for("portal.organisation"))
        org = db_session().get(Organisation, access.organisation_id)
    members = members_of(db_session(), access.organisation_id) if tab == "employees" else []
    tools = [(t, is_enabled(db_session(), access.organisation_id, t.id)) for t in all_tools(db_session())]
    return render_template("portal/organisations/show.html", access=access, organisation=org, tab=tab,
                           values=values, errors=errors, members=members, roles=ROLES, statuses=STATUSES,
                           tools=tools, refusals=REFUSALS), status
