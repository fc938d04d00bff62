"""The form that opens a dossier: a title and a short description (not a task form)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate

from forms.base_schema import FormSchema
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
