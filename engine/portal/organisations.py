"""Organisations on the portal (seed 002): an account enters an enterprise number; the web app
checks it and looks it up in the BCE, then :func:`add_organisation` either creates the
organisation (or takes over the CRM row with that number) and makes the account its manager, or,
when the organisation already has a manager, adds the account as a member awaiting
confirmation and mails every manager. The enterprise number is the organisation's identity: it
is never edited here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.access.models import User
from engine.db import utcnow
from engine.parties.models import Organisation, OrganisationKind
from engine.portal import mails
from engine.portal.audit import audit
from engine.portal.errors import PortalRefused
from engine.portal.models import MemberRole, Membership, MemberStatus
from engine.workflow.errors import NotFound

BCE_FIELDS = ("name", "legal_form", "street", "house_number", "box", "postcode", "municipality")
EDITABLE_FIELDS = ("name", "email", "phone", "street", "house_number", "box", "postcode", "municipality")
EMPLOYEE_FIELDS = {"job_title": 100, "contact_email": 254, "phone": 50}
CO_OWNERSHIP_FORMS = ("vereniging van mede-eigenaars", "association des copropriétaires")


@dataclass(frozen=True)
class Added:
    membership: Membership
    organisation: Organisation
    created: bool  # True: the account became the manager; False: it waits for confirmation


def employee_fields(info: Mapping[str, Any]) -> dict[str, str | None]:
    """The employee information kept on a membership: trimmed, empty as None, cut to the column."""
    values: dict[str, str | None] = {}
    for name, size in EMPLOYEE_FIELDS.items():
        if name in info:
            text = str(info[name] or "").strip()
            values[name] = text[:size] or None
    return values


def active_managers(session: Session, organisation_id: int) -> list[Membership]:
    return list(session.scalars(select(Membership).where(
        Membership.organisation_id == organisation_id, Membership.role == MemberRole.MANAGER.value,
        Membership.status == MemberStatus.ACTIVE.value).order_by(Membership.id)))


def count_active_managers(session: Session, organisation_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Membership).where(
        Membership.organisation_id == organisation_id, Membership.role == MemberRole.MANAGER.value,
        Membership.status == MemberStatus.ACTIVE.value)) or 0


def memberships_of(session: Session, user_id: int) -> list[tuple[Membership, Organisation]]:
    """Every organisation the account asked to join or belongs to (left ones excluded)."""
    rows = session.execute(
        select(Membership, Organisation).join(Organisation, Organisation.id == Membership.organisation_id)
        .where(Membership.user_id == user_id, Membership.status != MemberStatus.LEFT.value)
        .order_by(Organisation.name, Organisation.id))
    return [(m, o) for m, o in rows]


def add_organisation(session: Session, user_id: int, record_fields: Mapping[str, Any],
                     employee_info: Mapping[str, Any]) -> Added:
    """Create-or-join by enterprise number. ``record_fields`` is the BCE record of the number
    (``enterprise_number`` as 10 digits, ``name``, address...), already looked up by the caller."""
    number = str(record_fields.get("enterprise_number") or "")
    if len(number) != 10 or not number.isdigit():
        raise PortalRefused("no_number", "the BCE record has no enterprise number: look the number up first")
    user = session.get(User, user_id)
    if user is None or not user.is_portal:
        raise NotFound(f"no portal account {user_id}")
    organisation = session.scalar(select(Organisation).where(Organisation.enterprise_number == number)
                                  .with_for_update())
    membership = None
    if organisation is not None:
        membership = session.scalar(select(Membership).where(
            Membership.organisation_id == organisation.id, Membership.user_id == user_id))
        if membership is not None and membership.status in (MemberStatus.ACTIVE, MemberStatus.PENDING):
            raise PortalRefused("already_member", f"you are already a member of {organisation.name}"
                                + (" (awaiting confirmation)" if membership.status == MemberStatus.PENDING else ""))
    created = organisation is None or count_active_managers(session, organisation.id) == 0
    if organisation is None:
        organisation = Organisation(enterprise_number=number, created_by_id=user_id,
                                    name=str(record_fields.get("name") or number))
        session.add(organisation)
    if created:
        for name in BCE_FIELDS:  # fill from the BCE what the CRM row does not know yet
            if record_fields.get(name) and not getattr(organisation, name):
                setattr(organisation, name, record_fields[name])
        legal_form = (organisation.legal_form or "").lower()
        if organisation.kind in (None, OrganisationKind.OTHER.value):
            organisation.kind = (OrganisationKind.CO_OWNERSHIP_ASSOCIATION.value
                                 if any(f in legal_form for f in CO_OWNERSHIP_FORMS) else OrganisationKind.SYNDIC.value)
    session.flush()
    if membership is None:
        membership = Membership(organisation_id=organisation.id, user_id=user_id)
        session.add(membership)
    membership.role = MemberRole.MANAGER.value if created else MemberRole.ADMINISTRATIVE.value
    membership.status = MemberStatus.ACTIVE.value if created else MemberStatus.PENDING.value
    membership.all_buildings, membership.denied_functions = True, []
    membership.decided_at = utcnow() if created else None
    membership.decided_by_id = None
    for name, value in employee_fields(employee_info).items():
        setattr(membership, name, value)
    session.flush()
    audit(session, "membership", membership.id, "organisation_created" if created else "join_requested", user_id,
          organisation_id=organisation.id, enterprise_number=number)
    if not created:
        for manager in active_managers(session, organisation.id):
            recipient = session.get(User, manager.user_id)
            if recipient is not None:
                mails.send(session, "member_requested", recipient, organisation=organisation.name, person=user)
    return Added(membership=membership, organisation=organisation, created=created)


def edit_organisation(session: Session, actor_id: int, organisation_id: int, fields: Mapping[str, Any]) -> Organisation:
    """Managers edit the organisation's name, e-mail, phone and address (not its number)."""
    from engine.portal.members import manager_membership

    manager_membership(session, actor_id, organisation_id)
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound(f"no organisation {organisation_id}")
    if "enterprise_number" in fields and fields["enterprise_number"] not in (None, "", organisation.enterprise_number):
        raise PortalRefused("number_fixed",
                            "the enterprise number cannot be changed: add the other organisation instead")
    changed: dict[str, Any] = {}
    for name in EDITABLE_FIELDS:
        if name not in fields:
            continue
        value = str(fields[name] or "").strip() or None
        if name == "name" and not value:
            raise PortalRefused("name_required", "the organisation needs a name")
        if getattr(organisation, name) != value:
            changed[name] = value
            setattr(organisation, name, value)
    if changed:
        audit(session, "organisation", organisation.id, "organisation_edited", actor_id, changed=changed)
    return organisation
