"""Customer journeys (seed 001 §2.1, §3.1.3): the first dossier of a journey is its locomotive;
follow-up dossiers of other types are its wagons (``Dossier.journey_id`` = the first dossier's
id). Contacts, site address and files of the journey are attached to the first dossier
(``Dossier.journey_root_id``), so every dossier of the journey shares them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from engine.cases.models import Dossier, DossierType, JourneyStage

# The stage of the journey a dossier belongs to when its subtype names none (seed 001 §5.3).
TYPE_STAGE: dict[str, str] = {
    DossierType.INFORMATION: JourneyStage.INFORMATION,
    DossierType.REQUESTS_AND_LOANS: JourneyStage.INFORMATION,
    DossierType.ADVICE: JourneyStage.ADVICE,
    DossierType.PROJECT_DESIGN: JourneyStage.PROJECT_DESIGN,
    DossierType.LOAN: JourneyStage.PROJECT_DESIGN,
    DossierType.EXECUTION: JourneyStage.EXECUTION,
    DossierType.PREMIUMS: JourneyStage.FOLLOW_UP,
}


def stage_of(dossier: Dossier) -> str:
    if dossier.subtype is not None and dossier.subtype.journey_stage:
        return dossier.subtype.journey_stage
    return TYPE_STAGE.get(dossier.type, JourneyStage.INFORMATION)


@dataclass(frozen=True)
class JourneyStageGroup:
    stage: str
    dossiers: list[Dossier]


def journey_dossiers(session: Session, dossier: Dossier) -> list[Dossier]:
    """Every dossier of the journey ``dossier`` belongs to, the first one first (by index on
    journey_id; deactivated ones included)."""
    root_id = dossier.journey_root_id
    return list(session.scalars(
        select(Dossier).where(or_(Dossier.id == root_id, Dossier.journey_id == root_id))
        .options(selectinload(Dossier.process_instance), selectinload(Dossier.subtype))
        .order_by(Dossier.created_at, Dossier.id)
    ))


def journey_by_stage(session: Session, dossier: Dossier) -> list[JourneyStageGroup]:
    """The journey's dossiers grouped by stage, in the order of the stages (§5.3)."""
    dossiers = journey_dossiers(session, dossier)
    return [
        JourneyStageGroup(stage.value, [d for d in dossiers if stage_of(d) == stage.value])
        for stage in JourneyStage
        if any(stage_of(d) == stage.value for d in dossiers)
    ]
