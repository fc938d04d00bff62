"""Imports every model so that ``Base.metadata`` knows every table (Alembic, create_all)."""

from engine.access.models import ApiToken, User
from engine.cases.models import Dossier, NumberSequence
from engine.workflow.models import (
    AuditEvent,
    HumanTask,
    Incident,
    MessageWait,
    ProcessInstance,
    ProcessVersion,
    ServiceCall,
)

__all__ = [
    "ApiToken",
    "AuditEvent",
    "Dossier",
    "HumanTask",
    "Incident",
    "MessageWait",
    "NumberSequence",
    "ProcessInstance",
    "ProcessVersion",
    "ServiceCall",
    "User",
]
