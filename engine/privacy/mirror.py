"""Changes to contacts and organisations reach the access log through their audit events: every
command of engine/parties already writes one (``contact_created``, ``contact_edited``,
``contact_deleted``, ...), so listening to those inserts records every change, from the web, the
API or the CLI alike, in the same transaction and without touching the commands."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, select
from sqlalchemy.engine import Connection

from engine.access.models import User
from engine.privacy.access_log import Actor, current_actor, entry, write
from engine.privacy.models import AccessAction
from engine.workflow.models import AuditEvent

MIRRORED_SUBJECTS = frozenset({"contact", "organisation"})


def action_for(kind: str) -> AccessAction:
    """``contact_created`` -> create, ``..._deleted`` -> delete, ``..._erased`` -> erase, any
    other change of the record (edited, (re)activated, merged) -> change."""
    if kind.endswith("_created"):
        return AccessAction.CREATE
    if kind.endswith("_deleted"):
        return AccessAction.DELETE
    if kind.endswith("_erased"):
        return AccessAction.ERASE
    return AccessAction.CHANGE


def _actor(connection: Connection, actor_id: int | None) -> Actor:
    known = current_actor.get()
    if known is not None and known.id == actor_id:
        return known
    if actor_id is None:
        return Actor(None, "")
    return Actor(actor_id, connection.scalar(select(User.name).where(User.id == actor_id)) or "")


@event.listens_for(AuditEvent, "after_insert")
def _mirror(_mapper: Any, connection: Connection, audit: AuditEvent) -> None:
    if audit.subject_type not in MIRRORED_SUBJECTS or audit.subject_id is None:
        return
    write(connection, [entry(action_for(audit.kind), audit.subject_type, audit.subject_id,
                             actor=_actor(connection, audit.actor_id), record_key=audit.kind, at=audit.at)])
