"""The rules of the law about a syndic request (Royal Decree of 15 March 2017; seed 002), in one
place: the diagram's rule steps (bpmn/syndic/mandate_request.bpmn, through the script helpers of
engine/workflow/scripting.py), the commands of engine/syndic/requests.py and the form's preview
all call these functions, so there is no second implementation to drift.

Working days are Belgian ones (engine/calendar.py: no Saturday, Sunday or legal holiday).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from engine import calendar
from engine.syndic.models import RepresentativeCase, RequestKind, SyndicKind

# a decision taken fewer working days than this before the start may be filed afterwards
DECISION_GRACE_WORKING_DAYS = 8

DAY_BEFORE_START = "day_before_start"
WITHIN_8_DAYS_OF_DECISION = "within_8_days_of_decision"
DAY_BEFORE_EFFECT = "day_before_effect"


@dataclass(frozen=True)
class Deadline:
    date: dt.date
    rule: str  # DAY_BEFORE_START | WITHIN_8_DAYS_OF_DECISION | DAY_BEFORE_EFFECT


def _date(value: Any) -> dt.date | None:
    """A date from a date, a datetime or an ISO string (process data and half-typed forms)."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


def _registration_deadline(decision_date: dt.date | None, mandate_start: dt.date | None) -> Deadline | None:
    if mandate_start is None:
        return None
    if decision_date is not None and decision_date < mandate_start and (
            calendar.working_days_between(decision_date, mandate_start) < DECISION_GRACE_WORKING_DAYS):
        return Deadline(calendar.add_working_days(decision_date, DECISION_GRACE_WORKING_DAYS),
                        WITHIN_8_DAYS_OF_DECISION)
    if decision_date is not None and decision_date >= mandate_start:
        # appointed on or after the day the mandate starts (a judge's provisional syndic): the
        # decision came "less than 8 working days before the start", so the grace period applies
        return Deadline(calendar.add_working_days(decision_date, DECISION_GRACE_WORKING_DAYS),
                        WITHIN_8_DAYS_OF_DECISION)
    return Deadline(calendar.add_working_days(mandate_start, -1), DAY_BEFORE_START)


def filing_deadline(kind: RequestKind | str, *, decision_date: Any = None, mandate_start: Any = None,
                    effective_date: Any = None) -> Deadline | None:
    """The last day to file, and which rule gave it; None while the dates it needs are missing.

    Registration: the working day before the mandate starts, unless the decision was taken fewer
    than 8 working days before the start: then 8 working days after the decision. Modification
    and termination: the working day before they take effect. Termination and registration in one
    movement: the earlier of the two (either one alone while the other's date is missing)."""
    decision, start, effect = _date(decision_date), _date(mandate_start), _date(effective_date)
    kind = RequestKind(kind)
    effect_deadline = (Deadline(calendar.add_working_days(effect, -1), DAY_BEFORE_EFFECT)
                       if effect is not None else None)
    if kind == RequestKind.REGISTRATION:
        return _registration_deadline(decision, start)
    if kind in (RequestKind.MODIFICATION, RequestKind.TERMINATION):
        return effect_deadline
    candidates = [d for d in (_registration_deadline(decision, start), effect_deadline) if d is not None]
    return min(candidates, key=lambda d: d.date) if candidates else None


def working_days_late(deadline: Deadline | None, filed_on: dt.date) -> int:
    """Working days between the deadline and the filing; 0 when on time. A request filed on a
    weekend or a holiday counts from the next working day (when the counter can act on it)."""
    if deadline is None or filed_on <= deadline.date:
        return 0
    day = filed_on
    while not calendar.is_working_day(day):
        day += dt.timedelta(days=1)
    return max(1, calendar.working_days_between(deadline.date, day))


def representative_case(syndic_kind: SyndicKind | str | None, *, decision_names_representative: bool | None,
                        company_has_ipi: bool | None) -> RepresentativeCase:
    """The seed's three cases for a legal-person syndic. A question not answered yet counts as
    "no" (the demanding case), so a half-filled form asks for a representative rather than
    silently dropping one."""
    if syndic_kind != SyndicKind.LEGAL:
        return RepresentativeCase.NOT_APPLICABLE
    if decision_names_representative:
        return RepresentativeCase.NAMED
    if company_has_ipi:
        return RepresentativeCase.COMPANY_ACCREDITED
    return RepresentativeCase.ACCREDITED_REQUIRED


def representative_required(case: RepresentativeCase | str) -> bool:
    """A representative must be registered: the one named, or an accredited one of the company's choice."""
    return RepresentativeCase(case) in (RepresentativeCase.NAMED, RepresentativeCase.ACCREDITED_REQUIRED)


def representative_must_be_accredited(case: RepresentativeCase | str) -> bool:
    """The company has no IPI accreditation of its own: its representative must have one."""
    return RepresentativeCase(case) == RepresentativeCase.ACCREDITED_REQUIRED


# --------------------------------------------------------------------- for the diagram's scripts

def deadline_facts(kind: str, decision_date: Any, mandate_start: Any, effective_date: Any,
                   filed_on: Any) -> dict[str, Any]:
    """What the "Apply the filing deadline" step stores in the process data."""
    deadline = filing_deadline(kind, decision_date=decision_date, mandate_start=mandate_start,
                               effective_date=effective_date)
    filed = _date(filed_on) or dt.date.today()
    return {"deadline": deadline.date if deadline else None, "deadline_rule": deadline.rule if deadline else None,
            "late_working_days": working_days_late(deadline, filed)}


def representative_facts(syndic_kind: Any, decision_names_representative: Any,
                         company_has_ipi: Any) -> dict[str, Any]:
    """What the "Decide the representative case" step stores in the process data."""
    case = representative_case(syndic_kind, decision_names_representative=decision_names_representative,
                               company_has_ipi=company_has_ipi)
    return {"representative_case": case.value, "representative_required": representative_required(case),
            "representative_must_be_accredited": representative_must_be_accredited(case)}
