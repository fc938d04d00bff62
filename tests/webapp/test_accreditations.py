"""Back office: case workers record and revoke accreditations; others are refused."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient
from sqlalchemy import select

from engine.access.models import Role, User
from engine.db import Database
from engine.portal.tools import Accreditation
from engine.workflow.models import AuditEvent
from tests.webapp.portal.helpers import sign_in, world
from tests.webapp.support import login, page_text


def test_record_and_revoke_an_accreditation(client: FlaskClient, db: Database,
                                            make_user: Callable[..., User]) -> None:
    w = world(db)
    login(client, make_user(Role.CASE_WORKER))
    page = page_text(client.get("/accreditations/"))
    assert "Syndic Dijle SRL" in page and w.manager.email in page
    bad = client.post("/accreditations/record", data={"holder": f"user:{w.manager.id}", "kind": "ipi_member",
                                                      "reference": ""})
    assert bad.status_code == 400
    done = client.post("/accreditations/record", data={"holder": f"user:{w.manager.id}", "kind": "ipi_member",
                                                       "reference": "IPI 100.200", "valid_until": "2099-12-31"})
    assert done.status_code == 302
    with db.transaction() as session:
        row = session.scalar(select(Accreditation))
        assert (row.user_id, row.reference, str(row.valid_until)) == (w.manager.id, "IPI 100.200", "2099-12-31")
        row_id = row.id
    assert "IPI 100.200" in page_text(client.get("/accreditations/"))
    assert client.post(f"/accreditations/{row_id}/revoke").status_code == 302
    assert client.post("/accreditations/99999/revoke").status_code == 404
    with db.transaction() as session:
        assert session.get(Accreditation, row_id).revoked_at is not None
        kinds = set(session.scalars(select(AuditEvent.kind).where(AuditEvent.subject_type == "accreditation")))
        assert kinds == {"accreditation_recorded", "accreditation_revoked"}


def test_others_are_refused(client: FlaskClient, db: Database, make_user: Callable[..., User]) -> None:
    w = world(db)
    login(client, make_user(Role.PROCESS_DESIGNER))
    assert client.get("/accreditations/").status_code == 403
    client.get("/logout")
    sign_in(client, w.manager, w.org.id)
    assert client.get("/accreditations/").status_code == 403
    assert client.post("/accreditations/record", data={"holder": f"organisation:{w.org.id}", "kind": "ipi_member",
                                                       "reference": "X"}).status_code == 403
