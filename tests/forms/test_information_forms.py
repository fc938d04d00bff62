"""The Information forms: metadata for rendering, validation, translated messages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from flask import Flask
from flask_babel import Babel, force_locale

import forms.catalog  # noqa: F401 - registers the shipped forms
from engine.workflow.errors import FormInvalid
from forms import information, registry
from webapp.i18n import TRANSLATIONS, compile_catalogs

VALID_REQUEST = {
    "question_types": ["technical_question"],
    "question_summary": "Can I insulate my roof from the inside?",
    "request_date": "2026-03-02",
    "source": "phone",
    "first_action": "called_back",
    "first_action_date": "2026-03-06",
}


@pytest.fixture
def babel_app() -> Iterator[Flask]:
    compile_catalogs()
    app = Flask(__name__)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS)
    Babel(app)
    with app.app_context():
        yield app


def errors_of(form_key: str, data: dict) -> dict[str, list[str]]:
    with pytest.raises(FormInvalid) as caught:
        registry.validate(form_key, data)
    return caught.value.errors


def test_both_forms_are_registered_with_titles() -> None:
    assert registry.has("information.request")
    assert registry.has("information.answer")
    assert str(registry.get("information.request").title) == "Register the request"


def test_request_form_fields_carry_what_the_page_needs() -> None:
    fields = {spec.name: spec for spec in registry.get("information.request").fields()}

    assert list(fields) == ["question_types", "question_summary", "request_date", "source", "first_action",
                            "first_action_date"]
    assert fields["question_types"].widget == "multiselect" and fields["question_types"].multiple
    assert [code for code, _ in fields["question_types"].choices] == [
        "financial_advice", "information_request", "renovation_master_plan", "premium_application",
        "technical_question",
    ]
    assert [code for code, _ in fields["source"].choices] == ["counter", "email", "contact_form", "phone", "event"]
    assert fields["question_summary"].widget == "textarea"
    assert fields["request_date"].widget == "date" and fields["first_action_date"].widget == "date"
    assert fields["first_action"].widget == "select"
    assert all(spec.required for spec in fields.values())
    assert fields["request_date"].help is not None


def test_answer_form_offers_the_referral_products() -> None:
    fields = {spec.name: spec for spec in registry.get("information.answer").fields()}

    assert [code for code, _ in fields["referral_product"].choices] == ["none", "loan", "premium", "advice", "other"]
    assert fields["answer"].required and not fields["referral_organisation"].required
    assert not fields["closing_note"].required


def test_a_valid_request_gives_dates() -> None:
    cleaned = registry.validate("information.request", VALID_REQUEST)

    assert cleaned["request_date"] == dt.date(2026, 3, 2)
    assert cleaned["first_action_date"] == dt.date(2026, 3, 6)
    assert cleaned["question_types"] == ["technical_question"]


def test_the_first_action_cannot_come_before_the_request() -> None:
    errors = errors_of("information.request", {**VALID_REQUEST, "first_action_date": "2026-03-01"})

    assert list(errors) == ["first_action_date"]
    assert "cannot come before the request" in errors["first_action_date"][0]


def test_the_same_day_is_fine() -> None:
    registry.validate("information.request", {**VALID_REQUEST, "first_action_date": "2026-03-02"})


def test_a_request_date_in_the_future_is_refused() -> None:
    future = (dt.date.today() + dt.timedelta(days=3)).isoformat()

    errors = errors_of("information.request", {**VALID_REQUEST, "request_date": future, "first_action_date": future})

    assert errors == {"request_date": ["The date of the request cannot be in the future."]}


def test_every_problem_is_reported_at_once() -> None:
    errors = errors_of("information.request", {"request_date": "2026-03-06", "first_action_date": "2026-03-02",
                                               "question_types": ["aliens"], "source": "fax"})

    assert set(errors) == {"question_types.0", "question_summary", "source", "first_action", "first_action_date"}
    assert errors["source"] == ["Choose one of the proposed values."]
    assert errors["question_summary"] == ["This field is required."]


def test_at_least_one_question_type() -> None:
    errors = errors_of("information.request", {**VALID_REQUEST, "question_types": []})

    assert errors == {"question_types": ["Choose at least one question type."]}


def test_a_referral_names_the_organisation() -> None:
    data = {"answer": "Sent the premium conditions.", "referral_product": "premium"}

    errors = errors_of("information.answer", data)
    cleaned = registry.validate("information.answer", {**data, "referral_product": "none"})

    assert list(errors) == ["referral_organisation"]
    assert cleaned == {"answer": "Sent the premium conditions.", "referral_product": "none"}


def test_messages_follow_the_request_language(babel_app: Flask) -> None:
    bad = {**VALID_REQUEST, "request_date": "02/03/2026", "source": ""}
    with force_locale("fr"):
        french = errors_of("information.request", {k: v for k, v in bad.items() if v})
    with force_locale("nl"):
        dutch = errors_of("information.request", {k: v for k, v in bad.items() if v})

    assert french == {"request_date": ["Indiquez une date valide (AAAA-MM-JJ)."],
                      "source": ["Ce champ est obligatoire."]}
    assert dutch == {"request_date": ["Vul een geldige datum in (JJJJ-MM-DD)."], "source": ["Dit veld is verplicht."]}
    with force_locale("nl"):
        labels = [str(spec.label) for spec in registry.get("information.request").fields()]
    assert labels[0] == "Types vraag"


def test_choice_lists_are_the_seed_lists() -> None:
    assert len(information.QUESTION_TYPES) == 5
    assert dict(information.REFERRAL_PRODUCTS).keys() == {"none", "loan", "premium", "advice", "other"}
