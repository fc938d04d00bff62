from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from engine.db import utcnow
from engine.workflow.models import AuditEvent


def audit_user(session: Session, user_id: int, kind: str, actor_id: int | None, **detail: Any) -> None:
    """An audit event about an account. Never pass a code, a token or a password in ``detail``."""
    session.add(AuditEvent(instance_id=None, subject_type="user", subject_id=user_id, actor_id=actor_id,
                           kind=kind, detail=detail, at=utcnow()))
