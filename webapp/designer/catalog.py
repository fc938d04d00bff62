"""The lists the side panel chooses from, so that nothing is typed blind: registered form keys
with their fields, operators with their parameter schemas, queues and roles, dossier types with
their phases. Labels are in the reader's language."""

from __future__ import annotations

from typing import Any

from flask_babel import get_locale
from marshmallow import fields as ma_fields
from sqlalchemy.orm import Session

from engine.access.models import Role
from engine.cases.phases import PHASE_FLOWS
from engine.queues.commands import all_queues
from engine.workflow.operators import OperatorRegistry
from forms.registry import FormRegistry
from webapp.labels import DOSSIER_TYPES, dossier_type_label, phase_label, role_label

_TYPE_NAMES: list[tuple[type[ma_fields.Field], str]] = [
    (ma_fields.Boolean, "bool"),
    (ma_fields.Integer, "int"),
    (ma_fields.Decimal, "decimal"),
    (ma_fields.Float, "float"),
    (ma_fields.DateTime, "datetime"),
    (ma_fields.Date, "date"),
    (ma_fields.List, "list"),
    (ma_fields.Dict, "dict"),
    (ma_fields.Nested, "dict"),
    (ma_fields.String, "str"),
]


def _type_name(field: ma_fields.Field) -> str:
    return next((name for cls, name in _TYPE_NAMES if isinstance(field, cls)), "any")


def form_list(forms: FormRegistry) -> list[dict[str, Any]]:
    out = []
    registered = forms.keys()  # FormRegistry lists its keys sorted; it is not iterable itself
    for key in registered:
        definition = forms.get(key)
        out.append({
            "key": key,
            "title": str(definition.title),
            "fields": [
                {"name": f.name, "label": str(f.label), "widget": f.widget, "required": f.required}
                for f in definition.fields()
            ],
        })
    return out


def operator_list(operators: OperatorRegistry) -> list[dict[str, Any]]:
    out = []
    for name in operators.names():
        operator = operators.get(name)
        out.append({
            "name": name,
            "description": operator.description,
            "params": [
                {
                    "name": param,
                    "type": _type_name(field),
                    "required": bool(field.required),
                    "description": str(field.metadata.get("description", "")),
                }
                for param, field in sorted(operator.params.fields.items())
                if not field.dump_only
            ],
        })
    return out


def queue_list(session: Session) -> list[dict[str, str]]:
    locale = get_locale()
    language = locale.language if locale else "fr"
    return [{"code": q.code, "name": q.name(language)} for q in all_queues(session, active_only=True)]


def role_list() -> list[dict[str, str]]:
    back_office = [r for r in Role if r not in (Role.INTEGRATION,)]
    return [{"code": r.value, "name": role_label(r.value)} for r in back_office]


def dossier_type_list() -> list[dict[str, Any]]:
    return [
        {
            "code": str(code),
            "name": dossier_type_label(code),
            "phases": [{"code": p, "name": phase_label(p)} for p in PHASE_FLOWS.get(code, ())],
        }
        for code in DOSSIER_TYPES
    ]


def panel_catalog(session: Session, forms: FormRegistry, operators: OperatorRegistry) -> dict[str, Any]:
    return {
        "forms": form_list(forms),
        "operators": operator_list(operators),
        "queues": queue_list(session),
        "roles": role_list(),
        "dossier_types": dossier_type_list(),
    }
