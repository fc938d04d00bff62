"""Rows for the list-view and dashboard tests, written directly (the views read tables, not
processes), and readers of the list page's HTML."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable

from sqlalchemy import select

from engine.access.models import User
from engine.cases.models import Dossier
from engine.db import Database
from engine.mail.models import Mail
from engine.parties.models import Contact, InvolvedParty
from engine.places.models import Address, DossierSite
from engine.queues.commands import seed_queues
from engine.queues.models import Queue
from engine.workflow.models import HumanTask, ProcessInstance, ProcessVersion

UTC = dt.UTC


def dossier_adder(db: Database) -> Callable[..., int]:
    """``add_dossier(number, title, type="information", created=date, contact=("Jan", "Peeters"),
    street=("Bruul", "1", "Mechelen"), active=True, journey_id=None)`` -> dossier id."""

    def add(number: str, title: str, *, type: str = "information", created: dt.date = dt.date(2025, 1, 1),
            contact: tuple[str, str] | None = None, street: tuple[str, str, str] | None = None,
            active: bool = True, journey_id: int | None = None) -> int:
        with db.transaction() as session:
            dossier = Dossier(number=number, title=title, type=type, active=active, journey_id=journey_id,
                              created_at=dt.datetime(created.year, created.month, created.day, 9, tzinfo=UTC))
            session.add(dossier)
            session.flush()
            if contact:
                person = Contact(first_name=contact[0], last_name=contact[1])
                session.add(person)
                session.flush()
                session.add(InvolvedParty(dossier_id=dossier.id, contact_id=person.id, role="owner_occupant",
                                          is_main=True))
            if street:
                address = Address(register_id=f"reg-{number}", postcode="2800", municipality=street[2],
                                  street=street[0], house_number=street[1])
                session.add(address)
                session.flush()
                session.add(DossierSite(dossier_id=dossier.id, address_id=address.id))
            return dossier.id

    return add


def rows_of(html: str) -> list[str]:
    """The first cell text of each body row of the view table."""
    import re

    if 'class="table view-table"' not in html:
        return []
    table = html.split('class="table view-table"', 1)[1]
    body = table.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    cells = re.findall(r"<tr>\s*<td>(.*?)</td>", body, flags=re.S)
    from html import unescape

    return [unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in cells]


def next_link(html: str) -> str | None:
    import re
    from html import unescape

    match = re.search(r'<a href="([^"]+)" rel="next">', html)
    return unescape(match.group(1)) if match else None


def add_task(db: Database, name: str, *, queue: str | None = None, assignee_id: int | None = None,
             due: dt.datetime | None = None, dossier_id: int | None = None) -> int:
    """An open human task on an instance of the deployed Information process (optionally the
    instance of ``dossier_id``)."""
    with db.transaction() as session:
        version = session.scalar(select(ProcessVersion).order_by(ProcessVersion.id).limit(1))
        assert version is not None, "deploy a process first (the app fixture deploys Information)"
        instance = ProcessInstance(process_version_id=version.id, process_key=version.key, status="waiting",
                                   state="{}")
        session.add(instance)
        session.flush()
        if dossier_id is not None:
            session.get(Dossier, dossier_id).process_instance_id = instance.id
        task = HumanTask(instance_id=instance.id, task_guid=str(uuid.uuid4()), process_key=version.key,
                         bpmn_id="register", name=name, queue=queue, assignee_id=assignee_id, due_at=due)
        session.add(task)
        session.flush()
        return task.id


def add_mail(db: Database, subject: str, *, queue: str = "frontdesk", assignee_id: int | None = None,
             dossier_id: int | None = None, sender: str = "citizen@example.be", closed: bool = False,
             received: dt.datetime | None = None) -> int:
    with db.transaction() as session:
        mail = Mail(message_id=f"{uuid.uuid4()}@example.be", subject=subject, sender=sender, queue=queue,
                    assignee_id=assignee_id, dossier_id=dossier_id,
                    received_at=received or dt.datetime.now(UTC),
                    closed_at=dt.datetime.now(UTC) if closed else None)
        session.add(mail)
        session.flush()
        return mail.id


def add_queue_member(db: Database, code: str, user_id: int) -> None:
    with db.transaction() as session:
        seed_queues(session)
        queue = session.scalar(select(Queue).where(Queue.code == code))
        queue.members = [*queue.members, session.get(User, user_id)]
