"""The tabs "RMP timeline & decision/request" and "RMP elaboration" of an Advice dossier of the
subtype "Renovation master plan" (seed 001 §6.2)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import Session

from engine.cases.models import Dossier
from engine.cases.rmp import CALENDAR_STEPS, clean_calendar, is_rmp_dossier, rmp_record_of, rmp_timeline
from engine.cases.works import works_grids
from webapp.auth import CASE_HANDLERS
from webapp.dossiers.sections import Section, register_section
from webapp.rmp.forms import (
    APPLICATION_FORM,
    ELEMENT_LABELS,
    STEP_LABELS,
    SUPPORT_ACTION_LABELS,
)
from webapp.works.forms import BUILDING_PARTS, RMP_PRIORITIES, WORK_TYPE_LABELS

# What each dated event of the timeline is called.
TIMELINE_LABELS: dict[str, Any] = {
    "ga_decision_on": _l("The general assembly decided to apply"),
    "application_submitted_on": _l("Application sent to VEKA"),
    "energy_data_requested_on": _l("Energy consumption asked from Fluvius"),
    "quotes_received_on": _l("Quotes received from VEKA"),
    "awarded_on": _l("Plan awarded"),
    "contract_received_on": _l("Signed contract received"),
    "owner_survey_on": _l("Owner survey done"),
    "occupant_survey_on": _l("Occupant survey done"),
    "ga_date": _l("General assembly"),
    **{f"calendar:{step}": STEP_LABELS[step] for step in CALENDAR_STEPS},
}


def _may_change() -> bool:
    return bool(current_user.is_authenticated and current_user.has_role(*CASE_HANDLERS))


def application_context(session: Session, dossier: Dossier) -> dict[str, Any]:
    record = rmp_record_of(session, dossier.id)
    return {
        "record": record,
        "timeline": rmp_timeline(record),
        "timeline_labels": TIMELINE_LABELS,
        "support_labels": SUPPORT_ACTION_LABELS,
        "labels": {spec.name: spec.label for spec in APPLICATION_FORM.fields()},
        "may_change": _may_change(),
    }


def elaboration_context(session: Session, dossier: Dossier) -> dict[str, Any]:
    record = rmp_record_of(session, dossier.id)
    grids = works_grids(session, dossier)
    prioritised = [row for row in grids.advised + grids.decided if row.works.rmp_advised]
    return {
        "record": record,
        "calendar": [(step, STEP_LABELS[step], {kind: dt.date.fromisoformat(day) if day else None
                                                for kind, day in entry.items()})
                     for step, entry in clean_calendar(record.calendar if record else {}).items()],
        "element_labels": ELEMENT_LABELS,
        "prioritised": prioritised,
        "work_types": WORK_TYPE_LABELS,
        "building_parts": dict(BUILDING_PARTS),
        "priorities": dict(RMP_PRIORITIES),
        "may_change": _may_change(),
    }


APPLICATION_SECTION = register_section(Section(
    key="rmp_application", label=_l("RMP timeline & decision/request"), template="rmp/application_tab.html",
    context=application_context, order=55, applies=is_rmp_dossier,
))
ELABORATION_SECTION = register_section(Section(
    key="rmp_elaboration", label=_l("RMP elaboration"), template="rmp/elaboration_tab.html",
    context=elaboration_context, order=56, applies=is_rmp_dossier,
))
