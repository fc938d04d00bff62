"""Managers confirm, refuse, promote, restrict and remove members; the last manager is kept."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.db import Database
from engine.notify import Notification
from engine.portal import members
from engine.portal.access import access_for, visible_building_ids
from engine.portal.errors import PortalRefused
from engine.portal.models import MemberRole, Membership, MemberStatus
from engine.workflow.errors import NotFound
from tests.portal_support import portal_world


def _membership(session, user, org) -> Membership:
    return session.scalar(select(Membership).where(Membership.user_id == user.id,
                                                   Membership.organisation_id == org.id))


def test_confirm_and_refuse_mail_the_member(db: Database) -> None:
    with db.transaction() as session:
        w = portal_world(session)
        pending = _membership(session, w.pending, w.org)
        with pytest.raises(PortalRefused, match="only a manager"):
            members.confirm_member(session, w.technical.id, w.org.id, pending.id)
        members.confirm_member(session, w.manager.id, w.org.id, pending.id)
        assert pending.status == MemberStatus.ACTIVE and access_for(session, w.pending.id, w.org.id) is not None
        mail = session.scalar(select(Notification).where(Notification.purpose == "member_confirmed"))
        assert mail is not None and mail.recipient == w.pending.email and "Syndic Dijle SRL" in mail.body
        with pytest.raises(PortalRefused, match="not awaiting"):
            members.refuse_member(session, w.manager.id, w.org.id, pending.id)


def test_refused_member_gets_nothing(db: Database) -> None:
    with db.transaction() as session:
        w = portal_world(session)
        pending = _membership(session, w.pending, w.org)
        members.refuse_member(session, w.manager.id, w.org.id, pending.id)
        assert pending.status == MemberStatus.REFUSED and access_for(session, w.pending.id, w.org.id) is None
        assert session.scalar(select(Notification).where(Notification.purpose == "member_refused")) is not None


def test_promotion_and_the_last_manager_is_kept(db: Database) -> None:
    with db.transaction() as session:
        w = portal_world(session)
        boss, tech = _membership(session, w.manager, w.org), _membership(session, w.technical, w.org)
        with pytest.raises(PortalRefused, match="last manager"):
            members.set_role(session, w.manager.id, w.org.id, boss.id, MemberRole.ADMINISTRATIVE)
        with pytest.raises(PortalRefused, match="last manager"):
            members.remove_member(session, w.manager.id, w.org.id, boss.id)
        members.promote(session, w.manager.id, w.org.id, tech.id)
        assert access_for(session, w.technical.id, w.org.id).is_manager
        members.set_role(session, w.technical.id, w.org.id, boss.id, MemberRole.TECHNICAL)
        assert boss.role == MemberRole.TECHNICAL
        with pytest.raises(PortalRefused, match="last manager"):
            members.remove_member(session, w.technical.id, w.org.id, tech.id)


def test_restriction_to_one_building_and_back(db: Database) -> None:
    with db.transaction() as session:
        w = portal_world(session)
        pending = _membership(session, w.pending, w.org)
        members.confirm_member(session, w.manager.id, w.org.id, pending.id)
        members.restrict_buildings(session, w.manager.id, w.org.id, pending.id, all_buildings=False,
                                   building_ids=[w.building_b.id])
        assert visible_building_ids(session, access_for(session, w.pending.id, w.org.id)) == {w.building_b.id}
        with pytest.raises(PortalRefused, match="only buildings of your organisation"):
            members.restrict_buildings(session, w.manager.id, w.org.id, pending.id, all_buildings=False,
                                       building_ids=[w.other_building.id])
        members.restrict_buildings(session, w.manager.id, w.org.id, pending.id, all_buildings=True)
        assert visible_building_ids(session, access_for(session, w.pending.id, w.org.id)) == {
            w.building_a.id, w.building_b.id}


def test_denied_functions_and_removal(db: Database) -> None:
    with db.transaction() as session:
        w = portal_world(session)
        tech = _membership(session, w.technical, w.org)
        members.set_denied_functions(session, w.manager.id, w.org.id, tech.id, ["wallet", "archives"])
        access = access_for(session, w.technical.id, w.org.id)
        assert not access.may("wallet") and access.may("consumption")
        with pytest.raises(PortalRefused, match="not a portal function"):
            members.set_denied_functions(session, w.manager.id, w.org.id, tech.id, ["everything"])
        members.remove_member(session, w.manager.id, w.org.id, tech.id)
        assert tech.status == MemberStatus.LEFT and access_for(session, w.technical.id, w.org.id) is None


def test_employee_info_by_the_member_or_a_manager_only(db: Database) -> None:
    with db.transaction() as session:
        w = portal_world(session)
        tech, boss = _membership(session, w.technical, w.org), _membership(session, w.manager, w.org)
        members.edit_employee_info(session, w.technical.id, w.org.id, tech.id, {"job_title": "Technician"})
        members.edit_employee_info(session, w.manager.id, w.org.id, tech.id, {"phone": "0470 00 00 00"})
        assert (tech.job_title, tech.phone) == ("Technician", "0470 00 00 00")
        with pytest.raises(PortalRefused, match="only a manager"):
            members.edit_employee_info(session, w.technical.id, w.org.id, boss.id, {"job_title": "Nobody"})
        assert boss.job_title is None


def test_a_member_of_another_organisation_is_not_found(db: Database) -> None:
    with db.transaction() as session:
        w = portal_world(session)
        foreign = _membership(session, w.outsider, w.other_org)
        with pytest.raises(NotFound):
            members.promote(session, w.manager.id, w.org.id, foreign.id)
        with pytest.raises(NotFound):
            members.edit_employee_info(session, w.manager.id, w.org.id, foreign.id, {"job_title": "x"})
