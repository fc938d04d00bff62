"""Notifications leave after the commit, through the outbox folder by default; a rolled-back
command sends nothing; a body holding a one-time code is not kept once sent."""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest
from sqlalchemy import select

from engine.config import Settings
from engine.db import Database
from engine.notify import Notification, NotificationStatus, queue_notification
from engine.notify.outbox import BLANKED
from webapp.bootstrap import build_services


def _outbox(settings: Settings) -> list:
    folder = settings.mail_outbox
    assert folder is not None
    return [message_from_bytes(p.read_bytes(), policy=policy.default) for p in sorted(folder.glob("*.eml"))]


def test_a_committed_notification_is_written_to_the_outbox(settings: Settings, db: Database) -> None:
    build_services(settings, db)
    with db.transaction() as session:
        queue_notification(session, recipient="marie@syndic.test", subject="Votre code", body="Code: 123456",
                           purpose="account_activation")
    [mail] = _outbox(settings)
    assert mail["To"] == "marie@syndic.test"
    assert "Code: 123456" in mail.get_content()
    with db.transaction() as session:
        row = session.scalars(select(Notification)).one()
        assert row.status == NotificationStatus.SENT
        assert row.body == BLANKED  # the code is not kept in the database once it left


def test_a_rolled_back_command_sends_nothing(settings: Settings, db: Database) -> None:
    build_services(settings, db)
    with pytest.raises(RuntimeError), db.transaction() as session:
        queue_notification(session, recipient="x@syndic.test", subject="s", body="b", purpose="member_confirmed")
        raise RuntimeError("the command failed")
    assert _outbox(settings) == []
    with db.transaction() as session:
        assert session.scalars(select(Notification)).all() == []


def test_an_ordinary_notification_keeps_its_body(settings: Settings, db: Database) -> None:
    build_services(settings, db)
    with db.transaction() as session:
        queue_notification(session, recipient="y@syndic.test", subject="Confirmé", body="Bienvenue",
                           purpose="member_confirmed")
    with db.transaction() as session:
        assert session.scalars(select(Notification.body)).one() == "Bienvenue"
