"""Writing audit events. Every command that changes state writes one in its own transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from engine.db import utcnow
from engine.workflow.models import AuditEvent, ProcessInstance


def record(
    session: Session,
    instance: ProcessInstance | None,
    kind: str,
    actor_id: int | None,
    **detail: Any,
) -> AuditEvent:
    event = AuditEvent(
        instance_id=instance.id if instance is not None else None,
        subject_type=instance.subject_type if instance is not None else None,
        subject_id=instance.subject_id if instance is not None else None,
        actor_id=actor_id,
        kind=kind,
        detail=detail,
        at=utcnow(),
    )
    session.add(event)
    return event
