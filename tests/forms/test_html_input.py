"""From a submitted HTML form to schema input, and from stored data back to readable text."""

from __future__ import annotations

import datetime as dt

from marshmallow import fields
from werkzeug.datastructures import MultiDict

import forms.catalog  # noqa: F401 - registers the shipped forms
from forms import registry
from forms.base_schema import FormSchema
from forms.html_input import display_values, errors_by_field, schema_input, submitted_values
from forms.readable import readable_values
from forms.registry import FormDefinition, field


class _Everything(FormSchema):
    tags = fields.List(fields.String(), metadata=field("Tags", choices=[("a", "A"), ("b", "B")]))
    urgent = fields.Boolean(metadata=field("Urgent"))
    amount = fields.Integer(metadata=field("Amount"))
    note = fields.String(metadata=field("Note"))


EVERYTHING = FormDefinition("test.everything", _Everything, "Everything")
REQUEST = registry.get("information.request")


def test_empty_strings_are_left_out_and_lists_kept() -> None:
    form = MultiDict([("tags", "a"), ("tags", "b"), ("tags", ""), ("amount", ""), ("note", "  hi  "),
                      ("csrf_token", "x"), ("unrelated", "y")])

    assert schema_input(EVERYTHING, form) == {"tags": ["a", "b"], "urgent": False, "note": "hi"}


def test_a_checked_checkbox_is_true() -> None:
    assert schema_input(EVERYTHING, MultiDict([("urgent", "1")]))["urgent"] is True


def test_submitted_values_are_kept_as_typed() -> None:
    form = MultiDict([("question_types", "technical_question"), ("request_date", "not a date"),
                      ("question_summary", "  spaced  ")])

    values = submitted_values(REQUEST, form)

    assert values["question_types"] == ["technical_question"]
    assert values["request_date"] == "not a date"
    assert values["question_summary"] == "  spaced  "
    assert values["source"] == ""


def test_display_values_turn_dates_into_iso_text() -> None:
    values = display_values(REQUEST, {"request_date": dt.date(2026, 3, 2), "question_types": ["event"],
                                      "source": None, "other": 1})

    assert values == {"request_date": "2026-03-02", "question_types": ["event"]}


def test_readable_values_use_labels_and_choice_names() -> None:
    data = {"question_types": ["technical_question", "financial_advice"], "request_date": "2026-03-02",
            "source": "phone", "question_summary": "", "unknown": 1}

    readable = {str(v.label): v.text for v in readable_values(REQUEST, data)}

    assert readable == {"Question types": "Technical question, Financial advice",
                        "Date of the request": "2026-03-02", "Source": "Telephone"}


def test_readable_booleans_and_unknown_codes() -> None:
    readable = {v.name: v.text for v in readable_values(EVERYTHING, {"urgent": False, "tags": ["zzz"]},
                                                       yes_no=("oui", "non"))}

    assert readable == {"urgent": "non", "tags": "zzz"}


def test_errors_of_list_items_and_unknown_keys_are_regrouped() -> None:
    errors = {"question_types.0": ["Choose one of the proposed values."],
              "question_types.2": ["Choose one of the proposed values."],
              "source": ["This field is required."], "mystery": ["Odd."], "_schema": ["Whole form."]}

    assert errors_by_field(REQUEST, errors) == {
        "question_types": ["Choose one of the proposed values."],
        "source": ["This field is required."],
        "_schema": ["Odd.", "Whole form."],
    }
