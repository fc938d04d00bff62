"""The portal access policy: which buildings a member sees and which functions they may use."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from engine.db import Database, utcnow
from engine.portal.access import access_for, building_for, visible_building_ids
from engine.portal.models import MemberRole, Membership, MemberStatus, OrganisationBuilding, PortalFunction
from engine.workflow.errors import NotFound
from tests.portal_support import portal_world


def test_a_manager_sees_every_building_of_the_organisation_and_nothing_else(db: Database) -> None:
    with db.transaction() as session:
        world = portal_world(session)
        access = access_for(session, world.manager.id, world.org.id)
        assert access is not None and access.is_manager
        assert visible_building_ids(session, access) == {world.building_a.id, world.building_b.id}
        with pytest.raises(NotFound):
            building_for(session, access, world.other_building.id)


def test_a_restricted_member_sees_only_the_buildings_granted_to_them(db: Database) -> None:
    with db.transaction() as session:
        world = portal_world(session)
        access = access_for(session, world.technical.id, world.org.id)
        assert access is not None and access.role == MemberRole.TECHNICAL
        assert visible_building_ids(session, access) == {world.building_a.id}
        assert building_for(session, access, world.building_a.id).id == world.building_a.id
        with pytest.raises(NotFound):
            building_for(session, access, world.building_b.id)


def test_pending_members_and_outsiders_have_no_access(db: Database) -> None:
    with db.transaction() as session:
        world = portal_world(session)
        assert access_for(session, world.pending.id, world.org.id) is None
        assert access_for(session, world.outsider.id, world.org.id) is None
        session.execute(update(Membership).where(Membership.user_id == world.technical.id)
                        .values(status=MemberStatus.LEFT.value))
        assert access_for(session, world.technical.id, world.org.id) is None


def test_a_revoked_building_disappears_even_for_the_manager(db: Database) -> None:
    with db.transaction() as session:
        world = portal_world(session)
        session.execute(update(OrganisationBuilding).where(OrganisationBuilding.building_id == world.building_b.id)
                        .values(revoked_at=utcnow()))
        access = access_for(session, world.manager.id, world.org.id)
        assert access is not None
        assert visible_building_ids(session, access) == {world.building_a.id}


def test_denied_functions_bind_members_but_never_the_manager(db: Database) -> None:
    with db.transaction() as session:
        world = portal_world(session)
        for user in (world.technical, world.manager):
            session.execute(update(Membership).where(Membership.user_id == user.id)
                            .values(denied_functions=[PortalFunction.WALLET.value]))
        technical = access_for(session, world.technical.id, world.org.id)
        manager = access_for(session, world.manager.id, world.org.id)
        assert technical is not None and manager is not None
        assert not technical.may(PortalFunction.WALLET)
        assert technical.may(PortalFunction.CONSUMPTION)
        assert manager.may(PortalFunction.WALLET)
