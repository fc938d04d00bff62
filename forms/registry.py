"""The form registry: form key -> marshmallow schema + metadata the web app renders from.

Field metadata (all optional but ``label``), given with :func:`field`:
  label     -- a lazily translated label (flask_babel.lazy_gettext), shown in FR/NL/EN
  widget    -- text | textarea | date | number | select | multiselect | checkbox | email
  choices   -- a list of (value, label) pairs, or ``choices_provider``: a callable returning them
  help      -- help text shown under the field
  fact      -- the name under which the value is kept in ``dossier_facts`` when the task of a
               dossier completes (engine/monitoring/facts.py): the figures managers report on
Whether a field is required comes from the marshmallow field itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from marshmallow import Schema, ValidationError, fields

from engine.workflow.errors import FormInvalid

Choices = list[tuple[str, Any]]


def field(
    label: Any,
    *,
    widget: str | None = None,
    choices: Choices | None = None,
    choices_provider: Callable[[], Choices] | None = None,
    help: Any = None,
    fact: str | None = None,
) -> dict[str, Any]:
    """Metadata for a marshmallow field: ``fields.String(metadata=field(_l("Name")))``."""
    meta: dict[str, Any] = {"label": label}
    if fact:
        meta["fact"] = fact
    if widget:
        meta["widget"] = widget
    if choices is not None:
        meta["choices"] = choices
    if choices_provider is not None:
        meta["choices_provider"] = choices_provider
    if help is not None:
        meta["help"] = help
    return meta


_DEFAULT_WIDGETS: list[tuple[type[fields.Field], str]] = [
    (fields.Boolean, "checkbox"),
    (fields.DateTime, "datetime"),
    (fields.Date, "date"),
    (fields.Email, "email"),
    (fields.Integer, "number"),
    (fields.Decimal, "number"),
    (fields.Float, "number"),
    (fields.List, "multiselect"),
]


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: Any
    widget: str
    required: bool
    choices: Choices | None
    help: Any
    multiple: bool


@dataclass(frozen=True)
class FormDefinition:
    key: str
    schema: type[Schema]
    title: Any
    description: Any = None

    def fields(self) -> list[FieldSpec]:
        out = []
        for name, f in self.schema().fields.items():
            if f.dump_only:
                continue
            meta = f.metadata
            widget = meta.get("widget") or next(
                (w for cls, w in _DEFAULT_WIDGETS if isinstance(f, cls)), "text"
            )
            choices = meta.get("choices")
            if choices is None and meta.get("choices_provider"):
                choices = list(meta["choices_provider"]())
            if widget == "text" and choices:
                widget = "select"
            out.append(FieldSpec(
                name=name,
                label=meta.get("label", name),
                widget=widget,
                required=f.required,
                choices=choices,
                help=meta.get("help"),
                multiple=isinstance(f, fields.List),
            ))
        return out


class FormRegistry:
    """Implements the engine's FormValidator protocol."""

    def __init__(self) -> None:
        self._forms: dict[str, FormDefinition] = {}
        self._schemas: dict[str, Schema] = {}

    def register(self, key: str, schema: type[Schema], title: Any, description: Any = None) -> type[Schema]:
        existing = self._forms.get(key)
        if existing is not None and existing.schema is not schema:
            raise ValueError(f"form key {key!r} is already registered to {existing.schema.__name__}")
        self._forms[key] = FormDefinition(key, schema, title, description)
        self._schemas.pop(key, None)
        return schema

    def form(self, key: str, title: Any, description: Any = None) -> Callable[[type[Schema]], type[Schema]]:
        """Class decorator: ``@registry.form("information.request", _l("Request"))``."""

        def decorate(schema: type[Schema]) -> type[Schema]:
            return self.register(key, schema, title, description)

        return decorate

    def has(self, form_key: str) -> bool:
        return form_key in self._forms

    def get(self, form_key: str) -> FormDefinition:
        try:
            return self._forms[form_key]
        except KeyError:
            raise KeyError(f"no form registered under {form_key!r}") from None

    def _schema(self, form_key: str) -> Schema:
        """One schema instance per form key: building one costs more than loading with it."""
        schema = self._schemas.get(form_key)
        if schema is None:
            schema = self._schemas[form_key] = self.get(form_key).schema()
        return schema

    def keys(self) -> Iterable[str]:
        return sorted(self._forms)

    def fact_mapping(self) -> dict[str, dict[str, str]]:
        """form key -> {field: fact name} of the fields declared as facts (what the composition
        root gives engine/monitoring/facts.py)."""
        out: dict[str, dict[str, str]] = {}
        for key, definition in self._forms.items():
            facts = {name: f.metadata["fact"] for name, f in definition.schema().fields.items()
                     if f.metadata.get("fact")}
            if facts:
                out[key] = facts
        return out

    def fact_fields(self) -> dict[str, list[tuple[str, fields.Field]]]:
        """fact name -> [(form key, field)] declaring it: the reports tell amounts from dates by
        the field's type and label a fact with the field's label."""
        out: dict[str, list[tuple[str, fields.Field]]] = {}
        for key in sorted(self._forms):
            for f in self._forms[key].schema().fields.values():
                if f.metadata.get("fact"):
                    out.setdefault(f.metadata["fact"], []).append((key, f))
        return out

    def validate(self, form_key: str, data: Mapping[str, Any]) -> dict[str, Any]:
        schema = self._schema(form_key)
        try:
            return dict(schema.load(dict(data)))
        except ValidationError as exc:
            raise FormInvalid(form_key, _flatten(exc.messages)) from exc


def _flatten(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(value, dict):
                out.update(_flatten(value, name))
            else:
                out[name] = [str(v) for v in (value if isinstance(value, list) else [value])]
    else:
        out[prefix or "_schema"] = [str(m) for m in (messages if isinstance(messages, list) else [messages])]
    return out


registry = FormRegistry()
