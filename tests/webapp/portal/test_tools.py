"""The Tools page: what each tool requires and what is missing for the member; cleared once an
agent records the accreditation and a manager enables and grants the tool."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient
from sqlalchemy import select

from engine.access.models import Role, User
from engine.db import Database
from engine.portal.models import Membership
from engine.portal.tools import OrganisationTool
from tests.webapp.portal.helpers import accept_terms, sign_in, world
from tests.webapp.support import login


def _row(text: str, start: str, end: str | None = None) -> str:
    tail = text.split(start, 1)[1]
    return tail.split(end, 1)[0] if end else tail


def test_tool_problems_are_listed_then_cleared(client: FlaskClient, db: Database,
                                              make_user: Callable[..., User]) -> None:
    w = world(db)
    accept_terms(db, w.manager)
    accept_terms(db, w.technical)
    sign_in(client, w.technical, w.org.id)
    client.get("/portal/tools")  # creates the tool rows
    html = client.get("/portal/tools").get_data(as_text=True)
    filing = _row(html, 'data-tool="syndic_filing"')
    assert "IPI" in filing and filing.count("<li>") == 3
    client.get("/logout")

    sign_in(client, w.manager, w.org.id)
    refused = client.post("/portal/tools/syndic_filing/enable", follow_redirects=True)
    assert "flash--error" in refused.get_data(as_text=True)
    with db.transaction() as session:
        assert session.scalars(select(OrganisationTool)).all() == []
    client.get("/logout")

    agent = make_user(Role.CASE_WORKER)
    login(client, agent)
    assert client.post("/accreditations/record", data={"holder": f"organisation:{w.org.id}", "kind": "ipi_member",
                                                       "reference": "IPI 512.345"}).status_code == 302
    client.get("/logout")

    sign_in(client, w.manager, w.org.id)
    assert client.post("/portal/tools/syndic_filing/enable").status_code == 302
    with db.transaction() as session:
        tech = session.scalar(select(Membership.id).where(Membership.user_id == w.technical.id))
    client.post(f"/portal/members/{tech}/tools", data={"tool": ["syndic_filing"]})
    client.get("/logout")

    sign_in(client, w.technical, w.org.id)
    html = client.get("/portal/tools").get_data(as_text=True)
    assert 'data-ready="1"' in _row(html, 'data-tool="syndic_filing"')
    assert client.post("/portal/tools/syndic_filing/disable").status_code == 403
