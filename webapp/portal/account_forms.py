"""Marshmallow schemas of the account forms. Messages are English msgids, translated when shown."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

REQUIRED = {"required": "This field is required.", "null": "This field is required."}
EMAIL = {**REQUIRED, "invalid": "Enter an e-mail address such as name@example.be."}


def _text(max_length: int, message: str) -> fields.String:
    return fields.String(required=True, error_messages=REQUIRED,
                         validate=validate.Length(min=1, max=max_length, error=message))


class _Confirmed(Schema):
    @validates_schema(skip_on_field_errors=False)
    def _same_password(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("password") != data.get("password_confirmation"):
            raise ValidationError("The two passwords differ: type the same password twice.", "password_confirmation")


class SignupSchema(_Confirmed):
    first_name = _text(100, "Enter your first name as on your identity card (at most 100 characters).")
    last_name = _text(100, "Enter your last name as on your identity card (at most 100 characters).")
    username = fields.String(load_default="")
    email = fields.Email(required=True, error_messages=EMAIL, validate=validate.Length(max=254))
    password = fields.String(required=True, error_messages=REQUIRED)
    password_confirmation = fields.String(required=True, error_messages=REQUIRED)


class ResetSchema(_Confirmed):
    password = fields.String(required=True, error_messages=REQUIRED)
    password_confirmation = fields.String(required=True, error_messages=REQUIRED)


class PasswordChangeSchema(Schema):
    current_password = fields.String(required=True, error_messages=REQUIRED)
    new_password = fields.String(required=True, error_messages=REQUIRED)
    password_confirmation = fields.String(required=True, error_messages=REQUIRED)

    @validates_schema(skip_on_field_errors=False)
    def _same_password(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("new_password") != data.get("password_confirmation"):
            raise ValidationError("The two passwords differ: type the same password twice.", "password_confirmation")


class ProfileSchema(Schema):
    first_name = _text(100, "Enter your first name (at most 100 characters).")
    last_name = _text(100, "Enter your last name (at most 100 characters).")
    phone = fields.String(load_default="", validate=validate.Length(max=50, error="At most 50 characters."))
    locale = fields.String(required=True, error_messages=REQUIRED,
                           validate=validate.OneOf(["fr", "nl", "en"], error="Choose French, Dutch or English."))


class EmailChangeSchema(Schema):
    new_email = fields.Email(required=True, error_messages=EMAIL, validate=validate.Length(max=254))


def load(schema: Schema, form: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """(data, errors): the cleaned data, or the first message per field (blank fields are missing)."""
    raw = {key: value for key in schema.fields if (value := form.get(key, "")) != ""}
    try:
        return schema.load(raw), {}
    except ValidationError as error:
        messages = error.normalized_messages()
        return {}, {field: (msgs[0] if isinstance(msgs, list) else str(msgs)) for field, msgs in messages.items()}
