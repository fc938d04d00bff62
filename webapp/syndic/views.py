"""The pages of the /syndic blueprint (see the package docstring) and the template helpers it
lends to the organisation page and the task page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from engine.access.models import Role
from engine.parties.models import Organisation
from engine.portal.models import Membership
from engine.privacy.models import AccessAction, RecordType
from engine.syndic import fees as syndic_fees
from engine.syndic import requests as syndic_requests
from engine.syndic.models import Mandate, MandateRequest
from engine.wallet.models import Wallet
from engine.workflow.errors import InvalidState, NotFound
from engine.workflow.models import AuditEvent, HumanTask, HumanTaskState
from webapp.auth import require_roles
from webapp.context import db_session, services
from webapp.privacy.recorder import record_access
from webapp.syndic import bp, filing, labels
from webapp.transactions import run_command

REVIEW_FORM = "syndic.review_documents"
KIND_CHOICE = "<any(" + ", ".join(filing.KINDS) + "):kind>"
DOCUMENT = "<any(" + ", ".join(filing.DOCUMENT_NAMES) + "):document>"
LATE_FILTERS = ("late", "on_time")


def _request_or_404(request_id: int) -> MandateRequest:
    try:
        return syndic_requests.get_request(db_session(), request_id)
    except NotFound:
        abort(404)


def review_task(session: Session, row: MandateRequest) -> HumanTask | None:
    """The open document check of the request's process, if any."""
    if row.process_instance_id is None:
        return None
    return session.scalar(select(HumanTask).where(
        HumanTask.instance_id == row.process_instance_id, HumanTask.form_key == REVIEW_FORM,
        HumanTask.state == HumanTaskState.READY.value)
        .order_by(HumanTask.id.desc()).limit(1))


# -- the list ------------------------------------------------------------------------------------

@bp.get("/requests")
def requests() -> Any:
    session = db_session()
    status = request.args.get("status", "")
    late = request.args.get("late", "")
    kind = request.args.get("kind", "")
    rows = syndic_requests.open_requests(session, status=status if status in labels.STATUSES else None)
    if kind in labels.KINDS:
        rows = [r for r in rows if r.kind == kind]
    if late == "late":
        rows = [r for r in rows if r.late_working_days]
    elif late == "on_time":
        rows = [r for r in rows if not r.late_working_days]
    tasks = {r.id: review_task(session, r) for r in rows}
    return render_template("syndic/requests.html", labels=labels, rows=rows, tasks=tasks,
                           filters={"status": status, "late": late, "kind": kind},
                           may_see_instances=current_user.has_role(Role.PROCESS_DESIGNER, Role.MANAGER))


# -- one request ---------------------------------------------------------------------------------

def _history(session: Session, row: MandateRequest) -> list[AuditEvent]:
    """The audit events of the request and of its process instance, oldest first."""
    conditions = [(AuditEvent.subject_type.in_(("syndic_request", "mandate_request", "syndic_mandate_request")))
                  & (AuditEvent.subject_id == row.id)]
    if row.process_instance_id is not None:
        conditions.append(AuditEvent.instance_id == row.process_instance_id)
    return list(session.scalars(select(AuditEvent).where(or_(*conditions))
                                .order_by(AuditEvent.at, AuditEvent.id).limit(500)))


def _detail(row: MandateRequest, errors: dict[str, list[str]] | None = None, values: dict[str, str] | None = None,
            problem: str | None = None, status: int = 200) -> Any:
    session = db_session()
    record_access(AccessAction.VIEW, RecordType.SYNDIC_REQUEST, row.id)  # national register numbers
    organisation = session.get(Organisation, row.organisation_id)
    return render_template(
        "syndic/request.html", labels=labels, row=row, organisation=organisation, history=_history(session, row),
        task=review_task(session, row), errors=errors or {}, values=values or {}, problem=problem,
        may_act=current_user.has_role(Role.CASE_WORKER),
        may_see_instances=current_user.has_role(Role.PROCESS_DESIGNER, Role.MANAGER)), status


@bp.get("/requests/<int:mandate_request_id>")
def show(mandate_request_id: int) -> Any:
    return _detail(_request_or_404(mandate_request_id))


@bp.get(f"/requests/<int:mandate_request_id>/documents/{DOCUMENT}")
def document(mandate_request_id: int, document: str) -> Any:
    return filing.send_document(_request_or_404(mandate_request_id), document)


@bp.post("/requests/<int:mandate_request_id>/confirm")
@require_roles(Role.CASE_WORKER)
def confirm(mandate_request_id: int) -> Any:
    """The enterprise counter confirmed the filing: its reference and date go to the process."""
    row = _request_or_404(mandate_request_id)
    values = {k: (request.form.get(k) or "").strip() for k in ("counter_reference", "confirmed_on")}
    errors: dict[str, list[str]] = {}
    if not values["counter_reference"]:
        errors["counter_reference"] = [_("Enter the reference the enterprise counter gave.")]
    elif len(values["counter_reference"]) > 80:
        errors["counter_reference"] = [_("The reference has at most 80 characters.")]
    confirmed_on: dt.date | None = None
    if values["confirmed_on"]:
        try:
            confirmed_on = dt.date.fromisoformat(values["confirmed_on"])
        except ValueError:
            errors["confirmed_on"] = [_("Enter the date as yyyy-mm-dd, e.g. 2026-04-01.")]
        else:
            if confirmed_on > dt.date.today():
                errors["confirmed_on"] = [_("The confirmation date cannot be in the future.")]
    if errors:
        return _detail(row, errors, values, status=400)
    try:
        run_command(lambda s: syndic_requests.confirm_filing(
            s, services().engine, row.id, user_id=current_user.id, counter_reference=values["counter_reference"],
            confirmed_on=confirmed_on))
    except InvalidState as exc:
        return _detail(_request_or_404(mandate_request_id), values=values, problem=str(exc), status=409)
    flash(_("The confirmation is recorded; the mandate history is updated."), "success")
    return redirect(url_for("syndic.show", mandate_request_id=mandate_request_id))


@bp.post("/requests/<int:mandate_request_id>/cancel")
@require_roles(Role.CASE_WORKER)
def cancel(mandate_request_id: int) -> Any:
    row = _request_or_404(mandate_request_id)
    reason = (request.form.get("reason") or "").strip()
    if not reason:
        return _detail(row, {"reason": [_("Give the reason of the cancellation; the requester reads it.")]},
                       status=400)
    try:
        run_command(lambda s: syndic_requests.cancel_request(s, services().engine, row.id, user_id=current_user.id,
                                                             reason=reason))
    except InvalidState as exc:
        return _detail(_request_or_404(mandate_request_id), problem=str(exc), status=409)
    flash(_("The request is cancelled."), "success")
    return redirect(url_for("syndic.show", mandate_request_id=mandate_request_id))


# -- filing on behalf of an organisation ---------------------------------------------------------

def _paying_organisations(session: Session) -> list[Organisation]:
    """Organisations that can pay: portal organisations (members) or ones with a wallet."""
    return list(session.scalars(select(Organisation).where(or_(
        Organisation.id.in_(select(Membership.organisation_id)), Organisation.id.in_(select(Wallet.organisation_id))))
        .order_by(Organisation.name, Organisation.id).limit(500)))


@bp.get("/requests/new")
@require_roles(Role.CASE_WORKER)
def new() -> Any:
    return render_template("syndic/choose.html", labels=labels, kinds=filing.KINDS,
                           target=lambda kind: url_for("syndic.new_form", kind=kind), back=url_for("syndic.requests"))


def _form_page(kind: str, values: dict[str, str], organisation_id: int | None,
               errors: dict[str, list[str]] | None = None, problem: str | None = None, status: int = 200) -> Any:
    session = db_session()
    return render_template(
        "syndic/new_form.html", labels=labels, kind=kind, values=values, errors=errors or {}, problem=problem,
        organisations=_paying_organisations(session), organisation_id=organisation_id,
        fields=filing.fields_of(kind), sections=filing.SECTIONS[kind], section_fields=filing.SECTION_FIELDS,
        documents=filing.documents_of(kind), required=filing.required_now(kind, values),
        action=url_for("syndic.new_form", kind=kind), preview_url=url_for("syndic.preview", kind=kind),
        back=url_for("syndic.new"),
        **filing.preview_context(session, kind, values, organisation_id=organisation_id)), status


def _organisation_arg(value: str | None) -> int | None:
    """The chosen paying organisation's id, when it is one of the organisations that can pay."""
    try:
        wanted = int(value or "")
    except ValueError:
        return None
    return wanted if any(o.id == wanted for o in _paying_organisations(db_session())) else None


@bp.route(f"/requests/new/{KIND_CHOICE}", methods=["GET", "POST"])
@require_roles(Role.CASE_WORKER)
def new_form(kind: str) -> Any:
    filing.ensure_fee_rates()
    if request.method == "GET":
        return _form_page(kind, filing.form_values(kind, {}), _organisation_arg(request.args.get("organisation_id")))
    organisation_id = _organisation_arg(request.form.get("organisation_id"))
    if organisation_id is None:
        values = filing.form_values(kind, request.form)
        return _form_page(kind, values, None, {"organisation_id": [
            _("Choose the organisation that pays the fee from its wallet.")]}, status=400)
    outcome = filing.submit(db_session(), kind, request.form, request.files, organisation_id=organisation_id,
                            requester_id=current_user.id, channel="back_office")
    if outcome.request is None:
        return _form_page(kind, outcome.values, organisation_id, outcome.errors, outcome.problem, 400)
    flash(_("Request %(reference)s is filed on behalf of the organisation.", reference=outcome.request.reference),
          "success")
    return redirect(url_for("syndic.show", mandate_request_id=outcome.request.id))


@bp.post(f"/requests/new/{KIND_CHOICE}/preview")
@require_roles(Role.CASE_WORKER)
def preview(kind: str) -> Any:
    filing.ensure_fee_rates()
    values = filing.form_values(kind, request.form)
    return render_template("syndic/_preview.html", labels=labels, kind=kind, **filing.preview_context(
        db_session(), kind, values, organisation_id=_organisation_arg(request.form.get("organisation_id"))))


# -- the fee table -------------------------------------------------------------------------------

def _fees_page(errors: dict[str, list[str]] | None = None, values: dict[str, str] | None = None,
               problem: str | None = None, status: int = 200) -> Any:
    return render_template("syndic/fees.html", rates=syndic_fees.rates(db_session()), errors=errors or {},
                           values=values or {}, problem=problem,
                           may_edit=current_user.has_role(Role.ADMINISTRATOR)), status


@bp.get("/fees")
def fees() -> Any:
    filing.ensure_fee_rates()
    return _fees_page()


def _amount(value: str, name: str, errors: dict[str, list[str]]) -> Decimal | None:
    try:
        amount = Decimal(value.replace(",", "."))
    except InvalidOperation:
        errors[name] = [_("Enter an amount in euros, e.g. 92.50.")]
        return None
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal("0.01")):
        errors[name] = [_("Enter a positive amount in euros with at most two decimals, e.g. 92.50.")]
        return None
    return amount


@bp.post("/fees")
@require_roles(Role.ADMINISTRATOR)
def add_fee() -> Any:
    names = ("valid_from", "request_fee", "unknown_association_supplement", "vat_rate")
    values = {k: (request.form.get(k) or "").strip() for k in names}
    errors: dict[str, list[str]] = {}
    valid_from: dt.date | None = None
    try:
        valid_from = dt.date.fromisoformat(values["valid_from"])
    except ValueError:
        errors["valid_from"] = [_("Enter the first day the fee applies as yyyy-mm-dd, e.g. 2027-01-01.")]
    request_fee = _amount(values["request_fee"], "request_fee", errors)
    supplement = _amount(values["unknown_association_supplement"], "unknown_association_supplement", errors)
    vat_percent = _amount(values["vat_rate"] or "21", "vat_rate", errors)
    if vat_percent is not None and vat_percent > 100:
        errors["vat_rate"] = [_("The VAT rate is a percentage between 0 and 100, e.g. 21.")]
    if errors:
        return _fees_page(errors, values, status=400)
    assert valid_from is not None and request_fee is not None and supplement is not None and vat_percent is not None
    try:
        run_command(lambda s: syndic_fees.add_rate(
            s, actor_id=current_user.id, valid_from=valid_from, request_fee=request_fee,
            unknown_association_supplement=supplement, vat_rate=(vat_percent / 100).quantize(Decimal("0.0001"))))
    except (InvalidState, ValueError) as exc:
        return _fees_page(values=values, problem=str(exc), status=409)
    flash(_("The fee valid from %(date)s is added.", date=valid_from.isoformat()), "success")
    return redirect(url_for("syndic.fees"))


# -- helpers lent to the templates of other areas ------------------------------------------------

def organisation_mandates(organisation: Organisation) -> list[Mandate]:
    """The mandates where the organisation is the association or the syndic (organisation page)."""
    session = db_session()
    found = {m.id: m for m in syndic_requests.mandates_of_organisation(session, organisation.id)}
    if organisation.enterprise_number:
        for mandate in syndic_requests.mandate_history(session, organisation.enterprise_number):
            found.setdefault(mandate.id, mandate)
    return sorted(found.values(), key=lambda m: (m.start_date, m.id), reverse=True)


def request_of_task(task: HumanTask) -> MandateRequest | None:
    """The mandate request behind a task of a syndic process (the task page links to it)."""
    if not (task.process_key or "").startswith("syndic"):
        return None
    return db_session().scalar(select(MandateRequest).where(MandateRequest.process_instance_id == task.instance_id))


@bp.app_context_processor
def syndic_helpers() -> dict[str, Any]:
    return {"syndic_organisation_mandates": organisation_mandates, "syndic_request_of_task": request_of_task}
