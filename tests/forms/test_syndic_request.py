"""The syndic mandate request form: normalised numbers, the seed's enterprise-number message,
and exactly the fields each kind, syndic and representative case needs; the case worker's check."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask_babel import Babel, force_locale
from marshmallow import ValidationError

import forms.catalog  # noqa: F401 - registers the shipped forms
from engine.workflow.errors import FormInvalid
from forms import registry
from forms.syndic_request import MandateRequestSchema, required_documents, required_fields
from webapp.i18n import TRANSLATIONS, compile_catalogs

NATURAL = {
    "kind": "registration", "association_number": "BE 0417.497.106", "syndic_kind": "natural",
    "syndic_name": "Janssens", "syndic_first_names": "Marie", "syndic_person_number": "85.07.30-033.28",
    "syndic_profession": "Syndic", "syndic_address": "Grote Markt 1, 2800 Mechelen",
    "syndic_email": "marie@example.be", "appointed_by": "general_assembly", "decision_date": "2026-09-01",
    "mandate_start": "2026-10-01", "syndic_phone": "",
}
LEGAL = {
    **{k: v for k, v in NATURAL.items() if k not in ("syndic_first_names", "syndic_person_number",
                                                     "syndic_profession")},
    "syndic_kind": "legal", "syndic_name": "Syndic Dijle SRL", "syndic_enterprise_number": "0403 170 701",
}
REPRESENTATIVE = {"representative_name": "Peeters", "representative_first_names": "Jan",
                  "representative_person_number": "90020200197"}


@pytest.fixture
def app() -> Iterator[Flask]:
    compile_catalogs()
    app = Flask(__name__)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS)
    Babel(app)
    with app.app_context():
        yield app


def _errors(data: dict[str, Any]) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        MandateRequestSchema().load(data)
    return {k: [str(m) for m in (v if isinstance(v, list) else [v])] for k, v in caught.value.messages.items()}


def test_a_natural_person_registration_is_normalised(app: Flask) -> None:
    data = MandateRequestSchema().load(NATURAL)
    assert data["association_number"] == "0417497106" and data["syndic_person_number"] == "85073003328"
    assert data["decision_date"].isoformat() == "2026-09-01" and data["syndic_phone"] is None
    assert data["provisional"] is False and data["decision_names_representative"] is None


def test_bad_numbers_say_what_to_fix(app: Flask) -> None:
    errors = _errors({**NATURAL, "association_number": "0417.497.107", "syndic_person_number": "85073003329"})
    assert errors["association_number"][0].startswith("This enterprise number is not correct (format: 0123.456.789)")
    assert "kbopub.economie.fgov.be" in errors["association_number"][0]
    assert "check" in errors["syndic_person_number"][0]
    errors = _errors({**NATURAL, "association_number": "417497106", "syndic_person_number": "1234"})
    assert "did you mean 0417.497.106?" in errors["association_number"][0]
    assert "11 digits" in errors["syndic_person_number"][0]
    with force_locale("nl"):
        errors = _errors({**NATURAL, "association_number": "12"})
        assert "ondernemingsnummer" in errors["association_number"][0].lower()


@pytest.mark.parametrize(("case_data", "missing"), [
    ({"decision_names_representative": True}, {"representative_name", "representative_first_names",
                                               "representative_person_number"}),
    ({"decision_names_representative": False, "company_has_ipi": True}, set()),
    ({"decision_names_representative": False, "company_has_ipi": False},
     {"representative_name", "representative_first_names", "representative_person_number",
      "representative_ipi_number"}),
    ({}, {"decision_names_representative", "company_has_ipi", "representative_name", "representative_first_names",
          "representative_person_number", "representative_ipi_number"}),
])
def test_a_legal_person_is_asked_exactly_what_its_case_needs(app: Flask, case_data: dict, missing: set) -> None:
    data = {**LEGAL, **case_data}
    if missing:
        assert set(_errors(data)) == missing
    if case_data:  # with what was missing, it loads
        loaded = MandateRequestSchema().load({**data, **REPRESENTATIVE, "representative_ipi_number": "IPI-123456"})
        assert loaded["syndic_enterprise_number"] == "0403170701"


def test_required_fields_per_kind() -> None:
    termination = required_fields("termination", None, None)
    assert termination == {"kind", "association_number", "effective_date", "outgoing_syndic_name"}
    modification = required_fields("modification", "legal", None)
    assert {"effective_date", "changes", "syndic_enterprise_number"} <= modification
    assert "decision_date" not in modification
    both = required_fields("termination_and_registration", "natural", "not_applicable")
    assert {"effective_date", "outgoing_syndic_name", "mandate_start", "syndic_person_number"} <= both
    assert "representative_name" not in both
    assert required_documents("registration") == {"decision_extract"}
    assert required_documents("termination") == {"revocation_proof"}
    assert required_documents("termination_and_registration") == {"decision_extract", "revocation_proof"}
    assert required_documents("modification") == set()


def test_termination_and_modification_conditions(app: Flask) -> None:
    base = {"association_number": "0417497106"}
    assert set(_errors({**base, "kind": "termination"})) == {"effective_date", "outgoing_syndic_name"}
    assert MandateRequestSchema().load({**base, "kind": "termination", "effective_date": "2026-10-01",
                                        "outgoing_mandate_id": 3})["outgoing_mandate_id"] == 3
    assert set(_errors({**base, "kind": "modification", "syndic_kind": "natural"})) == {
        "effective_date", "changes", "syndic_name", "syndic_first_names", "syndic_person_number"}


def test_renewal_dates_and_unknown_kinds(app: Flask) -> None:
    assert "renewal is not filed" in _errors({**NATURAL, "kind": "renewal"})["kind"][0]
    assert "Choose what you want to file" in _errors({**NATURAL, "kind": "other"})["kind"][0]
    assert "after its start" in _errors({**NATURAL, "mandate_end": "2026-09-30"})["mandate_end"][0]
    assert set(_errors({**NATURAL, "kind": "", "association_number": ""})) == {"kind", "association_number"}
    with force_locale("fr"):
        assert _errors({**NATURAL, "syndic_address": ""})["syndic_address"] == [
            "Complétez ce champ : cette demande en a besoin."]


def test_the_case_workers_check(app: Flask) -> None:
    assert registry.validate("syndic.review_documents", {"decision": "approve"}) == {"decision": "approve",
                                                                                     "reason": ""}
    with pytest.raises(FormInvalid) as caught:
        registry.validate("syndic.review_documents", {"decision": "send_back", "reason": "  "})
    assert "reason" in caught.value.errors
    with pytest.raises(FormInvalid):
        registry.validate("syndic.review_documents", {"decision": "refuse"})


def test_format_errors_and_missing_fields_are_reported_together(app: Flask) -> None:
    errors = _errors({**NATURAL, "association_number": "0417.497.107", "syndic_person_number": "85073003329",
                      "syndic_address": "", "mandate_start": "not a date"})
    assert set(errors) == {"association_number", "syndic_person_number", "syndic_address", "mandate_start"}
    assert len(errors["syndic_person_number"]) == 1 and "check" in errors["syndic_person_number"][0]
    assert errors["mandate_start"] == ["Enter a valid date (YYYY-MM-DD)."]
