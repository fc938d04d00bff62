"""The general information of a dossier (seed 001 §3.2): the words of the code lists of
engine/cases/dossier_info.py, the fields shared by the New dossier page and the "Edit dossier
info" page, and the rules between them, with a message next to the field at fault."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, validates_schema

from engine.cases.dossier_info import OFFER_PRESENTATIONS as _OFFER_CODES
from engine.cases.dossier_info import PROJECTS as _PROJECT_CODES
from forms.base_schema import FormSchema
from forms.dossier_fields import choice, choices_list
from forms.information import SOURCES
from forms.registry import Choices

_OFFER_LABELS: dict[str, Any] = {
    "information_session": _l("Information session"),
    "letter": _l("Letter or leaflet"),
    "city_magazine": _l("City magazine"),
    "website": _l("Website"),
    "social_media": _l("Social media"),
    "press": _l("Press"),
    "event": _l("Event or fair"),
    "door_to_door": _l("Door-to-door visit"),
    "word_of_mouth": _l("Word of mouth"),
    "partner_referral": _l("Referral by a partner"),
    "other": _l("Other channel"),
}

_PROJECT_LABELS: dict[str, Any] = {
    "arsenaal_renovation": _l("Arsenaal neighbourhood renovation"),
    "condoreno": _l("CondoReno"),
    "fosster": _l("FOSSTER"),
    "renovation_master_plan": _l("Renovation master plan"),
    "collective_renovation": _l("Collective renovation"),
    "neighbourhood_renovation": _l("Other neighbourhood renovation"),
    "climate_adaptation": _l("Climate adaptation"),
    "other": _l("Other project"),
}

assert set(_OFFER_LABELS) == set(_OFFER_CODES) and set(_PROJECT_LABELS) == set(_PROJECT_CODES)

OFFER_PRESENTATIONS: Choices = [(code, _OFFER_LABELS[code]) for code in _OFFER_CODES]
PROJECTS: Choices = [(code, _PROJECT_LABELS[code]) for code in _PROJECT_CODES]

NO_MAIN_PROJECT = _l("Choose the main project first; additional projects come on top of it.")
MAIN_PROJECT_REPEATED = _l("The main project is already chosen above: choose only other projects here.")


class DossierInfoFields(FormSchema):
    """Source of the request, offer presentation, main project, additional projects: all optional."""

    source = choice(_l("Source of the request"), SOURCES, required=False,
                    help=_l("How the question reached the one-stop shop."))
    offer_presentation = choice(_l("Offer presentation"), OFFER_PRESENTATIONS, required=False,
                                help=_l("How the citizen came to know the offer of the one-stop shop."))
    main_project = choice(_l("Main project"), PROJECTS, required=False,
                          help=_l("The project the dossier is recorded under, for reporting."))
    additional_projects = choices_list(_l("Additional projects"), PROJECTS,
                                       help=_l("Other projects the dossier also concerns, if any."))

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def _projects(self, data: dict[str, Any], original: dict[str, Any], **_kwargs: Any) -> None:
        check_projects(data, original)


def check_projects(data: dict[str, Any], original: dict[str, Any]) -> None:
    """The rule between the two project fields, reported on "additional projects" (also when
    another field is wrong, so that every message shows at once; not when a project field itself
    holds an unknown value: that field's own message says it)."""
    if any(name in original and name not in data for name in ("main_project", "additional_projects")):
        return
    additional = data.get("additional_projects") or []
    if additional and not data.get("main_project"):
        raise ValidationError(NO_MAIN_PROJECT, field_name="additional_projects")  # type: ignore[arg-type]
    if data.get("main_project") and data["main_project"] in additional:
        raise ValidationError(MAIN_PROJECT_REPEATED, field_name="additional_projects")  # type: ignore[arg-type]


class EditDossierInfoForm(DossierInfoFields):
    """The "Edit dossier info" page: a field left empty clears the value."""


def offer_presentation_label(code: str | None) -> str:
    return str(dict(OFFER_PRESENTATIONS).get(code or "", code or "—"))


def project_label(code: str | None) -> str:
    return str(dict(PROJECTS).get(code or "", code or "—"))
