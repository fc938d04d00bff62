"""Small builders shared by the task forms of the dossier types (forms/advice.py, forms/loans.py, …):
a field for each common shape, with its label, help and the messages in the reader's language."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate

from forms.registry import Choices, field

CHOOSE_PROPOSED = _l("Choose one of the proposed values.")


def codes(choices: Choices) -> list[str]:
    return [code for code, _label in choices]


def choice(label: Any, choices: Choices, *, required: bool = True, help: Any = None,
           fact: str | None = None) -> fields.String:
    return fields.String(required=required, validate=validate.OneOf(codes(choices), error=CHOOSE_PROPOSED),
                         metadata=field(label, widget="select", choices=choices, help=help, fact=fact))


def choices_list(label: Any, choices: Choices, *, required: bool = False, help: Any = None) -> fields.List:
    inner = fields.String(validate=validate.OneOf(codes(choices), error=CHOOSE_PROPOSED))
    if required:
        return fields.List(inner, required=True,
                           validate=validate.Length(min=1, error=_l("Choose at least one value.")),
                           metadata=field(label, widget="multiselect", choices=choices, help=help))
    return fields.List(inner, load_default=list,
                       metadata=field(label, widget="multiselect", choices=choices, help=help))


def text(label: Any, *, required: bool = False, long: bool = False, help: Any = None) -> fields.String:
    maximum = 4000 if long else 200
    if required:
        check = validate.Length(min=2, max=maximum, error=_l("Write between %(min)d and %(max)d characters.",
                                                              min=2, max=maximum))
    else:
        check = validate.Length(max=maximum, error=_l("Write at most %(max)d characters.", max=maximum))
    return fields.String(required=required, validate=check,
                         metadata=field(label, widget="textarea" if long else None, help=help))


def day(label: Any, *, required: bool = False, help: Any = None, fact: str | None = None) -> fields.Date:
    """``fact``: keep the date in dossier_facts under that name (see forms/registry.py)."""
    return fields.Date(required=required, metadata=field(label, help=help, fact=fact))


def amount(label: Any, *, required: bool = False, help: Any = None, fact: str | None = None) -> fields.Decimal:
    """``fact``: keep the amount in dossier_facts under that name (the reports sum it)."""
    return fields.Decimal(required=required, places=2, as_string=True,
                          validate=validate.Range(min=0, error=_l("Enter an amount of zero or more.")),
                          metadata=field(label, widget="number", help=help, fact=fact))


def yes_no(label: Any, *, help: Any = None) -> fields.Boolean:
    return fields.Boolean(load_default=False, metadata=field(label, help=help))
