"""The access log is append-only in the database itself, and contact changes reach it."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.exc import DBAPIError

from engine.db import Database, utcnow
from engine.parties.commands import delete_party, update_contact
from engine.privacy.access_log import LogFilter, Origin, current_origin, entry, search, to_csv, write
from engine.privacy.append_only import purge_allowed
from engine.privacy.models import AccessLog
from tests.engine.privacy.support import contact


def _one(db: Database, **values: object) -> int:
    with db.transaction() as session:
        write(session, [entry("view", "contact", 7, origin=Origin("10.0.0.1", "pytest", "/contacts/7"), **values)])
        return session.scalar(select(AccessLog.id).order_by(AccessLog.id.desc()))


def test_update_is_refused_by_the_database(db: Database) -> None:
    row_id = _one(db)
    with pytest.raises(DBAPIError, match="append-only"), db.transaction() as session:
        session.execute(update(AccessLog).where(AccessLog.id == row_id).values(actor_name="someone else"))
    with db.transaction() as session:
        assert session.get(AccessLog, row_id).actor_name == ""


def test_delete_is_refused_by_the_database_unless_purge_is_allowed(db: Database) -> None:
    row_id = _one(db)
    with pytest.raises(DBAPIError, match="append-only"), db.transaction() as session:
        session.execute(delete(AccessLog))
    with db.engine.connect() as conn, pytest.raises(DBAPIError, match="append-only"), conn.begin():
        conn.exec_driver_sql(f"DELETE FROM access_log WHERE id = {row_id}")  # raw SQL is refused as well
    with db.transaction() as session:
        assert session.scalar(select(AccessLog.id)) == row_id
        with purge_allowed(session):
            session.execute(delete(AccessLog))
    # the permission ended with its transaction
    _one(db)
    with pytest.raises(DBAPIError, match="append-only"), db.transaction() as session:
        session.execute(delete(AccessLog))


def test_contact_changes_are_mirrored_with_who_and_where(db: Database) -> None:
    token = current_origin.set(Origin("192.0.2.9", "Firefox", "/contacts/new"))
    try:
        with db.transaction() as session:
            person = contact(session)
        with db.transaction() as session:
            update_contact(session, person.id, {"first_name": "Maria", "last_name": "Dupont"}, None)
        with db.transaction() as session:
            delete_party(session, "contact", person.id, None)
    finally:
        current_origin.reset(token)
    with db.transaction() as session:
        rows = session.scalars(select(AccessLog).order_by(AccessLog.id)).all()
    assert [(r.action, r.record_type, r.record_id) for r in rows] == [
        ("create", "contact", person.id), ("change", "contact", person.id), ("delete", "contact", person.id)]
    assert {(r.ip, r.user_agent, r.path) for r in rows} == {("192.0.2.9", "Firefox", "/contacts/new")}
    assert rows[0].record_key == "contact_created"


def test_search_filters_and_keyset_pages(db: Database) -> None:
    now = utcnow()
    with db.transaction() as session:
        write(session, [entry("view", "contact", i % 3, at=now - dt.timedelta(days=i)) for i in range(7)])
        write(session, [entry("export", "view", None, rows=12, record_key="dossiers")])
    with db.transaction() as session:
        first = search(session, LogFilter(record_type="contact"), limit=3)
        second = search(session, LogFilter(record_type="contact"), after=first.next_after, limit=3)
        third = search(session, LogFilter(record_type="contact"), after=second.next_after, limit=3)
        assert [len(first.rows), len(second.rows), len(third.rows)] == [3, 3, 1]
        assert third.next_after is None
        ids = [r.id for r in first.rows + second.rows + third.rows]
        assert ids == sorted(ids, reverse=True) and len(set(ids)) == 7
        assert {r.record_id for r in search(session, LogFilter(record_id=1)).rows} == {1}
        recent = search(session, LogFilter(record_type="contact", since=now - dt.timedelta(days=2, hours=1))).rows
        assert len(recent) == 3
        exports = search(session, LogFilter(action="export")).rows
        assert [(r.record_key, r.rows) for r in exports] == [("dossiers", 12)]
        text, count = to_csv(search(session, LogFilter(action="export")).rows)
    assert count == 1 and text.splitlines()[0].startswith("id,at,actor_id,actor_name,action")
    assert ",export,view,,dossiers,12," in text
    formula, _count = to_csv([AccessLog(id=1, at=now, actor_name="=HYPERLINK(\"http://x\")", action="sign_in_failed",
                                        record_type="user")])
    assert ',"\'=HYPERLINK(' in formula  # a spreadsheet shows it, does not run it


def test_truncate_is_refused_on_postgresql_and_sqlite_has_none(db: Database) -> None:
    _one(db)
    if db.engine.dialect.name == "postgresql":
        with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
            conn.exec_driver_sql("TRUNCATE access_log")
    with db.transaction() as session:
        assert session.scalar(select(AccessLog.id)) is not None
