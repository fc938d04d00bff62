"""Reading dossiers for lists and pages."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from engine.cases.models import Dossier
from engine.workflow.models import ProcessInstance

PAGE_SIZE = 50


@dataclass(frozen=True)
class DossierFilters:
    search: str = ""
    type: str = ""
    subtype_id: int | None = None
    phase: str = ""
    status: str = ""
    include_inactive: bool = False

    def args(self) -> dict[str, object]:
        """The filters as query-string arguments (for the pager's links)."""
        values = {"q": self.search, "type": self.type, "subtype": self.subtype_id, "phase": self.phase,
                  "status": self.status, "inactive": 1 if self.include_inactive else None}
        return {key: value for key, value in values.items() if value}


@dataclass(frozen=True)
class DossierPage:
    dossiers: list[Dossier]
    page: int
    pages: int
    total: int
    filters: DossierFilters = field(default_factory=DossierFilters)


def dossier_page(session: Session, *, search: str = "", page: int = 1,
                 filters: DossierFilters | None = None) -> DossierPage:
    """Dossiers, newest first, filtered; deactivated dossiers only when asked."""
    filters = filters or DossierFilters(search=search)
    conditions = []
    if filters.search:
        conditions.append(or_(Dossier.number.icontains(filters.search, autoescape=True),
                              Dossier.title.icontains(filters.search, autoescape=True)))
    if not filters.include_inactive:
        conditions.append(Dossier.active.is_(True))
    if filters.type:
        conditions.append(Dossier.type == filters.type)
    if filters.subtype_id:
        conditions.append(Dossier.subtype_id == filters.subtype_id)
    if filters.phase or filters.status:
        instance = select(ProcessInstance.id)
        if filters.phase:
            instance = instance.where(ProcessInstance.phase == filters.phase)
        if filters.status:
            instance = instance.where(ProcessInstance.status == filters.status)
        conditions.append(Dossier.process_instance_id.in_(instance))
    total = session.scalar(select(func.count(Dossier.id)).where(*conditions)) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    dossiers = list(session.scalars(
        select(Dossier).where(*conditions)
        .options(selectinload(Dossier.process_instance), selectinload(Dossier.subtype))
        .order_by(Dossier.created_at.desc(), Dossier.id.desc())
        .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    ))
    return DossierPage(dossiers=dossiers, page=page, pages=pages, total=total, filters=filters)
