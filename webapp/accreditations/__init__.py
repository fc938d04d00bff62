"""Back office: accreditations of portal accounts and organisations (IPI membership, ...). A
case worker verifies them outside Guichet (the IPI register, ...) and records them here with the
reference and validity; tools that require them then open on the portal. Every change is audited
(engine/portal/tools.py)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import ValidationError, fields, validate
from sqlalchemy import or_, select

from engine.access.models import AccountKind, User
from engine.parties.models import Organisation
from engine.portal import tools as engine_tools
from engine.portal.errors import PortalRefused
from engine.portal.models import Membership
from engine.workflow.errors import NotFound
from forms.base_schema import FormSchema
from webapp.auth import CASE_HANDLERS, roles_guard
from webapp.context import db_session
from webapp.portal.member_labels import ACCREDITATIONS, refusal
from webapp.transactions import run_command

bp = Blueprint("accreditations", __name__, url_prefix="/accreditations")
bp.before_request(roles_guard(*CASE_HANDLERS))  # administrators always pass


class AccreditationSchema(FormSchema):
    holder = fields.String(required=True, validate=validate.Regexp(
        r"^(user|organisation):\d+$", error=_l("Choose the account or organisation that holds it.")))
    kind = fields.String(required=True, validate=validate.OneOf(
        [k.value for k in engine_tools.AccreditationKind], error=_l("Choose an accreditation kind from the list.")))
    reference = fields.String(required=True, validate=validate.Length(
        min=1, max=60, error=_l("Enter the reference number that was verified (at most 60 characters).")))
    valid_until = fields.Date(load_default=None, allow_none=True)


def _page(errors: dict[str, list[str]] | None = None, values: dict[str, str] | None = None, status: int = 200) -> Any:
    session = db_session()
    q = (request.args.get("q") or "").strip()
    accounts_query = select(User).where(User.kind == AccountKind.PORTAL.value).order_by(User.last_name, User.id)
    organisations_query = (select(Organisation).where(Organisation.id.in_(select(Membership.organisation_id)))
                           .order_by(Organisation.name, Organisation.id))
    if q:
        like = f"%{q}%"
        accounts_query = accounts_query.where(or_(User.name.ilike(like), User.email.ilike(like),
                                                  User.username.ilike(like)))
        organisations_query = organisations_query.where(or_(Organisation.name.ilike(like),
                                                            Organisation.enterprise_number.ilike(like)))
    accounts = session.scalars(accounts_query.limit(200)).all()
    organisations = session.scalars(organisations_query.limit(200)).all()
    held: dict[str, list[engine_tools.Accreditation]] = defaultdict(list)
    rows = session.scalars(select(engine_tools.Accreditation).where(or_(
        engine_tools.Accreditation.user_id.in_([a.id for a in accounts]),
        engine_tools.Accreditation.organisation_id.in_([o.id for o in organisations])))
        .order_by(engine_tools.Accreditation.verified_at.desc()))
    for row in rows:
        held[f"user:{row.user_id}" if row.user_id else f"organisation:{row.organisation_id}"].append(row)
    return render_template("accreditations/index.html", accounts=accounts, organisations=organisations, held=held,
                           kinds=ACCREDITATIONS, q=q, errors=errors or {}, values=values or {}), status


@bp.get("/")
def index() -> Any:
    return _page()


@bp.post("/record")
def record() -> Any:
    values = {k: request.form.get(k, "").strip() for k in ("holder", "kind", "reference", "valid_until")}
    try:
        data = AccreditationSchema().load({**values, "valid_until": values["valid_until"] or None})
    except ValidationError as exc:
        errors = {k: [str(m) for m in (v if isinstance(v, list) else [v])] for k, v in exc.messages.items()}
        return _page(errors, values, 400)
    holder_type, holder_id = data["holder"].split(":")
    session = db_session()
    holder = session.get(User, int(holder_id)) if holder_type == "user" else session.get(Organisation, int(holder_id))
    if holder is None or (holder_type == "user" and not holder.is_portal):
        abort(404)
    try:
        run_command(lambda s: engine_tools.record_accreditation(
            s, current_user.id, kind=data["kind"], reference=data["reference"], valid_until=data["valid_until"],
            user_id=int(holder_id) if holder_type == "user" else None,
            organisation_id=int(holder_id) if holder_type == "organisation" else None))
    except PortalRefused as exc:
        return _page({"reference": [refusal(exc)]}, values, 409)
    flash(_("The accreditation is recorded."), "success")
    return redirect(url_for("accreditations.index"))


@bp.post("/<int:accreditation_id>/revoke")
def revoke(accreditation_id: int) -> Any:
    try:
        run_command(lambda s: engine_tools.revoke_accreditation(s, current_user.id, accreditation_id))
    except NotFound:
        abort(404)
    except PortalRefused as exc:
        flash(refusal(exc), "error")
    else:
        flash(_("The accreditation is revoked."), "success")
    return redirect(url_for("accreditations.index"))
