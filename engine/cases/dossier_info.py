"""The general information of a dossier (seed 001 §3.2, tab "Infos dossier"): the source of the
request, how the offer was presented to the citizen, the main project and the additional
projects. Mostly kept for reporting; every value comes from a code list (the words people see
are in forms/dossier_info.py).

The additional projects are a JSON list on the dossier rather than a link table: the projects
are a fixed code list (no table to point to), a dossier has a handful of them at most, they are
always read and written together with the dossier, and reports can still filter on them with
the database's JSON operators (``jsonb ?`` on PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy.orm import Session

from engine.cases.models import Dossier
from engine.db import utcnow
from engine.workflow.errors import InvalidState, NotFound
from engine.workflow.models import AuditEvent

# How the offer of the one-stop shop reached the citizen (the seed names the field, not its
# values: these are the channels the campaigns of seed 001 use).
OFFER_PRESENTATIONS: tuple[str, ...] = (
    "information_session",
    "letter",
    "city_magazine",
    "website",
    "social_media",
    "press",
    "event",
    "door_to_door",
    "word_of_mouth",
    "partner_referral",
    "other",
)

# The projects a dossier is recorded under (seed 001 §3.1.2, §5.4.2: "Projet principal :
# Rénovation du quartier Arsenaal", "Projet supplémentaire : CONDORENO").
PROJECTS: tuple[str, ...] = (
    "arsenaal_renovation",
    "condoreno",
    "fosster",
    "renovation_master_plan",
    "collective_renovation",
    "neighbourhood_renovation",
    "climate_adaptation",
    "other",
)

INFO_FIELDS: tuple[str, ...] = ("source", "offer_presentation", "main_project", "additional_projects")


class DossierInfoRefused(InvalidState):
    """The dossier information breaks a rule; ``field`` names the field at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def clean_info(offer_presentation: str | None, main_project: str | None,
               additional_projects: Iterable[str] | None) -> tuple[str | None, str | None, list[str]]:
    """The values as stored: empty means none, additional projects without repeats in the order
    given. Unknown codes, additional projects without a main project and the main project among
    the additional ones are refused (:class:`DossierInfoRefused`)."""
    offer_presentation = offer_presentation or None
    main_project = main_project or None
    if offer_presentation is not None and offer_presentation not in OFFER_PRESENTATIONS:
        raise DossierInfoRefused("offer_presentation", f"Unknown offer presentation {offer_presentation!r}.")
    if main_project is not None and main_project not in PROJECTS:
        raise DossierInfoRefused("main_project", f"Unknown project {main_project!r}.")
    additional: list[str] = []
    for code in additional_projects or ():
        if code not in PROJECTS:
            raise DossierInfoRefused("additional_projects", f"Unknown project {code!r}.")
        if code not in additional:
            additional.append(code)
    if additional and main_project is None:
        raise DossierInfoRefused("additional_projects", "Choose the main project before additional projects.")
    if main_project is not None and main_project in additional:
        raise DossierInfoRefused("additional_projects", "The main project cannot also be an additional project.")
    return offer_presentation, main_project, additional


def change_dossier_info(session: Session, dossier_id: int, *, source: str | None, offer_presentation: str | None,
                        main_project: str | None, additional_projects: Sequence[str] | None,
                        user_id: int | None) -> dict[str, list[Any]]:
    """Set the four general fields of a dossier (``None`` or empty clears one). Returns the changes
    as {field: [old, new]}, audited as ``dossier_info_changed``; nothing is written when nothing
    changed. The caller checks the source against its code list."""
    dossier = session.get(Dossier, dossier_id)
    if dossier is None:
        raise NotFound(f"Dossier {dossier_id} does not exist.")
    offer_presentation, main_project, additional = clean_info(offer_presentation, main_project,
                                                              additional_projects)
    new: dict[str, Any] = {"source": source or None, "offer_presentation": offer_presentation,
                           "main_project": main_project, "additional_projects": additional}
    changes: dict[str, list[Any]] = {}
    for name in INFO_FIELDS:
        old = getattr(dossier, name)
        if name == "additional_projects":
            old = list(old or [])
        if old != new[name]:
            changes[name] = [old, new[name]]
            setattr(dossier, name, new[name])
    if changes:
        session.add(AuditEvent(instance_id=dossier.process_instance_id, subject_type="dossier",
                               subject_id=dossier.id, actor_id=user_id, kind="dossier_info_changed",
                               detail={"changes": changes}, at=utcnow()))
    return changes


__all__ = ["INFO_FIELDS", "OFFER_PRESENTATIONS", "PROJECTS", "DossierInfoRefused", "change_dossier_info",
           "clean_info"]
