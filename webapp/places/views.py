"""Site address of a dossier's journey, chosen in the address register (seed 001 §3.3.2), its
details and EPC records (§3.3.3). The search works as a multi-step form without JavaScript:
postcode → municipality; street by its first letters; house number; then one of the house and
box numbers found. JSON endpoints under /places/ serve the same steps to scripts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import ValidationError
from sqlalchemy.orm import Session

from engine.cases.models import Dossier
from engine.places import addresses as register
from engine.places.models import EPC_LABELS, Address, EpcRecord, HousingType
from integrations.addresses.importer import SAMPLE, AddressFileError, import_file
from webapp.auth import BACK_OFFICE, CASE_HANDLERS, require_roles, roles_guard
from webapp.context import db_session, services
from webapp.dossiers.sections import Section, register_section
from webapp.places.forms import (
    CONSTRUCTION_TYPES,
    EPC_CALCULATIONS,
    EPC_KINDS,
    HOUSING_TYPES,
    error_messages,
    validate_details,
    validate_epc,
)
from webapp.transactions import command_transaction

bp = Blueprint("places", __name__, cli_group="addresses")
bp.before_request(roles_guard(*BACK_OFFICE))


def _dossier(dossier_id: int) -> Dossier:
    dossier = db_session().get(Dossier, dossier_id)
    if dossier is None:
        abort(404)
    return dossier


def _tab(dossier_id: int) -> str:
    return url_for("dossiers.show", dossier_id=dossier_id, tab="address")


def _choices() -> dict[str, Any]:
    return {"housing_types": HOUSING_TYPES, "construction_types": CONSTRUCTION_TYPES, "epc_kinds": EPC_KINDS,
            "epc_calculations": EPC_CALCULATIONS, "epc_labels": EPC_LABELS,
            "epc_label_choices": [(label, label) for label in EPC_LABELS]}


# --------------------------------------------------------------------------- the dossier tab


def address_section(session: Session, dossier: Dossier) -> dict[str, Any]:
    address = register.site_address(session, dossier)
    details = register.details_of(session, address.id) if address else None
    root = register.journey_root(session, dossier)
    return {
        "address": address,
        "details": details,
        "epc_records": register.epc_records(session, address.id) if address else [],
        "journey_root": root if root.id != dossier.id else None,
        **_choices(),
    }


register_section(Section(key="address", label=_l("Address"), template="places/address_tab.html",
                         context=address_section, order=30))


# --------------------------------------------------------------------------- register search


def not_in_register_message(exc: register.AddressNotInRegister) -> str:
    """What a person is told when an address that is not a register address was sent (every form
    that takes an address: site address, contacts)."""
    if exc.reason == "unknown":
        return _("This address is not in the address register. Search for it and pick it in the list.")
    return _("Addresses are never typed: search for the address in the register and pick it in the list.")


def search_state() -> dict[str, str]:
    """The search steps sent by the partial templates/places/_register_search.html (a street
    picked among the proposed ones arrives as ``street_choice``)."""
    state = {name: (request.values.get(name) or "").strip()[:200] for name in ("postcode", "street", "house_number")}
    choice = (request.values.get("street_choice") or "").strip()[:200]
    if choice:
        state["street"] = choice
    return state


def search_results(session: Session, postcode: str, street: str, house_number: str) -> dict[str, Any]:
    """What each step of the search shows."""
    result: dict[str, Any] = {"municipalities": [], "streets": [], "street_exact": None, "addresses": []}
    if not postcode:
        return result
    result["municipalities"] = register.municipalities(session, postcode)
    if not result["municipalities"]:
        return result
    result["streets"] = register.streets(session, postcode, street)
    exact = next((name for name in result["streets"] if name.lower() == street.lower()), None)
    if exact is None and len(result["streets"]) == 1 and street:
        exact = result["streets"][0]
    result["street_exact"] = exact
    if exact and house_number:
        result["addresses"] = register.find_addresses(session, postcode, exact, house_number)
    return result


@bp.get("/dossiers/<int:dossier_id>/address/search")
@require_roles(*CASE_HANDLERS)
def search(dossier_id: int) -> Any:
    dossier = _dossier(dossier_id)
    state = search_state()
    session = db_session()
    return render_template("places/search.html", dossier=dossier, state=state,
                           current=register.site_address(session, dossier),
                           results=search_results(session, **state))


@bp.post("/dossiers/<int:dossier_id>/address")
@require_roles(*CASE_HANDLERS)
def set_address(dossier_id: int) -> Any:
    dossier_id = _dossier(dossier_id).id
    user_id = current_user.id
    try:
        with command_transaction() as session:
            dossier = session.get(Dossier, dossier_id)
            assert dossier is not None
            address = register.set_site_address(session, dossier, request.form.get("address_id"), user_id=user_id)
    except register.AddressNotInRegister as exc:
        message = not_in_register_message(exc)
        state = search_state()
        session = db_session()
        dossier = _dossier(dossier_id)
        return render_template("places/search.html", dossier=dossier, state=state, problem=message,
                               current=register.site_address(session, dossier),
                               results=search_results(session, **state)), 422
    flash(_("Site address saved: %(address)s.", address=address.label), "success")
    return redirect(_tab(dossier_id), 303)


@bp.get("/places/municipalities")
def municipalities_json() -> Any:
    return jsonify(municipalities=register.municipalities(db_session(), request.args.get("postcode", "")))


@bp.get("/places/streets")
def streets_json() -> Any:
    return jsonify(streets=register.streets(db_session(), request.args.get("postcode", ""),
                                            request.args.get("q", "")[:200], limit=50))


@bp.get("/places/addresses")
def addresses_json() -> Any:
    found = register.find_addresses(db_session(), request.args.get("postcode", ""),
                                    request.args.get("street", "")[:200], request.args.get("house_number", "")[:20])
    return jsonify(addresses=[{"id": a.id, "register_id": a.register_id, "label": a.label, "postcode": a.postcode,
                               "municipality": a.municipality, "street": a.street, "house_number": a.house_number,
                               "box_number": a.box_number} for a in found])


# --------------------------------------------------------------------------- details and EPC


def _site_or_404(dossier: Dossier) -> Address:
    address = register.site_address(db_session(), dossier)
    if address is None:
        abort(404)
    return address


def _building_choices(session: Session, address: Address) -> list[Address]:
    """Register addresses the building of an apartment can be: the same house, without box first."""
    same_house = register.find_addresses(session, address.postcode, address.street, address.house_number)
    return sorted(same_house, key=lambda a: a.box_number is not None)


def _details_values(details: Any) -> dict[str, Any]:
    if details is None:
        return {}
    return {name: getattr(details, name) for name in register.DETAIL_FIELDS}


@bp.route("/dossiers/<int:dossier_id>/address/details", methods=["GET", "POST"])
@require_roles(*CASE_HANDLERS)
def details(dossier_id: int) -> Any:
    dossier = _dossier(dossier_id)
    session = db_session()
    address = _site_or_404(dossier)

    def page(values: dict[str, Any], errors: dict[str, list[str]] | None = None, status: int = 200) -> Any:
        return render_template("places/details.html", dossier=dossier, address=address, values=values,
                               errors=errors or {}, buildings=_building_choices(session, address),
                               associations=register.associations(session), **_choices()), status

    if request.method == "GET":
        return page(_details_values(register.details_of(session, address.id)))
    try:
        data = validate_details(request.form)
        if data.get("housing_type") != HousingType.APARTMENT:
            data.update(building_address_id=None, situation=None)
        if data.get("housing_type") != HousingType.BUILDING:
            data.update(housing_units=None, other_units=None, floors=None, several_buildings=None, typology=None,
                        association_id=None)
        user_id, address_id, root_id = current_user.id, address.id, dossier.journey_root_id
        with command_transaction() as tx:
            register.save_details(tx, tx.get(Address, address_id), data, user_id=user_id, dossier_id=root_id)
    except ValidationError as exc:
        return page(dict(request.form), error_messages(exc), 422)
    except register.AddressNotInRegister:
        return page(dict(request.form), {"building_address_id": [_("Choose the building in the address register.")]},
                    422)
    except register.UnknownAssociation:
        return page(dict(request.form), {"association_id": [_("Choose the association among the organisations.")]},
                    422)
    flash(_("Address details saved."), "success")
    return redirect(_tab(dossier_id), 303)


def _epc_values(record: EpcRecord | None) -> dict[str, Any]:
    if record is None:
        return {"kind": "epc", "calculation": "real"}
    values = {name: getattr(record, name) for name in register.EPC_FIELDS}
    values["issued_on"] = record.issued_on.isoformat() if record.issued_on else ""
    return values


@bp.route("/dossiers/<int:dossier_id>/address/epc/new", methods=["GET", "POST"])
@bp.route("/dossiers/<int:dossier_id>/address/epc/<int:epc_id>", methods=["GET", "POST"])
@require_roles(*CASE_HANDLERS)
def epc(dossier_id: int, epc_id: int | None = None) -> Any:
    dossier = _dossier(dossier_id)
    address = _site_or_404(dossier)
    record = None
    if epc_id is not None:
        record = db_session().get(EpcRecord, epc_id)
        if record is None or record.address_id != address.id:
            abort(404)

    def page(values: dict[str, Any], errors: dict[str, list[str]] | None = None, status: int = 200) -> Any:
        return render_template("places/epc.html", dossier=dossier, address=address, record=record, values=values,
                               errors=errors or {}, **_choices()), status

    if request.method == "GET":
        return page(_epc_values(record))
    try:
        data = validate_epc(request.form)
    except ValidationError as exc:
        return page(dict(request.form), error_messages(exc), 422)
    user_id, address_id, root_id = current_user.id, address.id, dossier.journey_root_id
    with command_transaction() as tx:
        if epc_id is None:
            register.add_epc(tx, tx.get(Address, address_id), data, user_id=user_id, dossier_id=root_id)
        else:
            register.update_epc(tx, tx.get(EpcRecord, epc_id), data, user_id=user_id, dossier_id=root_id)
    flash(_("EPC saved."), "success")
    return redirect(_tab(dossier_id), 303)


# --------------------------------------------------------------------------- CLI


@bp.cli.command("import")
@click.argument("path", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(path: Path | None) -> None:
    """Import the address register from PATH (Guichet's CSV or a BeST CSV); default: the Mechelen sample."""
    source = path or SAMPLE
    try:
        with services().db.transaction() as session:
            result = import_file(session, source)
    except AddressFileError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{source.name}: {result.created} created, {result.updated} updated, {result.unchanged} unchanged, "
               f"{result.skipped} skipped (retired)")
