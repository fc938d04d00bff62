"""Words people see for the parties area: roles, organisation kinds, languages, and the messages
for refused enterprise numbers (seed 001 §3.3.4) and refused involvements."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from engine.parties.enterprise_number import format_number
from engine.parties.models import OrganisationKind, PartyRole

ROLES: dict[str, Any] = {
    PartyRole.OWNER_OCCUPANT: _l("Owner-occupant"),
    PartyRole.OWNER_LANDLORD: _l("Owner-landlord"),
    PartyRole.TENANT: _l("Tenant"),
    PartyRole.CO_OWNER: _l("Co-owner"),
    PartyRole.SYNDIC_PROFESSIONAL: _l("Professional syndic"),
    PartyRole.SYNDIC_VOLUNTEER: _l("Volunteer syndic"),
    PartyRole.CONTRACTOR: _l("Contractor"),
    PartyRole.ARCHITECT: _l("Architect"),
    PartyRole.CO_OWNERSHIP_ASSOCIATION: _l("Co-ownership association"),
    PartyRole.OTHER: _l("Other"),
}

KINDS: dict[str, Any] = {
    OrganisationKind.CO_OWNERSHIP_ASSOCIATION: _l("Co-ownership association"),
    OrganisationKind.CONTRACTOR: _l("Contractor"),
    OrganisationKind.SYNDIC: _l("Syndic"),
    OrganisationKind.OTHER: _l("Other"),
}

CONTACT_LANGUAGES: dict[str, Any] = {"fr": _l("French"), "nl": _l("Dutch"), "en": _l("English"),
                                     "de": _l("German")}


def role_choices() -> list[tuple[str, Any]]:
    return [(key.value, label) for key, label in ROLES.items()]


def kind_choices() -> list[tuple[str, Any]]:
    return [(key.value, label) for key, label in KINDS.items()]


def language_choices() -> list[tuple[str, Any]]:
    return list(CONTACT_LANGUAGES.items())


INVOLVEMENT_REFUSALS: dict[str, Any] = {
    "no_party": _l("Choose a contact or an organisation."),
    "unknown_role": _l("Choose the role of this party in the dossier."),
    "inactive": _l("This record is deactivated: reactivate it first."),
    "already": _l("This party is already involved in this dossier in that role."),
    "same": _l("Choose another record to merge with."),
}


PARTY_EVENTS: dict[str, Any] = {
    "created": _l("Created"),
    "edited": _l("Edited"),
    "deactivated": _l("Deactivated"),
    "reactivated": _l("Reactivated"),
    "deleted": _l("Deleted"),
    "merged": _l("Another record was merged into this one"),
    "merged_into": _l("Merged into another record"),
}


def party_event(kind: str) -> Any:
    """``contact_merged_into`` -> the words for ``merged_into``."""
    suffix = kind.split("_", 1)[1] if "_" in kind else kind
    return PARTY_EVENTS.get(suffix, kind)


def register_party_filters(app: Any) -> None:
    app.jinja_env.filters["party_event"] = party_event
    app.jinja_env.filters["enterprise_number"] = lambda digits: format_number(digits) if digits else ""
    app.jinja_env.filters["party_role"] = lambda code: ROLES.get(code, code or "")
    app.jinja_env.filters["organisation_kind"] = lambda code: KINDS.get(code, code or "")
    app.jinja_env.filters["contact_language"] = lambda code: CONTACT_LANGUAGES.get(code, code or "")
