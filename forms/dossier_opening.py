"""The form that opens a dossier: a title and a short description (not a task form)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate, validates_schema

from forms.base_schema import FormSchema
from forms.dossier_info import DossierInfoFields, EditDossierInfoForm, check_projects
from forms.registry import FormRegistry, field


class OpenDossierForm(FormSchema):
    title = fields.String(
        required=True,
        validate=validate.Length(min=3, max=255, error=_l("Write between 3 and 255 characters.")),
        metadata=field(_l("Title"), help=_l("A few words that say what the question is about.")),
    )
    description = fields.String(
        validate=validate.Length(max=2000, error=_l("Write at most 2000 characters.")),
        metadata=field(_l("Short description"), widget="textarea"),
    )


# Kept apart from the task-form registry: these forms belong to no user task.
_opening_forms = FormRegistry()
_opening_forms.register(
    "dossier.open.information",
    OpenDossierForm,
    _l("New Information dossier"),
    _l("A citizen asks a question by e-mail, by phone, at the counter or at an event."),
)
OPEN_INFORMATION_DOSSIER = _opening_forms.get("dossier.open.information")


def validate_opening(data: dict[str, Any]) -> dict[str, Any]:
    """The cleaned title and description, or :class:`~engine.workflow.errors.FormInvalid`."""
    return _opening_forms.validate(OPEN_INFORMATION_DOSSIER.key, data)


# The types a dossier can be opened with; the web app gives their translated names.
def _type_codes() -> list[str]:
    from engine.cases.models import DossierType

    return [t.value for t in DossierType]


class NewDossierForm(FormSchema):
    """Opening a dossier of any type (seed 001 §3.1, §3.2). The subtype's choices depend on the
    type and on which subtypes are active: the view fills them in and checks the pair."""

    dossier_type = fields.String(
        required=True,
        validate=validate.OneOf(_type_codes(), error=_l("Choose one of the proposed values.")),
        metadata=field(_l("Dossier type"), widget="select"),
    )
    subtype_id = fields.String(load_default=None, allow_none=True,
                               metadata=field(_l("Subtype"), widget="select"))
    title = OpenDossierForm._declared_fields["title"]
    description = OpenDossierForm._declared_fields["description"]
    # the general information of §3.2, all optional here (and editable later)
    source = DossierInfoFields._declared_fields["source"]
    offer_presentation = DossierInfoFields._declared_fields["offer_presentation"]
    main_project = DossierInfoFields._declared_fields["main_project"]
    additional_projects = DossierInfoFields._declared_fields["additional_projects"]

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def _projects(self, data: dict[str, Any], original: dict[str, Any], **_kwargs: Any) -> None:
        check_projects(data, original)


_opening_forms.register(
    "dossier.open",
    NewDossierForm,
    _l("New dossier"),
    _l("Choose the type of dossier and, when it applies, its subtype."),
)
OPEN_DOSSIER = _opening_forms.get("dossier.open")


def validate_new_dossier(data: dict[str, Any]) -> dict[str, Any]:
    """The cleaned fields of a new dossier, or :class:`~engine.workflow.errors.FormInvalid`."""
    cleaned = {key: value for key, value in data.items() if value not in ("", None)}
    return _opening_forms.validate(OPEN_DOSSIER.key, cleaned)


_opening_forms.register(
    "dossier.info",
    EditDossierInfoForm,
    _l("Edit dossier info"),
    _l("The general information of the dossier, mostly kept for reporting. A field left empty is cleared."),
)
DOSSIER_INFO = _opening_forms.get("dossier.info")


def validate_dossier_info(data: dict[str, Any]) -> dict[str, Any]:
    """The cleaned general information of a dossier, or :class:`~engine.workflow.errors.FormInvalid`."""
    cleaned = {key: value for key, value in data.items() if value not in ("", None, [])}
    return _opening_forms.validate(DOSSIER_INFO.key, cleaned)
