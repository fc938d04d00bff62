"""The "Journey" tab of a dossier page (seed 001 §2.1, §3.1.3): every dossier of the customer
journey, by stage, with its type, subtype, phase and status, and the follow-up action."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from engine.cases.journeys import journey_by_stage
from engine.cases.models import Dossier
from webapp.dossiers.sections import Section, register_section


def _context(session: Session, dossier: Dossier) -> dict[str, Any]:
    root = dossier if dossier.journey_id is None else session.get(Dossier, dossier.journey_id)
    return {"journey_root": root, "journey_stages": journey_by_stage(session, dossier)}


register_section(Section(key="journey", label=_l("Journey"), template="dossiers/_journey.html",
                         context=_context, order=20))
