"""The contact page leads managers to the contact's personal-data page; case workers do not see it."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient

from engine.access.models import Role, User
from engine.db import Database
from engine.parties.models import Contact
from tests.webapp.support import login


def _contact(db: Database) -> int:
    with db.transaction() as session:
        contact = Contact(first_name="Lotte", last_name="Janssens", email="lotte@example.test")
        session.add(contact)
        session.flush()
        return contact.id


def test_a_manager_sees_the_personal_data_link(client: FlaskClient, db: Database,
                                               make_user: Callable[..., User]) -> None:
    contact_id = _contact(db)
    login(client, make_user(Role.MANAGER))
    page = client.get(f"/contacts/{contact_id}").get_data(as_text=True)
    assert f'href="/privacy/contacts/{contact_id}"' in page


def test_a_case_worker_does_not(client: FlaskClient, db: Database, make_user: Callable[..., User]) -> None:
    contact_id = _contact(db)
    login(client, make_user(Role.CASE_WORKER))
    response = client.get(f"/contacts/{contact_id}")
    assert response.status_code == 200
    assert "/privacy/contacts/" not in response.get_data(as_text=True)
