"""What one member of one organisation may see and do: the single answer every portal route
and query asks. A member sees the buildings granted to the organisation (not revoked), narrowed
to their own list when a manager restricted them; a manager sees and may do everything in the
organisation. A pending, refused or former member gets no access at all."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from engine.metering.models import Building
from engine.portal.models import (
    MemberRole,
    Membership,
    MembershipBuilding,
    MemberStatus,
    OrganisationBuilding,
    PortalFunction,
)
from engine.workflow.errors import NotFound


@dataclass(frozen=True)
class PortalAccess:
    user_id: int
    organisation_id: int
    membership_id: int
    role: MemberRole
    all_buildings: bool
    denied: frozenset[str]

    @property
    def is_manager(self) -> bool:
        return self.role == MemberRole.MANAGER

    def may(self, function: PortalFunction | str) -> bool:
        return self.is_manager or str(function) not in self.denied


def access_for(session: Session, user_id: int, organisation_id: int) -> PortalAccess | None:
    """The access of an *active* member, or None (not a member, awaiting confirmation, refused, left)."""
    membership = session.scalar(select(Membership).where(
        Membership.user_id == user_id, Membership.organisation_id == organisation_id,
        Membership.status == MemberStatus.ACTIVE.value))
    if membership is None:
        return None
    role = MemberRole(membership.role)
    return PortalAccess(
        user_id=user_id, organisation_id=organisation_id, membership_id=membership.id, role=role,
        all_buildings=role == MemberRole.MANAGER or membership.all_buildings,
        denied=frozenset() if role == MemberRole.MANAGER else frozenset(membership.denied_functions or ()),
    )


def visible_buildings_query(access: PortalAccess) -> Select[tuple[Building]]:
    """SELECT of the buildings ``access`` may see, for lists to filter, order and page further."""
    query = (select(Building)
             .join(OrganisationBuilding, OrganisationBuilding.building_id == Building.id)
             .where(OrganisationBuilding.organisation_id == access.organisation_id,
                    OrganisationBuilding.revoked_at.is_(None), Building.active.is_(True)))
    if not access.all_buildings:
        query = query.join(MembershipBuilding, (MembershipBuilding.building_id == Building.id)
                           & (MembershipBuilding.membership_id == access.membership_id))
    return query


def visible_building_ids(session: Session, access: PortalAccess) -> set[int]:
    return set(session.scalars(visible_buildings_query(access).with_only_columns(Building.id)))


def building_for(session: Session, access: PortalAccess, building_id: int) -> Building:
    """The building when ``access`` may see it; NotFound otherwise, the same answer whether the
    building exists or not, so nobody learns about buildings that are not theirs."""
    building = session.scalar(visible_buildings_query(access).where(Building.id == building_id))
    if building is None:
        raise NotFound(f"no building {building_id}")
    return building
