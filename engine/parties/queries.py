"""Reading parties: searches for the lists, a dossier's parties (its own and its journey's), and
the dossiers a contact or organisation is involved in (directly or through a journey)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from engine.cases.models import Dossier
from engine.parties.enterprise_number import compact
from engine.parties.models import Contact, InvolvedParty, Organisation

LIST_LIMIT = 100


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_contacts(session: Session, q: str = "", *, include_inactive: bool = False,
                    limit: int = LIST_LIMIT) -> list[Contact]:
    query = select(Contact)
    if not include_inactive:
        query = query.where(Contact.active.is_(True))
    for word in q.split():
        pattern = _like(word)
        query = query.where(or_(
            func.lower(Contact.first_name).like(pattern, escape="\\"),
            func.lower(Contact.last_name).like(pattern, escape="\\"),
            func.lower(Contact.email).like(pattern, escape="\\"),
            Contact.phone.like(pattern, escape="\\"),
        ))
    return list(session.scalars(query.order_by(Contact.last_name, Contact.first_name, Contact.id).limit(limit)))


def search_organisations(session: Session, q: str = "", *, include_inactive: bool = False,
                         limit: int = LIST_LIMIT) -> list[Organisation]:
    query = select(Organisation)
    if not include_inactive:
        query = query.where(Organisation.active.is_(True))
    for word in q.split():
        number = compact(word)
        conditions = [func.lower(Organisation.name).like(_like(word), escape="\\"),
                      func.lower(Organisation.municipality).like(_like(word), escape="\\")]
        if number.isdigit() and len(number) >= 4:
            conditions.append(Organisation.enterprise_number.like(f"%{number}%"))
        query = query.where(or_(*conditions))
    return list(session.scalars(query.order_by(Organisation.name, Organisation.id).limit(limit)))


@dataclass
class DossierParties:
    own: list[InvolvedParty]
    journey: list[InvolvedParty]  # the parties of the journey's first dossier (empty for a first dossier)
    journey_root: Dossier | None

    @property
    def main(self) -> InvolvedParty | None:
        """The dossier's own main contact, else the journey's."""
        return next((p for p in self.own if p.is_main), None) or next((p for p in self.journey if p.is_main), None)


def _involvements(session: Session, dossier_id: int) -> list[InvolvedParty]:
    return list(session.scalars(
        select(InvolvedParty).where(InvolvedParty.dossier_id == dossier_id)
        .options(selectinload(InvolvedParty.contact).selectinload(Contact.address),
                 selectinload(InvolvedParty.organisation))
        .order_by(InvolvedParty.is_main.desc(), InvolvedParty.created_at, InvolvedParty.id)
    ))


def parties_of_dossier(session: Session, dossier: Dossier) -> DossierParties:
    root_id = dossier.journey_root_id
    if root_id == dossier.id:
        return DossierParties(_involvements(session, dossier.id), [], None)
    return DossierParties(_involvements(session, dossier.id), _involvements(session, root_id),
                          session.get(Dossier, root_id))


@dataclass
class PartyDossier:
    dossier: Dossier
    roles: list[str] = field(default_factory=list)
    via: Dossier | None = None  # the journey's first dossier, when involved through the journey


def dossiers_of_party(session: Session, *, contact_id: int | None = None,
                      organisation_id: int | None = None) -> list[PartyDossier]:
    column = InvolvedParty.contact_id if contact_id is not None else InvolvedParty.organisation_id
    party_id = contact_id if contact_id is not None else organisation_id
    rows = session.execute(
        select(Dossier, InvolvedParty.role).join(InvolvedParty, InvolvedParty.dossier_id == Dossier.id)
        .where(column == party_id).order_by(Dossier.created_at.desc(), Dossier.id.desc())
    ).all()
    out: dict[int, PartyDossier] = {}
    for dossier, role in rows:
        out.setdefault(dossier.id, PartyDossier(dossier)).roles.append(role)
    roots = {d.dossier.id: d.dossier for d in out.values() if d.dossier.journey_id is None}
    if roots:
        for follow_up in session.scalars(select(Dossier).where(Dossier.journey_id.in_(roots))
                                         .order_by(Dossier.created_at, Dossier.id)):
            if follow_up.id not in out:
                out[follow_up.id] = PartyDossier(follow_up, list(out[follow_up.journey_id].roles),
                                                 roots[follow_up.journey_id])
    return list(out.values())
