"""The mail jobs on the engine's Celery app: the beat entry follows the settings, the intake job
reads the maildir, a source that cannot be read is reported without raising."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select

from engine.config import Settings
from engine.db import Database
from engine.jobs import celery
from engine.mail.models import Mail
from integrations.mail import jobs
from integrations.mail.maildir import GuichetMaildir
from tests.integrations.mail.messages import message
from webapp.bootstrap import build_services


def test_beat_entry_follows_the_settings(settings: Settings, db: Database) -> None:
    build_services(replace(settings, mail_interval_s=30.0), db)
    assert celery.conf.beat_schedule["fetch-mail"] == {"task": "guichet.fetch_mail", "schedule": 30.0}
    assert "fire-due-timers" in celery.conf.beat_schedule  # the engine's entries stay
    build_services(replace(settings, mail_source="none"), db)
    assert "fetch-mail" not in celery.conf.beat_schedule


def test_fetch_mail_job_reads_the_maildir(settings: Settings, db: Database) -> None:
    build_services(settings, db)
    GuichetMaildir(settings.maildir_root).drop(message())
    assert jobs.fetch_mail.delay().get() == {"stored": 1, "skipped": 0}
    with db.transaction() as s:
        assert s.scalar(select(Mail.message_id)) == "q1@citizen.example"


def test_an_unreadable_source_is_reported(settings: Settings, db: Database) -> None:
    build_services(replace(settings, mail_source="imap"), db)
    assert jobs.fetch_mail.delay().get() == {
        "error": "GUICHET_MAIL_SOURCE is imap but GUICHET_MAIL_IMAP_HOST is empty."}
    build_services(replace(settings, mail_source="pigeon"), db)
    assert "must be one of maildir, imap, none" in jobs.fetch_mail.delay().get()["error"]
