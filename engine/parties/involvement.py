"""Who is involved in a dossier, in which role, and which one is the main contact.

Rule: while a dossier has involved parties, exactly one of them is the main contact. The first
party added becomes it; choosing another moves the mark; removing the main contact hands the mark
to the party added earliest. The database allows at most one (a partial unique index). The
changes are written to the dossier's trail (subject_type ``dossier``)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.cases.models import Dossier
from engine.parties.commands import audit
from engine.parties.errors import InvolvementRefused
from engine.parties.models import Contact, InvolvedParty, Organisation, PartyRole
from engine.workflow.errors import NotFound


def _describe(involvement: InvolvedParty) -> dict[str, object]:
    party = involvement.party
    return {"party": "contact" if involvement.contact_id else "organisation", "party_id": party.id,
            "name": party.name, "role": involvement.role}


def add_party(session: Session, dossier_id: int, role: str, actor_id: int | None, *,
              contact_id: int | None = None, organisation_id: int | None = None,
              main: bool = False) -> InvolvedParty:
    if (contact_id is None) == (organisation_id is None):
        raise InvolvementRefused("no_party")
    if role not in {r.value for r in PartyRole}:
        raise InvolvementRefused("unknown_role")
    if session.get(Dossier, dossier_id) is None:
        raise NotFound(f"no dossier {dossier_id}")
    party = session.get(Contact, contact_id) if contact_id is not None else session.get(Organisation, organisation_id)
    if party is None:
        raise NotFound("no such contact or organisation")
    if not party.active:
        raise InvolvementRefused("inactive")
    column = InvolvedParty.contact_id if contact_id is not None else InvolvedParty.organisation_id
    if session.scalar(select(InvolvedParty.id).where(
            InvolvedParty.dossier_id == dossier_id, InvolvedParty.role == role, column == party.id)):
        raise InvolvementRefused("already")
    current_main = _main_of(session, dossier_id)
    involvement = InvolvedParty(dossier_id=dossier_id, contact_id=contact_id, organisation_id=organisation_id,
                                role=role, is_main=False, created_by_id=actor_id)
    session.add(involvement)
    session.flush()
    if current_main is None or main:
        _make_main(session, involvement, current_main)
    audit(session, "dossier", dossier_id, "party_added", actor_id, main=involvement.is_main, **_describe(involvement))
    return involvement


def _main_of(session: Session, dossier_id: int) -> InvolvedParty | None:
    return session.scalar(select(InvolvedParty).where(InvolvedParty.dossier_id == dossier_id,
                                                      InvolvedParty.is_main.is_(True)))


def _make_main(session: Session, involvement: InvolvedParty, current: InvolvedParty | None) -> None:
    if current is not None and current.id != involvement.id:
        current.is_main = False
        session.flush()  # the partial unique index allows one main at a time
    involvement.is_main = True
    session.flush()


def _involvement(session: Session, involvement_id: int, dossier_id: int | None) -> InvolvedParty:
    involvement = session.get(InvolvedParty, involvement_id)
    if involvement is None or (dossier_id is not None and involvement.dossier_id != dossier_id):
        raise NotFound(f"no involved party {involvement_id}")
    return involvement


def set_main(session: Session, involvement_id: int, actor_id: int | None,
             dossier_id: int | None = None) -> InvolvedParty:
    involvement = _involvement(session, involvement_id, dossier_id)
    if not involvement.is_main:
        _make_main(session, involvement, _main_of(session, involvement.dossier_id))
        audit(session, "dossier", involvement.dossier_id, "main_contact_set", actor_id, **_describe(involvement))
    return involvement


def remove_party(session: Session, involvement_id: int, actor_id: int | None,
                 dossier_id: int | None = None) -> None:
    involvement = _involvement(session, involvement_id, dossier_id)
    detail = _describe(involvement)
    was_main, dossier = involvement.is_main, involvement.dossier_id
    session.delete(involvement)
    session.flush()
    audit(session, "dossier", dossier, "party_removed", actor_id, **detail)
    if was_main:
        successor = session.scalar(select(InvolvedParty).where(InvolvedParty.dossier_id == dossier)
                                   .order_by(InvolvedParty.created_at, InvolvedParty.id).limit(1))
        if successor is not None:
            _make_main(session, successor, None)
            audit(session, "dossier", dossier, "main_contact_set", actor_id, **_describe(successor))
