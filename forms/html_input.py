"""Turning a submitted HTML form into the input of a marshmallow form schema.

Browsers send every field as text: an empty input arrives as ``""``, a multi-select or a group of
checkboxes as repeated keys, an unchecked checkbox not at all. Schemas expect a missing key for
"nothing entered", a list for list fields and a boolean for checkboxes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from forms.registry import FormDefinition


class MultiValueForm(Protocol):
    """What ``request.form`` (a werkzeug MultiDict) offers."""

    def get(self, key: str, default: Any = None) -> Any: ...

    def getlist(self, key: str) -> list[Any]: ...

    def __contains__(self, key: object) -> bool: ...


def schema_input(definition: FormDefinition, form: MultiValueForm) -> dict[str, Any]:
    """The data to validate: only the form's own fields, empty strings left out."""
    data: dict[str, Any] = {}
    for spec in definition.fields():
        if spec.multiple:
            values = [v.strip() for v in form.getlist(spec.name) if isinstance(v, str) and v.strip()]
            if values:
                data[spec.name] = values
        elif spec.widget == "checkbox":
            data[spec.name] = spec.name in form and form.get(spec.name) not in ("", "0", "false", "off")
        else:
            value = form.get(spec.name)
            if isinstance(value, str) and value.strip():
                data[spec.name] = value.strip()
    return data


def submitted_values(definition: FormDefinition, form: MultiValueForm) -> dict[str, Any]:
    """What the person typed, as it is, to show the form again after an error."""
    values: dict[str, Any] = {}
    for spec in definition.fields():
        if spec.multiple:
            values[spec.name] = [v for v in form.getlist(spec.name) if isinstance(v, str)]
        elif spec.widget == "checkbox":
            values[spec.name] = spec.name in form
        else:
            values[spec.name] = form.get(spec.name, "")
    return values


def display_values(definition: FormDefinition, data: Mapping[str, Any]) -> dict[str, Any]:
    """Values for a fresh form, taken from data the case already holds (dates as ISO text)."""
    values: dict[str, Any] = {}
    for spec in definition.fields():
        if spec.name not in data or data[spec.name] is None:
            continue
        value = data[spec.name]
        if spec.multiple:
            values[spec.name] = [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]
        elif spec.widget == "checkbox":
            values[spec.name] = bool(value)
        else:
            values[spec.name] = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return values


def errors_by_field(definition: FormDefinition, errors: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """Errors keyed by the form's own field names: ``question_types.0`` (one item of a list) goes
    to ``question_types``; keys that belong to no field go to ``_schema`` (shown at the top)."""
    names = {spec.name for spec in definition.fields()}
    out: dict[str, list[str]] = {}
    for key, messages in errors.items():
        name = key.split(".", 1)[0]
        target = name if name in names else "_schema"
        bucket = out.setdefault(target, [])
        bucket.extend(m for m in messages if m not in bucket)
    return out
