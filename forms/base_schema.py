"""A marshmallow base schema whose built-in error messages are translated (FR/NL/EN).

marshmallow's own messages ("Missing data for required field.") are English only; every form
schema of Guichet derives from :class:`FormSchema` so that people see messages in their language.
Messages are lazy: they are translated when shown, in the locale of the request.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields

COMMON_MESSAGES: dict[str, Any] = {
    "required": _l("This field is required."),
    "null": _l("This field is required."),
    "validator_failed": _l("This value is not accepted."),
}

MESSAGES_BY_TYPE: list[tuple[type[fields.Field], dict[str, Any]]] = [
    (fields.DateTime, {"invalid": _l("Enter a date and time."), "format": _l("Enter a date and time.")}),
    (fields.Date, {"invalid": _l("Enter a valid date (YYYY-MM-DD)."),
                   "format": _l("Enter a valid date (YYYY-MM-DD).")}),
    (fields.Integer, {"invalid": _l("Enter a whole number.")}),
    (fields.Number, {"invalid": _l("Enter a number."), "too_large": _l("This number is too large.")}),
    (fields.Email, {"invalid": _l("Enter a valid e-mail address.")}),
    (fields.Boolean, {"invalid": _l("Choose yes or no.")}),
    (fields.List, {"invalid": _l("Choose one or more values.")}),
    (fields.String, {"invalid": _l("Enter text.")}),
]


class FormSchema(Schema):
    """Base of every task-form schema: translated default error messages.

    Messages a field sets itself (``error_messages={...}``) are kept."""

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        own = getattr(field_obj, "_guichet_own_messages", None)
        if own is None:
            own = {
                key: value for key, value in field_obj.error_messages.items()
                if value != _default_message(field_obj, key)
            }
            field_obj._guichet_own_messages = own  # type: ignore[attr-defined]
        translated = dict(COMMON_MESSAGES)
        for field_type, messages in MESSAGES_BY_TYPE:
            if isinstance(field_obj, field_type):
                translated.update(messages)
                break
        field_obj.error_messages = {**field_obj.error_messages, **translated, **own}
        inner = getattr(field_obj, "inner", None)
        if isinstance(inner, fields.Field):
            self.on_bind_field(field_name, inner)


def _default_message(field_obj: fields.Field, key: str) -> Any:
    """The message marshmallow itself would give for ``key`` (walking the class hierarchy)."""
    for cls in type(field_obj).__mro__:
        messages = getattr(cls, "default_error_messages", None) or {}
        if key in messages:
            return messages[key]
    return None
