"""The data-protection officer's pages: search the access log, export it, and a contact's data
(export as JSON or PDF, erasure). Every export is itself logged."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from engine.access.models import Role
from engine.privacy import access_log
from engine.privacy.erasure import ErasureRefused, anonymise_contact
from engine.privacy.export import person_document, render_pdf
from engine.privacy.models import AccessAction, RecordType
from engine.privacy.person import contact_or_404, gather
from webapp.auth import roles_guard
from webapp.context import db_session
from webapp.privacy.forms import ACTIONS, RECORD_TYPES, parse
from webapp.privacy.recorder import record_access
from webapp.transactions import run_command

bp = Blueprint("privacy", __name__, url_prefix="/privacy")
bp.before_request(roles_guard(Role.MANAGER))  # administrators always pass

PAGE_SIZE = 50


@bp.get("/access-log")
def access_log_page() -> Any:
    filters, after, errors = parse(request.args.to_dict())
    page = access_log.search(db_session(), filters, after=after, limit=PAGE_SIZE)
    args = {k: v for k, v in request.args.items() if k != "after" and k not in errors}
    status = 400 if errors else 200
    return render_template("privacy/access_log.html", page=page, values=request.args, errors=errors,
                           actions=ACTIONS, record_types=RECORD_TYPES, args=args), status


@bp.get("/access-log.csv")
def access_log_csv() -> Any:
    filters, _after, errors = parse(request.args.to_dict())
    if errors:
        return redirect(url_for("privacy.access_log_page", **request.args))
    text, count = access_log.to_csv(access_log.matching(db_session(), filters))
    record_access(AccessAction.EXPORT, RecordType.ACCESS_LOG, rows=count, record_key="csv")
    return Response(text, mimetype="text/csv", headers={
        "Content-Disposition": 'attachment; filename="access-log.csv"', "Cache-Control": "no-store"})


@bp.get("/contacts/<int:contact_id>")
def person(contact_id: int) -> Any:
    data = gather(db_session(), contact_id)
    record_access(AccessAction.VIEW, RecordType.CONTACT, contact_id)
    return render_template("privacy/person.html", data=data)


@bp.get("/contacts/<int:contact_id>/export.json")
def export_json(contact_id: int) -> Any:
    contact_or_404(db_session(), contact_id)  # 404 for an unknown contact
    document = person_document(db_session(), contact_id)
    record_access(AccessAction.EXPORT, RecordType.CONTACT, contact_id, rows=1, record_key="json")
    return Response(json.dumps(document, ensure_ascii=False, indent=2), mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="contact-{contact_id}.json"', "Cache-Control": "no-store"})


def pdf_labels() -> dict[str, str]:
    return {"title": _("Personal data held by Guichet"), "contact": _("Contact"), "dossiers": _("Dossiers"),
            "mails": _("E-mails"), "timeline": _("Timeline"), "files": _("Files"), "none": _("None")}


@bp.get("/contacts/<int:contact_id>/export.pdf")
def export_pdf(contact_id: int) -> Any:
    contact_or_404(db_session(), contact_id)  # 404 for an unknown contact
    pdf = render_pdf(person_document(db_session(), contact_id), pdf_labels())
    record_access(AccessAction.EXPORT, RecordType.CONTACT, contact_id, rows=1, record_key="pdf")
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="contact-{contact_id}.pdf"', "Cache-Control": "no-store"})


@bp.post("/contacts/<int:contact_id>/erase")
def erase(contact_id: int) -> Any:
    contact_or_404(db_session(), contact_id)  # 404 for an unknown contact
    if request.form.get("confirm") != "erase":
        flash(_("Tick the box to confirm the erasure: it cannot be undone."), "error")
        return redirect(url_for("privacy.person", contact_id=contact_id))
    actor_id = current_user.id
    try:
        report = run_command(lambda session: anonymise_contact(session, contact_id, actor_id))
    except ErasureRefused as refused:
        flash(_("The contact was not erased: %(reason)s", reason=str(refused)), "error")
        return redirect(url_for("privacy.person", contact_id=contact_id))
    flash(_("The contact is anonymised. Cleared: %(cleared)s. Kept: %(kept)s.",
            cleared="; ".join(report.cleared), kept="; ".join(report.kept) or _("nothing")), "success")
    return redirect(url_for("privacy.person", contact_id=contact_id))
