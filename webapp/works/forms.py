"""The forms of the Works tab and of the renovation-master-plan Financing tab (not task forms:
they belong to no user task, so they live in their own registry)."""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, post_load, validate, validates_schema

from engine.cases.rmp_financing import WorksLot, inputs_document
from engine.cases.works import WORK_TYPES, BuildingPart, PremiumConformity, RmpPriority
from forms.base_schema import FormSchema
from forms.registry import Choices, FormRegistry, field

WORK_TYPE_LABELS: dict[str, Any] = {
    "roof_insulation": _l("Roof insulation"),
    "wall_insulation": _l("Wall and facade insulation"),
    "floor_insulation": _l("Floor insulation"),
    "windows": _l("Windows and glazing"),
    "heat_pump": _l("Heat pump"),
    "condensing_boiler": _l("Condensing boiler"),
    "ventilation": _l("Ventilation"),
    "solar_panels": _l("Solar panels"),
    "solar_water_heater": _l("Solar water heater"),
    "electrical_installation": _l("Electrical installation"),
    "asbestos_removal": _l("Asbestos removal"),
    "study": _l("Study or design"),
    "epc_drafting": _l("Energy performance contract drafting"),
    "other": _l("Other works"),
}
assert set(WORK_TYPE_LABELS) == set(WORK_TYPES)
WORK_TYPE_CHOICES: Choices = [(code, WORK_TYPE_LABELS[code]) for code in WORK_TYPES]

BUILDING_PARTS: Choices = [
    (BuildingPart.COMMON.value, _l("Common parts of the building")),
    (BuildingPart.PRIVATE.value, _l("Private part of an apartment")),
]
PREMIUM_CONFORMITY: Choices = [
    (PremiumConformity.UNKNOWN.value, _l("Not known yet")),
    (PremiumConformity.YES.value, _l("Yes")),
    (PremiumConformity.NO.value, _l("No")),
]
RMP_PRIORITIES: Choices = [
    (RmpPriority.SHORT.value, _l("Short term")),
    (RmpPriority.MEDIUM.value, _l("Medium term")),
    (RmpPriority.LONG.value, _l("Long term")),
]
YES_NO: Choices = [("yes", _l("Yes")), ("no", _l("No"))]

CHOOSE_PROPOSED = _l("Choose one of the proposed values.")
AMOUNT_ERROR = _l("Enter an amount in euros, for example 12500 or 12 500,50.")
AT_MOST_2000 = validate.Length(max=2000, error=_l("Write at most 2000 characters."))


def _codes(choices: Choices) -> list[str]:
    return [code for code, _label in choices]


def parse_amount(text: str) -> Decimal:
    """An amount as Belgians type it: ``12 500,50``, ``12.500,50``, ``12500.5`` or ``€ 1 000``."""
    cleaned = text.replace("€", "").replace("\u00a0", "").replace(" ", "").strip()
    if "," in cleaned:
        cleaned = cleaned.replace(".", "").replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(text) from None
    if not value.is_finite():
        raise ValueError(text)
    return value


class Amount(fields.Decimal):
    """A non-negative amount in euros, to the cent; accepts a decimal comma and spaces."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("error_messages", {"invalid": AMOUNT_ERROR, "special": AMOUNT_ERROR})
        kwargs.setdefault("validate", validate.Range(min=0, max=Decimal("9999999999.99"),
                                                     error=_l("Enter an amount between 0 and 9 999 999 999,99.")))
        super().__init__(places=2, **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, str):
            try:
                value = parse_amount(value)
            except ValueError:
                raise self.make_error("invalid") from None
        return super()._deserialize(value, attr, data, **kwargs)


class WorksForm(FormSchema):
    work_type = fields.String(
        required=True, validate=validate.OneOf(WORK_TYPES, error=CHOOSE_PROPOSED),
        metadata=field(_l("Type of works"), widget="select", choices=WORK_TYPE_CHOICES),
    )
    description = fields.String(validate=AT_MOST_2000, metadata=field(_l("Description"), widget="textarea"))
    building_part = fields.String(
        required=True, validate=validate.OneOf(_codes(BUILDING_PARTS), error=CHOOSE_PROPOSED),
        metadata=field(_l("Apartment: private part or common parts"), widget="select", choices=BUILDING_PARTS,
                       help=_l("Works in the private part of one apartment, or in the common parts of the building.")),
    )
    quote_requested_on = fields.Date(metadata=field(_l("Quote asked on")))
    quote_received_on = fields.Date(metadata=field(_l("Quote received on")))
    quote_amount = Amount(metadata=field(_l("Amount of the quote (EUR)")))
    contractor_id = fields.Integer(
        validate=validate.Range(min=1, error=_l("Choose a contractor.")),
        metadata=field(_l("Contractor"), help=_l("The contractor organisation that made the quote.")),
    )
    premium_conform = fields.String(
        required=True, validate=validate.OneOf(_codes(PREMIUM_CONFORMITY), error=CHOOSE_PROPOSED),
        metadata=field(_l("Quote conforms to the renovation premium conditions"), widget="select",
                       choices=PREMIUM_CONFORMITY),
    )
    rmp_advised = fields.Boolean(metadata=field(
        _l("Advised by the design office (renovation master plan)"),
        help=_l("Tick when the works are part of a renovation master plan."),
    ))
    rmp_priority = fields.String(
        validate=validate.OneOf(_codes(RMP_PRIORITIES), error=CHOOSE_PROPOSED),
        metadata=field(_l("Priority in the renovation master plan"), widget="select", choices=RMP_PRIORITIES),
    )
    investment_decided = fields.Boolean(metadata=field(
        _l("Investment decided"),
        help=_l("Moves the works to the grid of decided works."),
    ))
    offer_amount = Amount(metadata=field(_l("Amount of the offer (EUR)")))
    offer_approved_on = fields.Date(metadata=field(_l("Offer approved on")))
    environment_permit_needed = fields.String(
        validate=validate.OneOf(_codes(YES_NO), error=CHOOSE_PROPOSED),
        metadata=field(_l("Environment permit needed"), widget="select", choices=YES_NO),
    )
    permit_parts = fields.String(validate=AT_MOST_2000, metadata=field(
        _l("Parts of the building that need the permit"), widget="textarea"))
    permit_drafted_on = fields.Date(metadata=field(_l("Permit application drafted on")))
    permit_applied_on = fields.Date(metadata=field(_l("Applied for at the environment counter on")))
    permit_approved_on = fields.Date(metadata=field(_l("Permit approved on")))
    street_signage_needed = fields.Boolean(metadata=field(_l("Signs on the public domain needed")))
    public_lighting_removal_needed = fields.Boolean(metadata=field(
        _l("Public lighting to remove (on the pavement or the facade)")))
    street_furniture_notes = fields.String(validate=AT_MOST_2000, metadata=field(
        _l("Other preparatory works on the street furniture"), widget="textarea",
        help=_l("For facade or roof insulation: ask about two months before the works start."),
    ))
    street_furniture_requested_on = fields.Date(metadata=field(_l("Street furniture works requested on")))
    works_started_on = fields.Date(metadata=field(_l("Works started on")))
    works_ended_on = fields.Date(metadata=field(
        _l("Works ended on"), help=_l("If only the year is known, enter 1 January of that year.")))
    execution_remarks = fields.String(validate=AT_MOST_2000, metadata=field(
        _l("Execution remarks"), widget="textarea"))
    follow_up_on = fields.Date(metadata=field(_l("Follow-up on")))
    follow_up_notes = fields.String(validate=AT_MOST_2000, metadata=field(_l("Follow-up"), widget="textarea"))

    @validates_schema(skip_on_field_errors=False)
    def check_consistency(self, data: dict[str, Any], **_kwargs: Any) -> None:
        errors: dict[str, list[Any]] = {}

        def before(later: str, earlier: str, message: Any) -> None:
            if data.get(later) and data.get(earlier) and data[later] < data[earlier]:
                errors.setdefault(later, []).append(message)

        before("quote_received_on", "quote_requested_on", _l(
            "The quote cannot be received before it was asked: choose a date on or after the date it was asked."))
        if data.get("quote_amount") is not None and not data.get("quote_received_on"):
            errors.setdefault("quote_received_on", []).append(
                _l("Enter the date the quote was received, since its amount is known."))
        if data.get("offer_approved_on") and data.get("offer_amount") is None:
            errors.setdefault("offer_amount", []).append(
                _l("Enter the amount of the offer that was approved."))
        if data.get("rmp_priority") and not data.get("rmp_advised"):
            errors.setdefault("rmp_priority", []).append(
                _l("Only works advised in the renovation master plan have a priority: tick “Advised by the "
                   "design office” or leave the priority empty."))
        if data.get("environment_permit_needed") != "yes":
            for name in ("permit_parts", "permit_drafted_on", "permit_applied_on", "permit_approved_on"):
                if data.get(name):
                    errors.setdefault(name, []).append(
                        _l("Only for works that need an environment permit: choose “Yes” for the permit first."))
        before("permit_applied_on", "permit_drafted_on", _l(
            "The application cannot come before the permit was drafted."))
        before("permit_approved_on", "permit_applied_on", _l(
            "The permit cannot be approved before it was applied for."))
        before("works_ended_on", "works_started_on", _l(
            "The works cannot end before they started."))
        if errors:
            raise ValidationError(errors)

    @post_load
    def to_record(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        permit = data.get("environment_permit_needed")
        if permit is not None:
            data["environment_permit_needed"] = permit == "yes"
        return data


# ---------------------------------------------------------------------------------------------
# The financing simulation of a renovation master plan.

_COUNT_TIMES = re.compile(r"^(\d+)x(\d+)$")
_TIMES = re.compile(r"\s*[xX*\u00d7]\s*")


def parse_shares(text: str) -> list[int]:
    """Shares separated by commas, semicolons, spaces or lines; ``48x125`` is 48 lots of 125."""
    values: list[int] = []
    for token in re.split(r"[,;\s]+", _TIMES.sub("x", text).strip()):
        if not token:
            continue
        match = _COUNT_TIMES.match(token)
        if match:
            count, shares = int(match.group(1)), int(match.group(2))
            if count > 10000:
                raise ValueError(token)
            values.extend([shares] * count)
        elif token.isdigit():
            values.append(int(token))
        else:
            raise ValueError(token)
    return values


def parse_lots(text: str) -> list[WorksLot]:
    """One lot of works per line: ``name; cost of the common parts; cost per dwelling (optional)``."""
    lots = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split(";")]
        if len(parts) not in (2, 3) or not parts[0]:
            raise ValueError(number)
        try:
            common = parse_amount(parts[1]) if parts[1] else Decimal("0")
            private = parse_amount(parts[2]) if len(parts) == 3 and parts[2] else Decimal("0")
        except ValueError:
            raise ValueError(number) from None
        if common < 0 or private < 0:
            raise ValueError(number)
        lots.append(WorksLot(name=parts[0][:100], common_cost=common, private_cost_per_unit=private))
    return lots


class FinancingForm(FormSchema):
    total_cost = Amount(metadata=field(
        _l("Total cost of the works on the common parts (EUR)"),
        help=_l("For a first, rough simulation. Leave it empty when you give the lots of works below."),
    ))
    works_lots = fields.String(
        validate=validate.Length(max=4000, error=_l("Write at most 4000 characters.")),
        metadata=field(
            _l("Lots or phases of works"), widget="textarea",
            help=_l("One per line: name; cost of the common parts; cost per apartment of the private parts "
                    "(optional). For example: Roof insulation; 480000 — or: Windows; 0; 7500"),
        ),
    )
    total_shares = fields.Integer(
        required=True, validate=validate.Range(min=1, max=10_000_000, error=_l("Enter a whole number above 0.")),
        metadata=field(_l("Total co-ownership shares of the building"), help=_l("For example 10000 (quotités).")),
    )
    lot_shares = fields.String(
        required=True, validate=validate.Length(max=20000, error=_l("Write at most 20000 characters.")),
        metadata=field(
            _l("Shares of each lot"), widget="textarea",
            help=_l("The co-ownership shares of every lot of the building, separated by commas or spaces; "
                    "48x125 means 48 lots of 125 shares. The most common lot is simulated first."),
        ),
    )
    extra_shares = fields.String(
        validate=validate.Length(max=2000, error=_l("Write at most 2000 characters.")),
        metadata=field(_l("Other shares to simulate"),
                       help=_l("Share values to add to the matrix, separated by commas.")),
    )
    subsidy = Amount(metadata=field(_l("Subsidy (VEKA) for the building (EUR)"),
                                    help=_l("Shared by co-ownership shares, like the works.")))
    remarks = fields.String(
        validate=validate.Length(max=4000, error=_l("Write at most 4000 characters.")),
        metadata=field(_l("Remarks"), widget="textarea",
                       help=_l("What the co-ownership's working group said about this simulation.")),
    )

    @validates_schema(skip_on_field_errors=True)
    def check_simulation(self, data: dict[str, Any], **_kwargs: Any) -> None:
        errors: dict[str, list[Any]] = {}
        lots: list[WorksLot] = []
        if data.get("works_lots"):
            try:
                lots = parse_lots(data["works_lots"])
            except ValueError as exc:
                errors["works_lots"] = [_l(
                    "Line %(line)s is not understood: write “name; cost of the common parts” and, for "
                    "private parts, “; cost per apartment”.", line=exc.args[0])]
        elif data.get("total_cost") is None:
            errors["total_cost"] = [_l("Enter the total cost, or the lots of works below.")]
        shares: list[int] = []
        try:
            shares = parse_shares(data.get("lot_shares", ""))
        except ValueError as exc:
            errors["lot_shares"] = [_l("“%(value)s” is not a number of shares.", value=exc.args[0])]
        else:
            if not shares:
                errors["lot_shares"] = [_l("Enter the shares of at least one lot.")]
        try:
            extra = parse_shares(data.get("extra_shares", ""))
        except ValueError as exc:
            errors["extra_shares"] = [_l("“%(value)s” is not a number of shares.", value=exc.args[0])]
            extra = []
        total = data.get("total_shares") or 0
        for name, values in (("lot_shares", shares), ("extra_shares", extra)):
            if any(value < 1 or value > total for value in values):
                errors.setdefault(name, []).append(
                    _l("Every lot has between 1 and %(total)s shares (the building's total).", total=total))
        if not errors and data.get("subsidy") is not None:
            units = len(shares)
            cost = (sum((lot.common_cost + lot.private_cost_per_unit * units for lot in lots), Decimal("0"))
                    if lots else data["total_cost"])
            if data["subsidy"] > cost:
                errors["subsidy"] = [_l("The subsidy cannot exceed the cost of the works.")]
        if errors:
            raise ValidationError(errors)

    @post_load
    def to_inputs(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        if data.get("works_lots"):
            lots = parse_lots(data["works_lots"])
        else:
            lots = [WorksLot(name="", common_cost=data["total_cost"])]
        inputs = inputs_document(lots, data["total_shares"], parse_shares(data["lot_shares"]),
                                 subsidy=data.get("subsidy"), extra_shares=parse_shares(data.get("extra_shares", "")))
        return {"inputs": inputs, "remarks": data.get("remarks")}


def financing_form_values(inputs: dict[str, Any], remarks: str | None) -> dict[str, Any]:
    """The form as it was saved: the lots as lines, the shares compressed as ``48x125``."""
    lots = inputs.get("lots") or []
    values: dict[str, Any] = {"total_shares": str(inputs.get("total_shares", "")), "remarks": remarks or ""}
    if len(lots) == 1 and not lots[0]["name"] and Decimal(lots[0]["private_cost_per_unit"] or "0") == 0:
        values["total_cost"] = lots[0]["common_cost"]
    else:
        values["works_lots"] = "\n".join(
            f"{lot['name']}; {lot['common_cost']}"
            + (f"; {lot['private_cost_per_unit']}" if Decimal(lot["private_cost_per_unit"] or "0") else "")
            for lot in lots)
    counts = Counter(inputs.get("lot_shares") or [])
    values["lot_shares"] = ", ".join(f"{n}x{s}" if n > 1 else str(s) for s, n in sorted(counts.items()))
    values["extra_shares"] = ", ".join(str(s) for s in inputs.get("extra_shares") or [])
    if inputs.get("subsidy") is not None:
        values["subsidy"] = inputs["subsidy"]
    return values


_forms = FormRegistry()
_forms.register("works.record", WorksForm, _l("Works"))
_forms.register("works.rmp_financing", FinancingForm, _l("Financing of the renovation master plan"))
WORKS_FORM = _forms.get("works.record")
FINANCING_FORM = _forms.get("works.rmp_financing")


def validate_works(data: dict[str, Any]) -> dict[str, Any]:
    """The cleaned works record, or :class:`~engine.workflow.errors.FormInvalid`."""
    return _forms.validate(WORKS_FORM.key, data)


def validate_financing(data: dict[str, Any]) -> dict[str, Any]:
    """{"inputs": …, "remarks": …}, or :class:`~engine.workflow.errors.FormInvalid`."""
    return _forms.validate(FINANCING_FORM.key, data)


# The blocks of the works form, as the tabs of the works entity in seed 001 §5.4.3-§5.4.4.
WORKS_FIELD_GROUPS: list[tuple[Any, list[str]]] = [
    (_l("Type of works"), ["work_type", "description", "building_part"]),
    (_l("Quotes"), ["quote_requested_on", "quote_received_on", "quote_amount", "contractor_id", "premium_conform"]),
    (_l("Renovation master plan"), ["rmp_advised", "rmp_priority"]),
    (_l("Decision"), ["investment_decided", "offer_amount", "offer_approved_on"]),
    (_l("Permits"), ["environment_permit_needed", "permit_parts", "permit_drafted_on", "permit_applied_on",
                     "permit_approved_on"]),
    (_l("Street furniture"), ["street_signage_needed", "public_lighting_removal_needed", "street_furniture_notes",
                              "street_furniture_requested_on"]),
    (_l("Execution"), ["works_started_on", "works_ended_on", "execution_remarks"]),
    (_l("Follow-up"), ["follow_up_on", "follow_up_notes"]),
]
