"""Drafts: saved as often as wanted; of two designers saving the same loaded draft, the second
is refused with who saved and when, and nothing of theirs is written."""

from __future__ import annotations

import pytest

from engine.access.models import Role
from engine.workflow.drafts import DraftConflict, InvalidDraft, discard_draft, get_draft, save_draft
from tests.webapp.support import create_user

from .support import LINEAR


def test_first_save_then_updates_bump_the_lock_version(db):
    alice = create_user(db, Role.PROCESS_DESIGNER, name="Alice Designer")
    with db.transaction() as s:
        draft = save_draft(s, "p", LINEAR, lock_version=None, user_id=alice.id, base_version=2)
        assert (draft.lock_version, draft.base_version) == (1, 2)
    with db.transaction() as s:
        draft = save_draft(s, "p", LINEAR.replace("Task t", "Task T"), lock_version=1, user_id=alice.id)
        assert draft.lock_version == 2 and "Task T" in draft.bpmn_xml and draft.base_version == 2


def test_the_second_save_of_a_stale_draft_is_refused_with_who_and_when(db):
    alice = create_user(db, Role.PROCESS_DESIGNER, name="Alice Designer")
    bob = create_user(db, Role.PROCESS_DESIGNER, name="Bob Designer")
    with db.transaction() as s:
        save_draft(s, "p", LINEAR, lock_version=None, user_id=alice.id)
    # both loaded lock version 1; Alice saves first
    with db.transaction() as s:
        save_draft(s, "p", LINEAR.replace("Task t", "Alice's task"), lock_version=1, user_id=alice.id)
    with pytest.raises(DraftConflict) as err, db.transaction() as s:
        save_draft(s, "p", LINEAR.replace("Task t", "Bob's task"), lock_version=1, user_id=bob.id)
    assert err.value.saved_by == "Alice Designer" and err.value.saved_at is not None
    assert "Alice Designer" in str(err.value) and "Nothing of yours was saved" in str(err.value)
    with db.transaction() as s:
        draft = get_draft(s, "p")
        assert "Alice's task" in draft.bpmn_xml and draft.lock_version == 2


def test_two_new_drafts_of_the_same_key_one_wins(db):
    alice = create_user(db, Role.PROCESS_DESIGNER, name="Alice Designer")
    with db.transaction() as s:
        save_draft(s, "p", LINEAR, lock_version=None, user_id=alice.id)
    with pytest.raises(DraftConflict) as err, db.transaction() as s:
        save_draft(s, "p", LINEAR, lock_version=None, user_id=None)
    assert err.value.saved_by == "Alice Designer"


def test_concurrent_sessions_exactly_one_save_wins(db):
    """Two open transactions update from the same lock version: the conditional UPDATE lets one through."""
    with db.transaction() as s:
        save_draft(s, "p", LINEAR, lock_version=None, user_id=None)
    first = db.sessionmaker()
    second = db.sessionmaker()
    try:
        with first.begin():
            save_draft(first, "p", LINEAR + "<!-- first -->", lock_version=1, user_id=None)
        with pytest.raises(DraftConflict), second.begin():
            save_draft(second, "p", LINEAR + "<!-- second -->", lock_version=1, user_id=None)
    finally:
        first.close()
        second.close()
    with db.transaction() as s:
        assert get_draft(s, "p").bpmn_xml.endswith("<!-- first -->")


def test_empty_draft_is_refused(db):
    with pytest.raises(InvalidDraft), db.transaction() as s:
        save_draft(s, "p", "   ", lock_version=None, user_id=None)


def test_discard(db):
    with db.transaction() as s:
        save_draft(s, "p", LINEAR, lock_version=None, user_id=None)
    with db.transaction() as s:
        assert discard_draft(s, "p") is True
        assert discard_draft(s, "p") is False
        assert get_draft(s, "p") is None
