"""Version history: who deployed what and when, why, and what changed against the version before;
open an old version; deploy an old version again as a new version."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.access.models import Role
from engine.workflow.deploy import deploy
from engine.workflow.errors import NotFound
from engine.workflow.history import diff, get_version, history, latest_per_key, redeploy
from engine.workflow.models import AuditEvent
from tests.webapp.support import create_user

from .support import LINEAR, flow, process, user_task

V2 = process(
    '<bpmn:startEvent id="s"/>' + flow("f1", "s", "t") + user_task("t").replace("Task t", "Check the file")
    + flow("f2", "t", "t2") + user_task("t2") + flow("f3", "t2", "e") + '<bpmn:endEvent id="e"/>'
)


def _deploy(db, engine, xml, user_id=None, comment=None):
    with db.transaction() as s:
        return deploy(s, xml, "p.bpmn", forms=engine.forms, operators=engine.operators, user_id=user_id,
                      comment=comment)


def test_diff_names_added_removed_and_changed_elements():
    result = diff(LINEAR, V2)
    assert {e.id for e in result.added} == {"t2", "f3"}
    assert {e.id for e in result.changed} == {"t", "f2"}  # t renamed, f2 now leads to t2
    assert {e.id for e in result.removed} == set()
    back = diff(V2, LINEAR)
    assert {e.id for e in back.removed} == {"t2", "f3"}
    assert diff(LINEAR, LINEAR).is_empty()


def test_diff_sees_a_changed_property_but_not_a_moved_shape():
    changed = LINEAR.replace('value="test.note"', 'value="test.amount"')
    assert [e.id for e in diff(LINEAR, changed).changed] == ["t"]
    with_di = LINEAR.replace(
        "</bpmn:definitions>",
        '<bpmndi:BPMNDiagram xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" id="dia">'
        '<bpmndi:BPMNPlane id="plane" bpmnElement="p"/></bpmndi:BPMNDiagram></bpmn:definitions>',
    )
    assert diff(LINEAR, with_di).is_empty()


def test_history_lists_who_when_why_and_the_summary(db, engine):
    alice = create_user(db, Role.PROCESS_DESIGNER, name="Alice Designer")
    _deploy(db, engine, LINEAR, alice.id, "First version")
    _deploy(db, engine, V2, alice.id, "  Add a check  ")
    with db.transaction() as s:
        entries = history(s, "p")
        assert [e.version.version for e in entries] == [2, 1]
        newest, first = entries
        assert newest.deployed_by == "Alice Designer" and newest.version.comment == "Add a check"
        assert {e.id for e in newest.diff.added} == {"t2", "f3"}
        assert first.diff is None and first.version.comment == "First version"
        assert first.version.deployed_at is not None


def test_unchanged_file_creates_nothing(db, engine):
    first = _deploy(db, engine, LINEAR, comment="one")
    again = _deploy(db, engine, LINEAR, comment="two")
    assert again.created is False and again.version.id == first.version.id
    with db.transaction() as s:
        assert len(history(s, "p")) == 1


def test_open_and_redeploy_an_old_version(db, engine):
    alice = create_user(db, Role.PROCESS_DESIGNER, name="Alice Designer")
    _deploy(db, engine, LINEAR, alice.id)
    _deploy(db, engine, V2, alice.id)
    with db.transaction() as s:
        assert get_version(s, "p", 1).bpmn_xml == LINEAR
        result = redeploy(s, "p", 1, forms=engine.forms, operators=engine.operators, user_id=alice.id)
        assert result.created and result.version.version == 3
        assert result.version.bpmn_xml == LINEAR and result.version.comment == "Re-deployed version 1"
    with db.transaction() as s:
        again = redeploy(s, "p", 3, forms=engine.forms, operators=engine.operators, user_id=alice.id)
        assert again.created is False
        kinds = s.scalars(select(AuditEvent.detail).where(AuditEvent.kind == "process_deployed")
                          .order_by(AuditEvent.id)).all()
        assert [k["version"] for k in kinds] == [1, 2, 3]


def test_unknown_versions_and_keys(db, engine):
    _deploy(db, engine, LINEAR)
    with db.transaction() as s:
        with pytest.raises(NotFound):
            get_version(s, "p", 9)
        with pytest.raises(NotFound):
            history(s, "nope")


def test_latest_per_key(db, engine):
    alice = create_user(db, Role.PROCESS_DESIGNER, name="Alice Designer")
    _deploy(db, engine, LINEAR)
    _deploy(db, engine, V2, alice.id)
    _deploy(db, engine, LINEAR.replace('id="p"', 'id="other"'))
    with db.transaction() as s:
        rows = [(v.key, v.version, who) for v, who in latest_per_key(s)]
    assert rows == [("other", 1, None), ("p", 2, "Alice Designer")]
