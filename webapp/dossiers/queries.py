"""Reading dossiers for lists and pages."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from engine.cases.models import Dossier

PAGE_SIZE = 50


@dataclass(frozen=True)
class DossierPage:
    dossiers: list[Dossier]
    page: int
    pages: int
    total: int


def dossier_page(session: Session, *, search: str = "", page: int = 1) -> DossierPage:
    """Dossiers, newest first, optionally those whose number or title contains ``search``."""
    conditions = []
    if search:
        conditions.append(or_(Dossier.number.icontains(search, autoescape=True),
                              Dossier.title.icontains(search, autoescape=True)))
    total = session.scalar(select(func.count(Dossier.id)).where(*conditions)) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    dossiers = list(session.scalars(
        select(Dossier).where(*conditions)
        .options(selectinload(Dossier.process_instance))
        .order_by(Dossier.created_at.desc(), Dossier.id.desc())
        .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    ))
    return DossierPage(dossiers=dossiers, page=page, pages=pages, total=total)
