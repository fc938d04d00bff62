"""Syndic mandates on the portal (seed 002, first part): the organisation's requests and the
mandate history of the associations it files for, the choice of what to file (renewal is
explained and files nothing), the request form with its live preview, one request's page (answer
a case worker's remark, pay when the wallet did not cover the fee, download its documents).

Every page needs the portal guard AND the tool "syndic_filing" (enabled, granted, IPI held); what
is missing is shown as on /portal/tools. A request of another organisation answers 404."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from engine.portal import tools as engine_tools
from engine.privacy.models import AccessAction, RecordType
from engine.syndic import requests as syndic_requests
from engine.syndic.models import MandateRequest
from engine.workflow.errors import NotFound
from webapp.context import db_session
from webapp.portal.blueprint import bp
from webapp.portal.context import current_access, portal_required
from webapp.portal.member_labels import problem_text
from webapp.portal.tools import ensure_tool_rows
from webapp.privacy.recorder import record_access
from webapp.syndic import filing, labels

F = TypeVar("F", bound=Callable[..., Any])
TOOL = "syndic_filing"
KIND_CHOICE = "<any(" + ", ".join(filing.CHOICES) + "):kind>"
FILED_KIND = "<any(" + ", ".join(filing.KINDS) + "):kind>"
DOCUMENT = "<any(" + ", ".join(filing.DOCUMENT_NAMES) + "):document>"


def tool_required(view: F) -> F:
    """The member may use the syndic-mandate filing; else the page lists what is missing (403)."""

    @wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        access = current_access()
        assert access is not None
        ensure_tool_rows()
        problems = engine_tools.tool_problems(db_session(), access, TOOL)
        if problems:
            return render_template("portal/mandates_unavailable.html",
                                   problems=[problem_text(p) for p in problems]), 403
        return view(*args, **kwargs)

    return guarded  # type: ignore[return-value]


def _organisation_id() -> int:
    access = current_access()
    assert access is not None
    return access.organisation_id


def _own_request(request_id: int) -> MandateRequest:
    """The request when it is the chosen organisation's; 404 for anything else."""
    try:
        row = syndic_requests.get_request(db_session(), request_id)
    except NotFound:
        abort(404)
    if row.organisation_id != _organisation_id():
        abort(404)
    return row


@bp.get("/mandates")
@portal_required()
@tool_required
def mandates() -> Any:
    session = db_session()
    organisation_id = _organisation_id()
    return render_template("portal/mandates.html", labels=labels,
                           requests=syndic_requests.requests_of_organisation(session, organisation_id),
                           history=syndic_requests.mandates_of_organisation(session, organisation_id))


@bp.get("/mandates/new")
@portal_required()
@tool_required
def new_mandate_request() -> Any:
    return render_template("syndic/choose.html", labels=labels, kinds=filing.CHOICES,
                           target=lambda kind: url_for("portal.mandate_form", kind=kind),
                           back=url_for("portal.mandates"))


def _form_page(kind: str, values: dict[str, str], errors: dict[str, list[str]] | None = None,
               problem: str | None = None, status: int = 200) -> Any:
    session = db_session()
    organisation_id = _organisation_id()
    return render_template(
        "portal/mandates_form.html", labels=labels, kind=kind, values=values, errors=errors or {}, problem=problem,
        fields=filing.fields_of(kind), sections=filing.SECTIONS[kind], section_fields=filing.SECTION_FIELDS,
        documents=filing.documents_of(kind), required=filing.required_now(kind, values),
        action=url_for("portal.mandate_form", kind=kind), preview_url=url_for("portal.mandate_preview", kind=kind),
        back=url_for("portal.new_mandate_request"),
        **filing.preview_context(session, kind, values, organisation_id=organisation_id)), status


@bp.route(f"/mandates/new/{KIND_CHOICE}", methods=["GET", "POST"])
@portal_required()
@tool_required
def mandate_form(kind: str) -> Any:
    if kind == "renewal":
        if request.method == "POST":
            abort(405)
        return render_template("syndic/renewal.html", labels=labels,
                               modification=url_for("portal.mandate_form", kind="modification"),
                               back=url_for("portal.new_mandate_request"))
    filing.ensure_fee_rates()
    if request.method == "GET":
        return _form_page(kind, filing.form_values(kind, {}))
    outcome = filing.submit(db_session(), kind, request.form, request.files, organisation_id=_organisation_id(),
                            requester_id=current_user.id, channel="portal")
    if outcome.request is None:
        return _form_page(kind, outcome.values, outcome.errors, outcome.problem, 400)
    flash(_("Your request %(reference)s is filed. A case worker checks the documents; you will receive an e-mail.",
            reference=outcome.request.reference), "success")
    return redirect(url_for("portal.mandate_request", mandate_request_id=outcome.request.id))


@bp.post(f"/mandates/new/{FILED_KIND}/preview")
@portal_required()
@tool_required
def mandate_preview(kind: str) -> Any:
    """The live preview (htmx): deadline, lateness, representative case, fee and wallet balance."""
    filing.ensure_fee_rates()
    values = filing.form_values(kind, request.form)
    return render_template("syndic/_preview.html", labels=labels, kind=kind,
                           **filing.preview_context(db_session(), kind, values,
                                                    organisation_id=_organisation_id()))


def _detail(row: MandateRequest, errors: dict[str, list[str]] | None = None, problem: str | None = None,
            status: int = 200) -> Any:
    record_access(AccessAction.VIEW, RecordType.SYNDIC_REQUEST, row.id)  # national register numbers
    return render_template("portal/mandates_show.html", labels=labels, row=row, errors=errors or {},
                           problem=problem, documents=filing.documents_of(row.kind)), status


@bp.get("/mandates/<int:mandate_request_id>")
@portal_required()
@tool_required
def mandate_request(mandate_request_id: int) -> Any:
    return _detail(_own_request(mandate_request_id))


@bp.post("/mandates/<int:mandate_request_id>/answer")
@portal_required()
@tool_required
def answer_mandate_request(mandate_request_id: int) -> Any:
    row = _own_request(mandate_request_id)
    errors, problem = filing.answer(row.id, request.form, request.files, user_id=current_user.id, kind=row.kind)
    if errors or problem:
        return _detail(_own_request(mandate_request_id), errors, problem, 400 if errors else 409)
    flash(_("Your answer is sent; the case worker checks the request again."), "success")
    return redirect(url_for("portal.mandate_request", mandate_request_id=mandate_request_id))


@bp.post("/mandates/<int:mandate_request_id>/pay")
@portal_required()
@tool_required
def pay_mandate_request(mandate_request_id: int) -> Any:
    row = _own_request(mandate_request_id)
    problem = filing.pay(row.id, user_id=current_user.id)
    if problem:
        return _detail(_own_request(mandate_request_id), problem=problem, status=409)
    flash(_("The fee is paid; the request goes to the enterprise counter."), "success")
    return redirect(url_for("portal.mandate_request", mandate_request_id=mandate_request_id))


@bp.get(f"/mandates/<int:mandate_request_id>/documents/{DOCUMENT}")
@portal_required()
@tool_required
def mandate_document(mandate_request_id: int, document: str) -> Any:
    return filing.send_document(_own_request(mandate_request_id), document)
