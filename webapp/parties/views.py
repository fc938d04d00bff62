"""Contacts and organisations: lists with search, create (with duplicate detection), edit,
deactivate / reactivate, delete (administrators), merge, and the page of each record with the
dossiers it is involved in. Organisations can also be created from an enterprise number (BCE)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from engine.access.models import Role
from engine.parties import commands, involvement
from engine.parties.enterprise_number import EnterpriseNumberError, format_number, normalise
from engine.parties.errors import DuplicateOrganisation, InvolvementRefused, PartyInUse
from engine.parties.models import Contact, Organisation
from engine.parties.queries import dossiers_of_party, search_contacts, search_organisations
from engine.places.addresses import AddressNotInRegister, register_address
from engine.places.models import Address
from engine.workflow.errors import FormInvalid, NotFound
from engine.workflow.models import AuditEvent
from forms.enterprise_number import enterprise_number_message
from forms.html_input import display_values, errors_by_field, schema_input, submitted_values
from forms.registry import FormDefinition
from integrations.bce import EnterpriseLookup, LocalDatabaseLookup
from webapp.auth import BACK_OFFICE, CASE_HANDLERS, check_roles, require_roles, roles_guard
from webapp.context import db_session, services
from webapp.parties.forms import CONTACT_FORM, ORGANISATION_FORM, validate_party
from webapp.parties.labels import INVOLVEMENT_REFUSALS, register_party_filters
from webapp.places.views import not_in_register_message, search_results, search_state
from webapp.privacy import record_access  # the access log of personal data
from webapp.transactions import run_command

bp = Blueprint("parties", __name__)
bp.before_request(roles_guard(*BACK_OFFICE))
bp.record_once(lambda state: register_party_filters(state.app))


@dataclass(frozen=True)
class Kind:
    key: str  # contact | organisation
    plural: str  # the URL segment
    model: type[Any]
    form: FormDefinition
    title: Any
    new_title: Any


KINDS = {
    "contacts": Kind("contact", "contacts", Contact, CONTACT_FORM, _l("Contacts"), _l("New contact")),
    "organisations": Kind("organisation", "organisations", Organisation, ORGANISATION_FORM,
                          _l("Organisations"), _l("New organisation")),
}
PLURALS = "<any(contacts, organisations):plural>"


def _kind(plural: str) -> Kind:
    return KINDS[plural]


def _record(kind: Kind, record_id: int) -> Any:
    record = db_session().get(kind.model, record_id)
    if record is None:
        abort(404)
    return record


def bce_lookup() -> EnterpriseLookup:
    """The app's BCE provider (tests may put another in ``app.extensions["guichet_bce"]``)."""
    provider = current_app.extensions.get("guichet_bce")
    if provider is None:
        provider = current_app.extensions["guichet_bce"] = LocalDatabaseLookup(services().db)
    return provider


# -- lists --------------------------------------------------------------------------------------

@bp.get("/contacts/", endpoint="contacts", defaults={"plural": "contacts"})
@bp.get("/organisations/", endpoint="organisations", defaults={"plural": "organisations"})
def index(plural: str) -> Any:
    kind = _kind(plural)
    search = request.args.get("q", "").strip()[:100]
    inactive = request.args.get("inactive") == "1"
    finder = search_contacts if kind.key == "contact" else search_organisations
    return render_template("parties/index.html", kind=kind, search=search, inactive=inactive,
                           records=finder(db_session(), search, include_inactive=inactive))


# -- one record ---------------------------------------------------------------------------------

@bp.get(f"/{PLURALS}/<int:record_id>")
def show(plural: str, record_id: int) -> Any:
    kind = _kind(plural)
    record = _record(kind, record_id)
    session = db_session()
    dossiers = dossiers_of_party(session, **{f"{kind.key}_id": record.id})
    history = session.scalars(select(AuditEvent).where(AuditEvent.subject_type == kind.key,
                                                       AuditEvent.subject_id == record.id)
                              .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(50)).all()
    record_access("view", kind.key, record.id)
    return render_template("parties/show.html", kind=kind, record=record, dossiers=dossiers, history=history)


# -- a contact's address: a register address, chosen with the register search of webapp/places --

def _address_context(record: Any) -> dict[str, Any]:
    """The address part of the contact form: the address chosen (the record's, or the one sent),
    the register search steps and what they found. Without JavaScript a search re-sends the whole
    form (nothing is saved then) so what was typed in the other fields stays."""
    session = db_session()
    if request.method == "POST":
        chosen = (request.form.get("address_id") or "").strip()
    else:
        chosen = str(record.address_id) if record is not None and record.address_id else ""
    current = session.get(Address, int(chosen)) if chosen.isdigit() and 0 < int(chosen) < 2**31 else None
    state = search_state()
    results = search_results(session, **state)
    found = [a for a in results["addresses"] if current is None or a.id != current.id]
    if _address_search_requested() and len(results["addresses"]) == 1:
        chosen = str(results["addresses"][0].id)
    return {"address_current": current, "address_chosen": chosen if current or found else "",
            "address_state": state, "address_results": results, "address_found": found}


def _address_search_requested() -> bool:
    return request.method == "POST" and ("address_search" in request.form or "street_choice" in request.form)


def _submitted_address() -> dict[str, Any]:
    """The address sent with the contact form, checked against the register (AddressNotInRegister);
    ``address`` is what a typed address would arrive as: it is refused, never saved."""
    typed = (request.form.get("address") or "").strip()
    chosen = (request.form.get("address_id") or "").strip()
    if typed:
        raise AddressNotInRegister("typed address", "free_text")
    if chosen:
        register_address(db_session(), chosen)
    return {"address_id": chosen or None}


def _address_refused(kind: Kind, exc: AddressNotInRegister, record: Any = None) -> Any:
    message = not_in_register_message(exc)
    return _render_form(kind, submitted_values(kind.form, request.form), record=record,
                        errors={"address_id": [message]}, problem=message, status=422)


def _render_form(kind: Kind, values: dict[str, Any], *, record: Any = None, errors: dict[str, list[str]] | None = None,
                 problem: str | None = None, similar: list[Contact] | None = None, status: int = 200,
                 context: dict[str, Any] | None = None) -> Any:
    if kind.key == "contact":
        context = {**_address_context(record), **(context or {})}
    return render_template("parties/form.html", kind=kind, record=record, fields=kind.form.fields(),
                           values=values, errors=errors or {}, problem=problem, similar=similar or [],
                           dossier_id=request.values.get("dossier", type=int), role=request.values.get("role", ""),
                           **(context or {})), status


def _invalid(kind: Kind, exc: FormInvalid, record: Any = None) -> Any:
    return _render_form(kind, submitted_values(kind.form, request.form), record=record,
                        errors=errors_by_field(kind.form, exc.errors),
                        problem=_("Some fields need your attention; nothing was saved yet."), status=422)


def _duplicate(kind: Kind, exc: DuplicateOrganisation, record: Any = None) -> Any:
    link = url_for("parties.show", plural="organisations", record_id=exc.existing_id)
    return _render_form(kind, submitted_values(kind.form, request.form), record=record,
                        problem=_("An organisation with this enterprise number exists already: %(name)s. "
                                  "Nothing was saved.", name=exc.existing_name),
                        errors={"enterprise_number": [_("Already used by %(name)s.", name=exc.existing_name)]},
                        status=409, context={"existing_link": link})


def _after_create(kind: Kind, record_id: int, name: str) -> Any:
    """Back to the dossier when the record was created from its Contacts tab (and involve it)."""
    dossier_id = request.form.get("dossier", type=int)
    role = request.form.get("role", "")
    if dossier_id and role:
        user_id = current_user.id
        try:
            run_command(lambda s: involvement.add_party(s, dossier_id, role, user_id,
                                                        **{f"{kind.key}_id": record_id}))
            flash(_("%(name)s is added to the dossier.", name=name), "success")
        except InvolvementRefused as exc:
            flash(str(INVOLVEMENT_REFUSALS.get(exc.code, exc.code)), "error")
        except NotFound:
            abort(404)
        return redirect(url_for("dossiers.show", dossier_id=dossier_id, tab="contacts"))
    flash(_("%(name)s is saved.", name=name), "success")
    return redirect(url_for("parties.show", plural=kind.plural, record_id=record_id))


@bp.route(f"/{PLURALS}/new", methods=["GET", "POST"])
@require_roles(*CASE_HANDLERS)
def new(plural: str) -> Any:
    kind = _kind(plural)
    if request.method == "GET":
        return _render_form(kind, {})
    if kind.key == "contact" and _address_search_requested():
        return _render_form(kind, submitted_values(kind.form, request.form))
    try:
        data = validate_party(kind.form, schema_input(kind.form, request.form))
    except FormInvalid as exc:
        return _invalid(kind, exc)
    user_id = current_user.id
    if kind.key == "contact":
        try:
            data.update(_submitted_address())
        except AddressNotInRegister as exc:
            return _address_refused(kind, exc)
        similar = commands.similar_contacts(db_session(), data)
        if similar and request.form.get("confirm") != "1":
            return _render_form(kind, submitted_values(kind.form, request.form), similar=similar, status=409,
                                problem=_("A contact with this name and e-mail or phone exists already. "
                                          "Open it, or confirm that this is another person."))
        try:
            contact = run_command(lambda s: commands.create_contact(s, data, user_id))
        except AddressNotInRegister as exc:  # removed from the register meanwhile
            return _address_refused(kind, exc)
        return _after_create(kind, contact.id, contact.name)
    try:
        organisation = run_command(lambda s: commands.create_organisation(s, data, user_id))
    except DuplicateOrganisation as exc:
        return _duplicate(kind, exc)
    return _after_create(kind, organisation.id, organisation.name)


@bp.route(f"/{PLURALS}/<int:record_id>/edit", methods=["GET", "POST"])
@require_roles(*CASE_HANDLERS)
def edit(plural: str, record_id: int) -> Any:
    kind = _kind(plural)
    record = _record(kind, record_id)
    if request.method == "GET":
        values = display_values(kind.form, {spec.name: getattr(record, spec.name) for spec in kind.form.fields()})
        if values.get("enterprise_number"):
            values["enterprise_number"] = format_number(values["enterprise_number"])
        return _render_form(kind, values, record=record)
    if kind.key == "contact" and _address_search_requested():
        return _render_form(kind, submitted_values(kind.form, request.form), record=record)
    try:
        data = validate_party(kind.form, schema_input(kind.form, request.form))
        if kind.key == "contact":
            data.update(_submitted_address())  # no address chosen: the contact has none
    except FormInvalid as exc:
        return _invalid(kind, exc, record)
    except AddressNotInRegister as exc:
        return _address_refused(kind, exc, record)
    for spec in kind.form.fields():  # an emptied field clears the value
        data.setdefault(spec.name, None)
    user_id = current_user.id
    update = commands.update_contact if kind.key == "contact" else commands.update_organisation
    try:
        run_command(lambda s: update(s, record_id, data, user_id))
    except DuplicateOrganisation as exc:
        return _duplicate(kind, exc, record)
    except AddressNotInRegister as exc:
        return _address_refused(kind, exc, record)
    flash(_("%(name)s is saved.", name=data.get("name") or record.name), "success")
    return redirect(url_for("parties.show", plural=plural, record_id=record_id))


@bp.post(f"/{PLURALS}/<int:record_id>/deactivate")
@require_roles(*CASE_HANDLERS)
def deactivate(plural: str, record_id: int) -> Any:
    return _set_active(_kind(plural), record_id, False)


@bp.post(f"/{PLURALS}/<int:record_id>/reactivate")
@require_roles(*CASE_HANDLERS)
def reactivate(plural: str, record_id: int) -> Any:
    return _set_active(_kind(plural), record_id, True)


def _set_active(kind: Kind, record_id: int, active: bool) -> Any:
    _record(kind, record_id)
    user_id = current_user.id
    record = run_command(lambda s: commands.set_active(s, kind.key, record_id, active, user_id))
    if active:
        flash(_("%(name)s is active again.", name=record.name), "success")
    else:
        flash(_("%(name)s is deactivated: hidden from the lists, kept with its dossiers.", name=record.name),
              "success")
    return redirect(url_for("parties.show", plural=kind.plural, record_id=record_id))


@bp.post(f"/{PLURALS}/<int:record_id>/delete")
@require_roles(Role.ADMINISTRATOR)
def delete(plural: str, record_id: int) -> Any:
    kind = _kind(plural)
    record = _record(kind, record_id)
    name, user_id = record.name, current_user.id
    try:
        run_command(lambda s: commands.delete_party(s, kind.key, record_id, user_id))
    except PartyInUse as exc:
        flash(_("%(name)s is involved in %(count)d dossier(s) and cannot be deleted. Remove it from those "
                "dossiers, merge it into the record that stays, or deactivate it.",
                name=name, count=exc.dossier_count), "error")
        return redirect(url_for("parties.show", plural=plural, record_id=record_id), 303)
    flash(_("%(name)s is deleted.", name=name), "success")
    return redirect(url_for(f"parties.{plural}"))


@bp.route(f"/{PLURALS}/<int:record_id>/merge", methods=["GET", "POST"])
@require_roles(*CASE_HANDLERS)
def merge(plural: str, record_id: int) -> Any:
    """Merge this record with another: the person chooses which one stays; the involvements of
    the other move to it; the other is deactivated (or deleted, by an administrator)."""
    kind = _kind(plural)
    record = _record(kind, record_id)
    if request.method == "GET":
        search = request.args.get("q", "").strip()[:100]
        finder = search_contacts if kind.key == "contact" else search_organisations
        candidates = [c for c in finder(db_session(), search, include_inactive=True) if c.id != record.id] \
            if search else []
        return render_template("parties/merge.html", kind=kind, record=record, search=search, candidates=candidates)
    other = _record(kind, request.form.get("other_id", type=int) or 0)
    survivor_id, merged_id = (record.id, other.id) if request.form.get("survivor") != "other" else (other.id, record.id)
    delete_other = request.form.get("then") == "delete"
    if delete_other:
        refused = check_roles(Role.ADMINISTRATOR)
        if refused is not None:
            return refused
    user_id = current_user.id
    try:
        survivor = run_command(lambda s: commands.merge(s, kind.key, survivor_id, merged_id, user_id,
                                                        delete_other=delete_other))
    except InvolvementRefused as exc:
        flash(str(INVOLVEMENT_REFUSALS[exc.code]), "error")
        return redirect(url_for("parties.merge", plural=plural, record_id=record_id))
    flash(_("The two records are merged into %(name)s.", name=survivor.name), "success")
    return redirect(url_for("parties.show", plural=plural, record_id=survivor_id))


# -- an organisation from its enterprise number (seed 001 §3.3.4) -----------------------------

@bp.route("/organisations/from-number", methods=["GET", "POST"])
@require_roles(*CASE_HANDLERS)
def from_number() -> Any:
    """Enter the number -> checked -> looked up in the BCE -> the organisation form, prefilled.

    A valid number the BCE does not know may still be used on a form filled in by hand: the local
    copy of the BCE lags behind (an association registered this month), and the number has passed
    the modulo-97 check. The page says so."""
    kind = KINDS["organisations"]
    number = request.values.get("number", "").strip()
    if request.method == "GET" and not number:
        return render_template("parties/from_number.html", number="", error=None)
    try:
        digits = normalise(number)
    except EnterpriseNumberError as exc:
        return render_template("parties/from_number.html", number=number, error=enterprise_number_message(exc)), 422
    existing = commands.organisation_by_number(db_session(), digits)
    if existing is not None:
        flash(_("%(name)s already has this enterprise number.", name=existing.name), "info")
        return redirect(url_for("parties.show", plural="organisations", record_id=existing.id))
    record = bce_lookup().lookup(digits)
    values: dict[str, Any] = {"enterprise_number": format_number(digits)}
    if record is None:
        problem = _("The enterprise number %(number)s is correct but unknown in the BCE. Check it in the BCE "
                    "public search, or fill in the organisation by hand.", number=format_number(digits))
    else:
        values.update({k: v for k, v in record.organisation_fields().items() if v and k != "enterprise_number"})
        problem = None
        if "vereniging van mede-eigenaars" in (record.legal_form or "").lower() or \
                "association des copropriétaires" in (record.legal_form or "").lower():
            values["kind"] = "co_ownership_association"
    return _render_form(kind, values, problem=problem, context={"from_bce": record is not None})


@bp.cli.command("load-bce-sample")
def load_bce_sample() -> None:
    """Load the sample of BCE enterprises (integrations/bce/sample/) into the local BCE table."""
    import click

    from integrations.bce import load_sample

    with services().db.transaction() as session:
        count = load_sample(session)
    click.echo(f"{count} enterprises loaded")
