"""What managers do with the members of their organisation (seed 000 "gestion utilisateurs",
seed 002 employees): confirm or refuse people awaiting confirmation, set the role (manager,
administrative or technical responsible), restrict to some buildings and withhold functions,
remove. The last active manager is kept: an organisation without a manager could never confirm
anybody again. Employee information is edited by the member themself or by a manager."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from engine.access.models import User
from engine.db import utcnow
from engine.parties.models import Organisation
from engine.portal import mails
from engine.portal.audit import audit
from engine.portal.errors import PortalRefused
from engine.portal.models import (
    MemberRole,
    Membership,
    MembershipBuilding,
    MemberStatus,
    OrganisationBuilding,
    PortalFunction,
)
from engine.portal.organisations import count_active_managers, employee_fields
from engine.workflow.errors import NotFound


def manager_membership(session: Session, actor_id: int, organisation_id: int) -> Membership:
    """The actor's active manager membership, or PortalRefused."""
    membership = session.scalar(select(Membership).where(
        Membership.user_id == actor_id, Membership.organisation_id == organisation_id,
        Membership.status == MemberStatus.ACTIVE.value))
    if membership is None or membership.role != MemberRole.MANAGER:
        raise PortalRefused("not_manager", "only a manager of the organisation can do this")
    return membership


def member_of(session: Session, organisation_id: int, membership_id: int) -> Membership:
    """The membership when it belongs to this organisation; NotFound otherwise (the same answer
    whether it exists elsewhere or not)."""
    membership = session.get(Membership, membership_id)
    if membership is None or membership.organisation_id != organisation_id:
        raise NotFound(f"no member {membership_id}")
    return membership


def members_of(session: Session, organisation_id: int) -> list[tuple[Membership, User]]:
    rows = session.execute(
        select(Membership, User).join(User, User.id == Membership.user_id)
        .where(Membership.organisation_id == organisation_id,
               Membership.status.in_([MemberStatus.ACTIVE.value, MemberStatus.PENDING.value]))
        .order_by(Membership.status.desc(), User.last_name, User.first_name, Membership.id))
    return [(m, u) for m, u in rows]


def building_ids_of(session: Session, membership_id: int) -> set[int]:
    return set(session.scalars(select(MembershipBuilding.building_id)
                               .where(MembershipBuilding.membership_id == membership_id)))


def _target(session: Session, actor_id: int, organisation_id: int, membership_id: int) -> Membership:
    manager_membership(session, actor_id, organisation_id)
    return member_of(session, organisation_id, membership_id)


def _keep_a_manager(session: Session, membership: Membership, action: str) -> None:
    if (membership.role == MemberRole.MANAGER and membership.status == MemberStatus.ACTIVE
            and count_active_managers(session, membership.organisation_id) <= 1):
        raise PortalRefused("last_manager", f"cannot {action} the last manager: promote another member to "
                                            "manager first, so the organisation keeps someone who confirms members")


def _decide(session: Session, actor_id: int, organisation_id: int, membership_id: int, confirm: bool) -> Membership:
    membership = _target(session, actor_id, organisation_id, membership_id)
    if membership.status != MemberStatus.PENDING:
        raise PortalRefused("not_pending", "this member is not awaiting confirmation")
    membership.status = (MemberStatus.ACTIVE if confirm else MemberStatus.REFUSED).value
    membership.decided_at, membership.decided_by_id = utcnow(), actor_id
    audit(session, "membership", membership.id, "member_confirmed" if confirm else "member_refused", actor_id,
          organisation_id=organisation_id)
    person = session.get(User, membership.user_id)
    organisation = session.get(Organisation, organisation_id)
    if person is not None and organisation is not None:
        mails.send(session, "member_confirmed" if confirm else "member_refused", person, organisation=organisation.name)
    return membership


def confirm_member(session: Session, actor_id: int, organisation_id: int, membership_id: int) -> Membership:
    return _decide(session, actor_id, organisation_id, membership_id, True)


def refuse_member(session: Session, actor_id: int, organisation_id: int, membership_id: int) -> Membership:
    return _decide(session, actor_id, organisation_id, membership_id, False)


def _active(membership: Membership) -> None:
    if membership.status != MemberStatus.ACTIVE:
        raise PortalRefused("not_active", "confirm the member first")


def set_role(session: Session, actor_id: int, organisation_id: int, membership_id: int,
             role: MemberRole | str) -> Membership:
    """Promote to manager, or make an administrative or technical responsible."""
    try:
        new_role = MemberRole(role)
    except ValueError:
        raise PortalRefused("unknown_role",
                            f"{role!r} is not a role: choose manager, administrative or technical") from None
    membership = _target(session, actor_id, organisation_id, membership_id)
    _active(membership)
    if membership.role == new_role:
        return membership
    if new_role != MemberRole.MANAGER:
        _keep_a_manager(session, membership, "demote")
    old = membership.role
    membership.role = new_role.value
    audit(session, "membership", membership.id, "role_changed", actor_id, old=old, new=new_role.value)
    return membership


def promote(session: Session, actor_id: int, organisation_id: int, membership_id: int) -> Membership:
    return set_role(session, actor_id, organisation_id, membership_id, MemberRole.MANAGER)


def restrict_buildings(session: Session, actor_id: int, organisation_id: int, membership_id: int, *,
                       all_buildings: bool, building_ids: Iterable[int] = ()) -> Membership:
    """All the organisation's buildings, or only those listed (each must be granted to the
    organisation). A manager always sees everything, so a manager is not restricted."""
    membership = _target(session, actor_id, organisation_id, membership_id)
    wanted = {int(b) for b in building_ids}
    if not all_buildings:
        if membership.role == MemberRole.MANAGER:
            raise PortalRefused("manager_unrestricted", "a manager sees every building: change the role first")
        if not wanted:
            raise PortalRefused("no_building", "choose at least one building, or all buildings")
        granted = set(session.scalars(select(OrganisationBuilding.building_id).where(
            OrganisationBuilding.organisation_id == organisation_id, OrganisationBuilding.revoked_at.is_(None))))
        if wanted - granted:
            raise PortalRefused("foreign_building", "only buildings of your organisation can be chosen")
    session.execute(delete(MembershipBuilding).where(MembershipBuilding.membership_id == membership.id))
    membership.all_buildings = all_buildings
    if not all_buildings:
        session.add_all(MembershipBuilding(membership_id=membership.id, building_id=b) for b in sorted(wanted))
    session.flush()
    audit(session, "membership", membership.id, "buildings_restricted", actor_id, all_buildings=all_buildings,
          building_ids=sorted(wanted) if not all_buildings else [])
    return membership


def set_denied_functions(session: Session, actor_id: int, organisation_id: int, membership_id: int,
                         functions: Iterable[str]) -> Membership:
    membership = _target(session, actor_id, organisation_id, membership_id)
    denied: list[str] = []
    for name in functions:
        try:
            denied.append(PortalFunction(name).value)
        except ValueError:
            raise PortalRefused("unknown_function", f"{name!r} is not a portal function") from None
    if membership.role == MemberRole.MANAGER and denied:
        raise PortalRefused("manager_unrestricted", "a manager may use every function: change the role first")
    membership.denied_functions = sorted(set(denied))
    audit(session, "membership", membership.id, "functions_denied", actor_id, denied=membership.denied_functions)
    return membership


def remove_member(session: Session, actor_id: int, organisation_id: int, membership_id: int) -> Membership:
    membership = _target(session, actor_id, organisation_id, membership_id)
    _active(membership)
    _keep_a_manager(session, membership, "remove")
    membership.status = MemberStatus.LEFT.value
    membership.decided_at, membership.decided_by_id = utcnow(), actor_id
    session.execute(delete(MembershipBuilding).where(MembershipBuilding.membership_id == membership.id))
    audit(session, "membership", membership.id, "member_removed", actor_id, organisation_id=organisation_id)
    return membership


def edit_employee_info(session: Session, actor_id: int, organisation_id: int, membership_id: int,
                       info: Mapping[str, Any]) -> Membership:
    """Job title, contact e-mail and phone: the member themself or a manager."""
    membership = member_of(session, organisation_id, membership_id)
    if membership.user_id != actor_id:
        manager_membership(session, actor_id, organisation_id)
    changed = {}
    for name, value in employee_fields(info).items():
        if getattr(membership, name) != value:
            changed[name] = value
            setattr(membership, name, value)
    if changed:
        audit(session, "membership", membership.id, "employee_info_edited", actor_id, changed=changed)
    return membership
