"""Commands on dossiers."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.cases.models import Dossier, DossierType, NumberSequence
from engine.db import utcnow
from engine.workflow.runtime import WorkflowEngine

_PREFIX = {
    DossierType.INFORMATION: "INF",
    DossierType.REQUESTS_AND_LOANS: "REQ",
    DossierType.ADVICE: "ADV",
    DossierType.PROJECT_DESIGN: "PRJ",
    DossierType.EXECUTION: "EXE",
    DossierType.LOAN: "LOA",
    DossierType.PREMIUMS: "PRM",
}


def next_number(session: Session, dossier_type: DossierType) -> str:
    """Numbers like INF-2026-00042: per type and year, readable on the phone. The counter row is
    incremented with one UPDATE … RETURNING, so two dossiers opened at once never share a number
    (the second waits for the first transaction's row lock)."""
    year = utcnow().year
    name = f"{_PREFIX[dossier_type]}-{year}"
    increment = (
        update(NumberSequence)
        .where(NumberSequence.name == name)
        .values(value=NumberSequence.value + 1)
        .returning(NumberSequence.value)
    )
    value = session.scalar(increment)
    if value is None:
        try:
            with session.begin_nested():
                session.add(NumberSequence(name=name, value=1))
            value = 1
        except IntegrityError:  # created by a concurrent transaction meanwhile
            value = session.scalar(increment)
    return f"{name}-{value:05d}"


def open_dossier(
    session: Session,
    engine: WorkflowEngine,
    dossier_type: DossierType,
    title: str,
    *,
    user_id: int | None,
    description: str | None = None,
) -> Dossier:
    """Create a dossier and start its process in the same transaction."""
    dossier = Dossier(
        number=next_number(session, dossier_type),
        type=dossier_type.value,
        title=title.strip(),
        description=description,
        created_by_id=user_id,
    )
    session.add(dossier)
    session.flush()
    instance = engine.start(
        session,
        dossier_type.value,
        data={"dossier_id": dossier.id, "dossier_number": dossier.number, "title": dossier.title},
        subject=("dossier", dossier.id),
        user_id=user_id,
    )
    dossier.process_instance_id = instance.id
    dossier.process_instance = instance
    return dossier
