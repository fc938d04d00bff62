"""Portal access requests of the chosen organisation (seed 000, "Accès"): the list with their
status, and the form a manager fills to ask for buildings of a client number. Refused buildings
are shown with their reason at once; the rest goes to a case worker (engine/portal/access_requests.py)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import Schema, ValidationError, fields, validate

from engine.portal import access_requests as engine_requests
from forms.base_schema import FormSchema
from webapp.context import db_session, services
from webapp.portal.blueprint import bp
from webapp.portal.context import current_access, portal_required
from webapp.transactions import run_command


class AccessRequestSchema(FormSchema):
    client_number = fields.String(required=True, validate=validate.Regexp(
        engine_requests.CLIENT_NUMBER, error=_l("A client number has 3 to 20 letters and digits, e.g. C100200.")))
    building_codes = fields.List(fields.String(), required=True, validate=validate.Length(
        min=1, max=50, error=_l("Give between 1 and 50 building IDs (e.g. B00012), one per line.")))
    message = fields.String(load_default="", validate=validate.Length(
        max=2000, error=_l("Write at most 2000 characters.")))


def _load(form: Any) -> dict[str, Any]:
    raw = {"client_number": engine_requests.normalise_client_number(form.get("client_number", "")),
           "building_codes": engine_requests.split_codes(form.get("building_codes", "")),
           "message": form.get("message", "")}
    schema: Schema = AccessRequestSchema()
    return schema.load(raw)


def _render(values: dict[str, str], errors: dict[str, list[str]] | None = None,
            refusals: dict[str, str] | None = None, status: int = 200) -> Any:
    access = current_access()
    assert access is not None
    return render_template("portal/access_requests.html", access=access, values=values, errors=errors or {},
                           refusals=refusals or {},
                           requests=engine_requests.requests_of(db_session(), access.organisation_id)), status


@bp.route("/access-requests", methods=["GET", "POST"])
@portal_required()
def access_requests() -> Any:
    access = current_access()
    assert access is not None
    if request.method == "GET":
        return _render({})
    if not access.is_manager:
        return _render({}, status=403)
    values = {k: request.form.get(k, "") for k in ("client_number", "building_codes", "message")}
    try:
        data = _load(request.form)
    except ValidationError as exc:
        errors = {k: [str(m) for m in (v if isinstance(v, list) else [v])] for k, v in exc.messages.items()}
        return _render(values, errors=errors, status=400)
    try:
        created = run_command(lambda s: engine_requests.submit_request(
            s, services().engine, organisation_id=access.organisation_id, requester_id=current_user.id,
            client_number=data["client_number"], codes=data["building_codes"], message=data["message"]))
    except engine_requests.NothingToRequest as refused:
        return _render(values, refusals=refused.refusals, status=400)
    if created.refusals:
        flash(_("Some buildings were refused; see the reasons in the list."), "info")
    flash(_("Your request is sent. A case worker checks it and you will receive an e-mail."), "success")
    return redirect(url_for("portal.access_requests"))
