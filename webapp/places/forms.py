"""Validation of the address details and EPC forms (marshmallow; messages in the user's language)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, validate, validates

from engine.places.models import EPC_LABELS, ConstructionType, EpcCalculation, EpcKind, HousingType
from forms.base_schema import FormSchema

HOUSING_TYPES = {
    HousingType.HOUSE: _l("House"),
    HousingType.APARTMENT: _l("Apartment"),
    HousingType.BUILDING: _l("Apartment building"),
    HousingType.STUDIO: _l("Studio"),
    HousingType.OTHER: _l("Other"),
}
CONSTRUCTION_TYPES = {
    ConstructionType.DETACHED: _l("Detached"),
    ConstructionType.SEMI_DETACHED: _l("Semi-detached"),
    ConstructionType.TERRACED: _l("Terraced"),
    ConstructionType.OTHER: _l("Other"),
}
EPC_KINDS = {EpcKind.EPB: _l("EPB"), EpcKind.EPC: _l("EPC")}
EPC_CALCULATIONS = {EpcCalculation.REAL: _l("Real"), EpcCalculation.ESTIMATED: _l("Estimated (by the advisor)")}


class _Choice(validate.OneOf):
    def _format_error(self, value: Any) -> str:
        return str(_l("Choose one of the proposed values."))


class _Range(validate.Range):
    def __init__(self, low: float, high: float) -> None:
        super().__init__(min=low, max=high)

    def _format_error(self, value: Any, message: str) -> str:
        return str(_l("Enter a number between %(min)s and %(max)s.", min=self.min, max=self.max))


class _Length(validate.Length):
    def __init__(self, maximum: int) -> None:
        super().__init__(max=maximum)

    def _format_error(self, value: Any, message: str) -> str:
        return str(_l("Write at most %(max)s characters.", max=self.max))


def _text(maximum: int) -> fields.String:
    return fields.String(validate=_Length(maximum), allow_none=True)


def _count(maximum: int = 10000) -> fields.Integer:
    return fields.Integer(validate=_Range(0, maximum), allow_none=True)


class DetailsSchema(FormSchema):
    parcel_number = _text(50)
    housing_type = fields.String(validate=_Choice([t.value for t in HousingType]), allow_none=True)
    construction_type = fields.String(validate=_Choice([t.value for t in ConstructionType]), allow_none=True)
    building_address_id = fields.Integer(allow_none=True)
    situation = _text(200)
    housing_units = _count()
    other_units = _count()
    floors = _count(300)
    several_buildings = fields.Boolean(allow_none=True)
    typology = _text(100)
    association_id = fields.Integer(validate=_Range(1, 2**31 - 1), allow_none=True)


class EpcSchema(FormSchema):
    label = fields.String(required=True, validate=_Choice(EPC_LABELS))
    kind = fields.String(required=True, validate=_Choice([k.value for k in EpcKind]))
    calculation = fields.String(required=True, validate=_Choice([c.value for c in EpcCalculation]))
    e_level = fields.Integer(validate=_Range(-500, 2000), allow_none=True)
    kwh_per_m2 = fields.Float(validate=_Range(0, 10000), allow_none=True)
    common_parts = fields.Boolean(load_default=False)
    issued_on = fields.Date(allow_none=True)

    @validates("issued_on")
    def _not_in_future(self, value: dt.date | None, **_kwargs: Any) -> None:
        if value is not None and value > dt.date.today():
            raise ValidationError(str(_l("The date cannot be in the future.")))


def form_input(form: Any, names: list[str] | tuple[str, ...], booleans: tuple[str, ...] = (),
               checkboxes: tuple[str, ...] = ()) -> dict[str, Any]:
    """The submitted fields: trimmed, empty ones as None, booleans from a checkbox (absent: no) or
    a yes/no select (empty: not known); an E-level typed "E-20" becomes -20."""
    data: dict[str, Any] = {}
    for name in names:
        raw = (form.get(name) or "").strip()
        if name in booleans:
            data[name] = raw in ("1", "yes", "on") if raw or name in checkboxes else None
        else:
            data[name] = raw or None
    if isinstance(data.get("e_level"), str):
        data["e_level"] = data["e_level"].upper().removeprefix("E").replace(" ", "") or None
    if isinstance(data.get("kwh_per_m2"), str):
        data["kwh_per_m2"] = data["kwh_per_m2"].replace(",", ".")
    return data


def validate_details(form: Any) -> dict[str, Any]:
    return DetailsSchema().load(form_input(form, list(DetailsSchema().fields), booleans=("several_buildings",)))


def validate_epc(form: Any) -> dict[str, Any]:
    return EpcSchema().load(form_input(form, list(EpcSchema().fields), booleans=("common_parts",),
                                       checkboxes=("common_parts",)))


def error_messages(exc: ValidationError) -> dict[str, list[str]]:
    return {name: [str(m) for m in (messages if isinstance(messages, list) else [messages])]
            for name, messages in exc.normalized_messages().items()}
