"""Tools enabled per organisation and granted per member; accreditations recorded by an agent."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from engine.db import Database
from engine.portal import tools
from engine.portal.access import access_for
from engine.portal.errors import PortalRefused
from engine.portal.models import Membership
from tests.portal_support import portal_world


def test_ensure_tools_is_idempotent(db: Database) -> None:
    with db.transaction() as session:
        tools.ensure_tools(session)
        tools.ensure_tools(session)
        assert session.scalar(select(func.count()).select_from(tools.Tool)) == 2
        assert tools.tool_by_code(session, "syndic_filing").required_accreditations == ["ipi_member"]


def test_problems_are_listed_then_cleared(db: Database) -> None:
    with db.transaction() as session:
        w = portal_world(session)
        tools.ensure_tools(session)
        tech = access_for(session, w.technical.id, w.org.id)
        assert tools.tool_problems(session, tech, "syndic_filing") == [
            "not enabled for your organisation", "not granted to you by a manager",
            "missing accreditation: IPI membership — a Guichet agent verifies it"]
        with pytest.raises(PortalRefused, match="missing accreditation"):
            tools.enable_tool(session, w.manager.id, w.org.id, "syndic_filing")
        with pytest.raises(PortalRefused, match="only a manager"):
            tools.enable_tool(session, w.technical.id, w.org.id, "consumption_portal")
        tools.record_accreditation(session, None, kind="ipi_member", reference="IPI 512.345",
                                   organisation_id=w.org.id, valid_until=dt.date.today() + dt.timedelta(days=365))
        tools.enable_tool(session, w.manager.id, w.org.id, "syndic_filing")
        assert [p.code for p in tools.tool_problems(session, tech, "syndic_filing")] == ["not_granted"]
        assert tools.tool_problems(session, access_for(session, w.manager.id, w.org.id), "syndic_filing") == []
        tech_membership = session.get(Membership, tech.membership_id)
        tools.set_member_tools(session, w.manager.id, w.org.id, tech_membership.id, ["syndic_filing"])
        assert tools.tool_problems(session, tech, "syndic_filing") == []
        assert tools.require_tool(session, tech, "syndic_filing").code == "syndic_filing"


def test_a_revoked_or_expired_accreditation_no_longer_counts(db: Database) -> None:
    with db.transaction() as session:
        w = portal_world(session)
        tools.ensure_tools(session)
        row = tools.record_accreditation(session, None, kind="ipi_member", reference="IPI 1", user_id=w.manager.id)
        assert tools.held_kinds(session, user_id=w.manager.id) == {"ipi_member"}
        assert not row.valid_on(dt.date.today() + dt.timedelta(days=1)) or row.valid_until is None
        tools.revoke_accreditation(session, None, row.id)
        assert tools.held_kinds(session, user_id=w.manager.id) == set()
        with pytest.raises(PortalRefused, match="one account or one organisation"):
            tools.record_accreditation(session, None, kind="ipi_member", reference="X")
        with pytest.raises(PortalRefused, match="not an accreditation kind"):
            tools.record_accreditation(session, None, kind="gold", reference="X", user_id=w.manager.id)
