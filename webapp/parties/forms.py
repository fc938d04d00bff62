"""The contact and organisation forms (marshmallow schemas rendered generically)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, validate, validates

from engine.parties.enterprise_number import EnterpriseNumberError, normalise
from forms.base_schema import FormSchema
from forms.enterprise_number import enterprise_number_message
from forms.registry import FormRegistry, field
from webapp.parties.labels import kind_choices, language_choices

_short = validate.Length(max=100, error=_l("Write at most 100 characters."))
_long = validate.Length(max=2000, error=_l("Write at most 2000 characters."))


class ContactForm(FormSchema):
    first_name = fields.String(validate=_short, metadata=field(_l("First name")))
    last_name = fields.String(required=True, validate=_short, metadata=field(_l("Last name")))
    email = fields.Email(metadata=field(_l("E-mail")))
    phone = fields.String(validate=validate.Length(max=50), metadata=field(_l("Phone")))
    language = fields.String(validate=validate.OneOf([c for c, _label in language_choices()]),
                             metadata=field(_l("Language"), choices_provider=language_choices))
    notes = fields.String(validate=_long, metadata=field(_l("Notes"), widget="textarea"))


class OrganisationForm(FormSchema):
    name = fields.String(required=True, validate=validate.Length(max=255), metadata=field(_l("Name")))
    kind = fields.String(required=True, validate=validate.OneOf([c for c, _label in kind_choices()]),
                         metadata=field(_l("Kind of organisation"), choices_provider=kind_choices))
    enterprise_number = fields.String(metadata=field(_l("Enterprise number"),
                                                     help=_l("Format 0123.456.789 (BCE / KBO).")))
    legal_form = fields.String(validate=_short, metadata=field(_l("Legal form")))
    street = fields.String(validate=validate.Length(max=200), metadata=field(_l("Street")))
    house_number = fields.String(validate=validate.Length(max=20), metadata=field(_l("House number")))
    box = fields.String(validate=validate.Length(max=20), metadata=field(_l("Box")))
    postcode = fields.String(validate=validate.Length(max=10), metadata=field(_l("Postcode")))
    municipality = fields.String(validate=_short, metadata=field(_l("Municipality")))
    email = fields.Email(metadata=field(_l("E-mail")))
    phone = fields.String(validate=validate.Length(max=50), metadata=field(_l("Phone")))
    notes = fields.String(validate=_long, metadata=field(_l("Notes"), widget="textarea"))

    @validates("enterprise_number")
    def _valid_number(self, value: str, **_kwargs: Any) -> None:
        try:
            normalise(value)
        except EnterpriseNumberError as exc:
            raise ValidationError(enterprise_number_message(exc)) from exc


_forms = FormRegistry()
_forms.register("party.contact", ContactForm, _l("Contact"))
_forms.register("party.organisation", OrganisationForm, _l("Organisation"))
CONTACT_FORM = _forms.get("party.contact")
ORGANISATION_FORM = _forms.get("party.organisation")


def validate_party(definition: Any, data: dict[str, Any]) -> dict[str, Any]:
    """Cleaned data, or FormInvalid."""
    return _forms.validate(definition.key, data)
