"""The "Works" and "Financing" tabs of the dossier page."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import Session

from engine.cases.models import Dossier
from engine.cases.rmp_financing import FinancingError, financing_of, simulation_from
from engine.cases.works import WORKS_DOSSIER_TYPES, works_grids
from webapp.auth import CASE_HANDLERS
from webapp.dossiers.sections import Section, register_section
from webapp.works.forms import (
    BUILDING_PARTS,
    FINANCING_FORM,
    PREMIUM_CONFORMITY,
    RMP_PRIORITIES,
    WORK_TYPE_LABELS,
    financing_form_values,
)
from webapp.works.views import FINANCING_DOSSIER_TYPES, contractor_choices


def _may_change() -> bool:
    return bool(current_user.is_authenticated and current_user.has_role(*CASE_HANDLERS))


def works_context(session: Session, dossier: Dossier) -> dict[str, Any]:
    return {
        "grids": works_grids(session, dossier),
        "contractors": dict(contractor_choices(session)),
        "work_types": WORK_TYPE_LABELS,
        "building_parts": dict(BUILDING_PARTS),
        "premium_conformity": dict(PREMIUM_CONFORMITY),
        "priorities": dict(RMP_PRIORITIES),
        "may_change": _may_change(),
    }


def financing_context(session: Session, dossier: Dossier) -> dict[str, Any]:
    record = financing_of(session, dossier.id)
    simulation = None
    if record is not None:
        try:
            simulation = simulation_from(record.inputs)
        except (FinancingError, KeyError, ValueError, ArithmeticError):
            simulation = None
    return {
        "financing": record,
        "simulation": simulation,
        "fields": FINANCING_FORM.fields(),
        "values": financing_form_values(record.inputs, record.remarks) if record is not None else {},
        "errors": {},
        "may_change": _may_change(),
    }


WORKS_SECTION = register_section(Section(
    key="works", label=_l("Works"), template="works/tab.html", context=works_context, order=60,
    applies=lambda dossier: dossier.type in WORKS_DOSSIER_TYPES,
))
FINANCING_SECTION = register_section(Section(
    key="financing", label=_l("Financing"), template="works/financing_tab.html", context=financing_context,
    order=70, applies=lambda dossier: dossier.type in FINANCING_DOSSIER_TYPES,
))
