"""The rules of engine/syndic/rules.py, table-driven: the filing deadline across weekends and
every Belgian legal holiday, the 8-working-day exception at its edges, lateness, the
representative cases, and the national register / BIS numbers."""

from __future__ import annotations

import datetime as dt

import pytest

from engine.syndic.identifiers import PersonNumberError, parse_person_number
from engine.syndic.models import RepresentativeCase
from engine.syndic.rules import (
    DAY_BEFORE_EFFECT,
    DAY_BEFORE_START,
    WITHIN_8_DAYS_OF_DECISION,
    Deadline,
    deadline_facts,
    filing_deadline,
    representative_case,
    representative_facts,
    representative_must_be_accredited,
    representative_required,
    working_days_late,
)
from engine.workflow.scripting import RestrictedEnvironment

D = dt.date
LONG_BEFORE = D(2025, 1, 6)


@pytest.mark.parametrize(("start", "expected", "why"), [
    (D(2026, 9, 14), D(2026, 9, 11), "Monday start: the Friday before"),
    (D(2026, 9, 16), D(2026, 9, 15), "a plain weekday"),
    (D(2026, 4, 7), D(2026, 4, 3), "Easter Monday 2026-04-06 and the weekend skipped"),
    (D(2027, 3, 30), D(2027, 3, 26), "Easter Monday 2027-03-29"),
    (D(2026, 5, 15), D(2026, 5, 13), "Ascension 2026-05-14"),
    (D(2026, 5, 26), D(2026, 5, 22), "Whit Monday 2026-05-25"),
    (D(2026, 5, 4), D(2026, 4, 30), "1 May on a Friday"),
    (D(2026, 7, 22), D(2026, 7, 20), "21 July on a Tuesday"),
    (D(2025, 8, 18), D(2025, 8, 14), "15 August 2025 on a Friday"),
    (D(2027, 11, 2), D(2027, 10, 29), "1 November 2027 on a Monday"),
    (D(2026, 11, 12), D(2026, 11, 10), "11 November on a Wednesday"),
    (D(2026, 12, 28), D(2026, 12, 24), "Christmas on a Friday"),
    (D(2027, 1, 4), D(2026, 12, 31), "New Year's Day on a Friday"),
])
def test_registration_the_working_day_before_the_start(start: dt.date, expected: dt.date, why: str) -> None:
    assert filing_deadline("registration", decision_date=LONG_BEFORE, mandate_start=start) == Deadline(
        expected, DAY_BEFORE_START), why


@pytest.mark.parametrize(("decision", "start", "expected", "rule"), [
    # start Monday 2026-10-12: 7 working days before = Thu 10-01, 8 = Wed 09-30, 9 = Tue 09-29
    (D(2026, 10, 1), D(2026, 10, 12), D(2026, 10, 13), WITHIN_8_DAYS_OF_DECISION),
    (D(2026, 9, 30), D(2026, 10, 12), D(2026, 10, 9), DAY_BEFORE_START),
    (D(2026, 9, 29), D(2026, 10, 12), D(2026, 10, 9), DAY_BEFORE_START),
    # across 11 November: 7 working days before Thu 11-12 is Mon 11-02 (1 Nov is a Sunday)
    (D(2026, 11, 2), D(2026, 11, 12), D(2026, 11, 13), WITHIN_8_DAYS_OF_DECISION),
    (D(2026, 10, 30), D(2026, 11, 12), D(2026, 11, 10), DAY_BEFORE_START),
    # a judge's provisional syndic, appointed the day the mandate starts
    (D(2026, 10, 12), D(2026, 10, 12), D(2026, 10, 22), WITHIN_8_DAYS_OF_DECISION),
    # no decision date yet: the plain rule
    (None, D(2026, 10, 12), D(2026, 10, 9), DAY_BEFORE_START),
])
def test_the_8_working_day_exception_at_its_edges(decision: dt.date | None, start: dt.date, expected: dt.date,
                                                   rule: str) -> None:
    assert filing_deadline("registration", decision_date=decision, mandate_start=start) == Deadline(expected, rule)


@pytest.mark.parametrize(("kind", "effective", "expected"), [
    ("termination", D(2026, 4, 7), D(2026, 4, 3)),
    ("termination", D(2026, 5, 26), D(2026, 5, 22)),
    ("modification", D(2026, 12, 28), D(2026, 12, 24)),
    ("modification", D(2025, 8, 18), D(2025, 8, 14)),
])
def test_modification_and_termination_the_working_day_before_the_effect(kind: str, effective: dt.date,
                                                                         expected: dt.date) -> None:
    assert filing_deadline(kind, effective_date=effective) == Deadline(expected, DAY_BEFORE_EFFECT)


def test_one_movement_takes_the_earlier_deadline_and_missing_dates_give_none() -> None:
    both = "termination_and_registration"
    assert filing_deadline(both, decision_date=D(2026, 9, 1), mandate_start=D(2026, 10, 12),
                           effective_date=D(2026, 10, 6)) == Deadline(D(2026, 10, 5), DAY_BEFORE_EFFECT)
    assert filing_deadline(both, decision_date=D(2026, 10, 1), mandate_start=D(2026, 10, 12),
                           effective_date=D(2026, 10, 12)) == Deadline(D(2026, 10, 9), DAY_BEFORE_EFFECT)
    assert filing_deadline(both, mandate_start=D(2026, 10, 12)) == Deadline(D(2026, 10, 9), DAY_BEFORE_START)
    assert filing_deadline(both) is None
    assert filing_deadline("registration", decision_date=D(2026, 9, 1)) is None
    assert filing_deadline("termination", mandate_start=D(2026, 9, 1)) is None
    assert filing_deadline("registration", mandate_start="2026-09-14") == Deadline(D(2026, 9, 11), DAY_BEFORE_START)
    with pytest.raises(ValueError):
        filing_deadline("renewal", mandate_start=D(2026, 9, 14))


@pytest.mark.parametrize(("deadline", "filed", "late"), [
    (D(2026, 9, 11), D(2026, 9, 10), 0),
    (D(2026, 9, 11), D(2026, 9, 11), 0),
    (D(2026, 9, 11), D(2026, 9, 12), 1),  # Saturday: counts from Monday
    (D(2026, 9, 11), D(2026, 9, 14), 1),
    (D(2026, 9, 11), D(2026, 9, 15), 2),
    (D(2026, 12, 24), D(2026, 12, 28), 1),  # Christmas and the weekend are not working days
    (D(2026, 4, 3), D(2026, 4, 8), 2),  # Easter Monday skipped
])
def test_lateness_in_working_days(deadline: dt.date, filed: dt.date, late: int) -> None:
    assert working_days_late(Deadline(deadline, DAY_BEFORE_START), filed) == late
    assert working_days_late(None, filed) == 0


@pytest.mark.parametrize(("syndic_kind", "named", "ipi", "case", "required", "accredited"), [
    ("natural", None, None, RepresentativeCase.NOT_APPLICABLE, False, False),
    ("natural", True, False, RepresentativeCase.NOT_APPLICABLE, False, False),
    ("legal", True, None, RepresentativeCase.NAMED, True, False),
    ("legal", True, True, RepresentativeCase.NAMED, True, False),
    ("legal", False, True, RepresentativeCase.COMPANY_ACCREDITED, False, False),
    ("legal", False, False, RepresentativeCase.ACCREDITED_REQUIRED, True, True),
    ("legal", None, None, RepresentativeCase.ACCREDITED_REQUIRED, True, True),  # not answered: the demanding case
    (None, None, None, RepresentativeCase.NOT_APPLICABLE, False, False),
])
def test_each_representative_case(syndic_kind: str | None, named: bool | None, ipi: bool | None,
                                  case: RepresentativeCase, required: bool, accredited: bool) -> None:
    found = representative_case(syndic_kind, decision_names_representative=named, company_has_ipi=ipi)
    assert found == case
    assert representative_required(found) is required
    assert representative_must_be_accredited(found) is accredited
    assert representative_facts(syndic_kind, named, ipi) == {
        "representative_case": case.value, "representative_required": required,
        "representative_must_be_accredited": accredited}


def test_the_diagram_scripts_call_the_same_rules() -> None:
    env = RestrictedEnvironment()
    context = {"kind": "registration", "decision_date": D(2026, 10, 1), "mandate_start": D(2026, 10, 12),
               "effective_date": None, "filed_on": D(2026, 10, 14)}
    env.execute("filing = syndic_deadline_facts(kind, decision_date, mandate_start, effective_date, filed_on)",
                context)
    assert context["filing"] == deadline_facts("registration", D(2026, 10, 1), D(2026, 10, 12), None,
                                               D(2026, 10, 14))
    assert context["filing"] == {"deadline": D(2026, 10, 13), "deadline_rule": WITHIN_8_DAYS_OF_DECISION,
                                 "late_working_days": 1}


@pytest.mark.parametrize(("raw", "digits", "kind", "formatted"), [
    ("85.07.30-033.28", "85073003328", "nn", "85.07.30-033.28"),
    ("85073003328", "85073003328", "nn", "85.07.30-033.28"),
    ("05 03 15 123 67", "05031512367", "nn", "05.03.15-123.67"),  # born in 2005: check with a 2 in front
    ("85.27.30-033.71", "85273003371", "bis", "85.27.30-033.71"),  # BIS: month + 20
])
def test_valid_person_numbers(raw: str, digits: str, kind: str, formatted: str) -> None:
    number = parse_person_number(raw)
    assert (number.digits, number.kind, number.formatted) == (digits, kind, formatted)


@pytest.mark.parametrize(("raw", "code"), [
    ("", "empty"),
    ("   ", "empty"),
    ("8507300332", "format"),  # 10 digits
    ("850730033288", "format"),  # 12 digits
    ("85073003A28", "format"),
    ("85073003329", "checksum"),
    ("85273003372", "checksum"),  # a BIS number with a wrong check
    ("85.13.30-033.xx", "format"),
])
def test_invalid_person_numbers(raw: str, code: str) -> None:
    with pytest.raises(PersonNumberError) as error:
        parse_person_number(raw)
    assert error.value.code == code
    assert str(error.value).startswith("invalid person number")
