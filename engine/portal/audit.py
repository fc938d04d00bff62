"""The audit row of the portal's commands (organisations, memberships, tools, accreditations)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from engine.db import utcnow
from engine.workflow.models import AuditEvent


def audit(session: Session, subject_type: str, subject_id: int, kind: str, actor_id: int | None,
          **detail: Any) -> None:
    session.add(AuditEvent(instance_id=None, subject_type=subject_type, subject_id=subject_id, actor_id=actor_id,
                           kind=kind, detail=detail, at=utcnow()))
