"""Saved views: scopes (system / personal / shared), who may change what, audit, seeding."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.access.models import Role
from engine.db import Database
from engine.views.commands import (
    ViewDefinition,
    ViewRefused,
    create_view,
    delete_view,
    make_system,
    share_view,
    update_view,
    visible_view,
    visible_views,
)
from engine.views.models import SavedView, ViewScope
from engine.views.seed import SYSTEM_VIEWS, seed_system_views
from engine.workflow.errors import Forbidden, NotFound
from engine.workflow.models import AuditEvent
from tests.webapp.support import create_user

DEFINITION = ViewDefinition(columns=[{"key": "number", "width": 120}, {"key": "title", "width": None}],
                            sort="title", filters=["type:eq:advice"], search="*roof")


def _names(db: Database, entity: str, user_id: int) -> list[str]:
    with db.transaction() as s:
        return [v.name for v in visible_views(s, entity, user_id)]


def test_a_personal_view_is_seen_by_its_owner_only(db: Database) -> None:
    owner, other = create_user(db, Role.CASE_WORKER), create_user(db, Role.CASE_WORKER)
    with db.transaction() as s:
        view = create_view(s, entity="dossiers", name="  My   advice ", definition=DEFINITION, by_user_id=owner.id)

    assert view.name == "My advice" and view.scope == ViewScope.PERSONAL
    assert view.columns == DEFINITION.columns and view.filters == ["type:eq:advice"] and view.search == "*roof"
    assert _names(db, "dossiers", owner.id) == ["My advice"]
    assert _names(db, "dossiers", other.id) == []
    assert _names(db, "contacts", owner.id) == []
    with db.transaction() as s, pytest.raises(NotFound):
        visible_view(s, view.id, other.id)


def test_sharing_shows_the_view_to_chosen_colleagues_only(db: Database) -> None:
    owner = create_user(db, Role.CASE_WORKER)
    colleague, stranger = create_user(db, Role.CASE_WORKER), create_user(db, Role.CASE_WORKER)
    with db.transaction() as s:
        view = create_view(s, entity="dossiers", name="Team", definition=DEFINITION, by_user_id=owner.id)
    with db.transaction() as s:
        shared = share_view(s, view.id, colleague_ids=[colleague.id], by_user_id=owner.id)
        assert shared.scope == ViewScope.SHARED

    assert _names(db, "dossiers", colleague.id) == ["Team"]
    assert _names(db, "dossiers", stranger.id) == []
    with db.transaction() as s, pytest.raises(Forbidden):
        update_view(s, view.id, definition=ViewDefinition(), by_user_id=colleague.id)  # seeing is not owning

    with db.transaction() as s:
        assert share_view(s, view.id, colleague_ids=[], by_user_id=owner.id).scope == ViewScope.PERSONAL
    assert _names(db, "dossiers", colleague.id) == []
    with db.transaction() as s:
        kinds = list(s.scalars(select(AuditEvent.kind).where(AuditEvent.subject_type == "saved_view")
                               .order_by(AuditEvent.id)))
    assert kinds == ["view_created", "view_shared", "view_shared"]


def test_sharing_with_an_unknown_user_is_refused(db: Database) -> None:
    owner = create_user(db, Role.CASE_WORKER)
    with db.transaction() as s:
        view = create_view(s, entity="tasks", name="Mine", definition=DEFINITION, by_user_id=owner.id)
    with db.transaction() as s, pytest.raises(ViewRefused) as refused:
        share_view(s, view.id, colleague_ids=[999_999], by_user_id=owner.id)
    assert refused.value.reason == "unknown_colleague"


def test_only_administrators_make_system_views_which_everybody_sees(db: Database) -> None:
    worker, admin = create_user(db, Role.CASE_WORKER), create_user(db, Role.ADMINISTRATOR)
    with db.transaction() as s, pytest.raises(Forbidden):
        create_view(s, entity="dossiers", name="For all", definition=DEFINITION, by_user_id=worker.id, system=True)
    with db.transaction() as s:
        view = create_view(s, entity="dossiers", name="For all", definition=DEFINITION, by_user_id=admin.id,
                           system=True)
        mine = create_view(s, entity="dossiers", name="Admin's own", definition=DEFINITION, by_user_id=admin.id)

    assert _names(db, "dossiers", worker.id) == ["For all"]
    with db.transaction() as s, pytest.raises(Forbidden):
        delete_view(s, view.id, by_user_id=worker.id)
    with db.transaction() as s, pytest.raises(ViewRefused):
        share_view(s, view.id, colleague_ids=[worker.id], by_user_id=admin.id)
    with db.transaction() as s:
        make_system(s, mine.id, by_user_id=admin.id)
    assert _names(db, "dossiers", worker.id) == ["Admin's own", "For all"]


def test_the_owner_changes_and_deletes_a_view_with_audit(db: Database) -> None:
    owner = create_user(db, Role.CASE_WORKER)
    with db.transaction() as s:
        view = create_view(s, entity="dossiers", name="Mine", definition=DEFINITION, by_user_id=owner.id)
    with db.transaction() as s:
        update_view(s, view.id, definition=ViewDefinition(columns=[{"key": "title", "width": 300}], sort="-title"),
                    by_user_id=owner.id, name="Renamed")
    with db.transaction() as s:
        changed = s.get(SavedView, view.id)
        assert (changed.name, changed.sort, changed.filters, changed.columns) == (
            "Renamed", "-title", [], [{"key": "title", "width": 300}])
        event = s.scalar(select(AuditEvent).where(AuditEvent.kind == "view_changed"))
        assert event.detail["changes"]["sort"] == ["title", "-title"]
    with db.transaction() as s:
        assert delete_view(s, view.id, by_user_id=owner.id) == "Renamed"
    with db.transaction() as s:
        assert s.get(SavedView, view.id) is None
        assert s.scalar(select(AuditEvent.kind).where(AuditEvent.kind == "view_deleted")) == "view_deleted"


@pytest.mark.parametrize("name, reason", [("   ", "name_missing"), ("x" * 121, "name_too_long")])
def test_a_view_needs_a_reasonable_name(db: Database, name: str, reason: str) -> None:
    owner = create_user(db, Role.CASE_WORKER)
    with db.transaction() as s, pytest.raises(ViewRefused) as refused:
        create_view(s, entity="dossiers", name=name, definition=DEFINITION, by_user_id=owner.id)
    assert refused.value.reason == reason
    with db.transaction() as s:
        assert s.scalar(select(SavedView.id)) is None


def test_seeding_adds_the_shipped_views_once_and_a_deleted_one_stays_deleted(db: Database) -> None:
    admin = create_user(db, Role.ADMINISTRATOR)
    with db.transaction() as s:
        assert seed_system_views(s) == len(SYSTEM_VIEWS)
    with db.transaction() as s:
        assert seed_system_views(s) == 0
        open_dossiers = s.scalar(select(SavedView).where(SavedView.seed_key == "dossiers.open"))
        assert open_dossiers.scope == ViewScope.SYSTEM and open_dossiers.owner_id is None
    with db.transaction() as s:
        delete_view(s, open_dossiers.id, by_user_id=admin.id)
    with db.transaction() as s:
        assert seed_system_views(s) == 0
        assert s.scalar(select(SavedView).where(SavedView.seed_key == "dossiers.open")) is None
