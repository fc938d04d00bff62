"""Words people see for codes that the engine stores: dossier types, phases, instance statuses,
and the names that diagrams give to tasks (translated when the catalog knows them)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from engine.access.models import Role
from engine.cases.models import DossierType
from engine.workflow.models import InstanceStatus

DOSSIER_TYPES: dict[str, Any] = {
    DossierType.INFORMATION: _l("Information"),
    DossierType.REQUESTS_AND_LOANS: _l("Requests & loans"),
    DossierType.ADVICE: _l("Advice"),
    DossierType.PROJECT_DESIGN: _l("Project design"),
    DossierType.EXECUTION: _l("Execution"),
    DossierType.LOAN: _l("Loan"),
    DossierType.PREMIUMS: _l("Premiums & subsidies"),
}

# The ordered phases ("blue dots") of each dossier type whose diagram ships (seed 001 §5.1).
PHASE_FLOWS: dict[str, list[str]] = {
    DossierType.INFORMATION: ["request", "file", "done"],
}

PHASES: dict[str, Any] = {
    "request": _l("Request"),
    "file": _l("Dossier"),
    "done": _l("Done"),
}

STATUSES: dict[str, Any] = {
    InstanceStatus.RUNNING: _l("Running"),
    InstanceStatus.WAITING: _l("In progress"),
    InstanceStatus.COMPLETED: _l("Closed"),
    InstanceStatus.ERROR: _l("Incident"),
    InstanceStatus.SUSPENDED: _l("Suspended"),
    InstanceStatus.TERMINATED: _l("Stopped"),
}

ROLES: dict[str, Any] = {
    Role.CASE_WORKER: _l("Case worker"),
    Role.DISPATCHER: _l("Queue dispatcher"),
    Role.PROCESS_DESIGNER: _l("Process designer"),
    Role.MANAGER: _l("Manager"),
    Role.ADMINISTRATOR: _l("Administrator"),
    Role.INTEGRATION: _l("Integration client"),
}

# Names given in the diagrams under bpmn/; listed here so that the catalogs carry them.
PROCESS_TEXTS = [
    _l("Register the request"),
    _l("Answer and refer"),
    _l("Information dossier"),
]


def dossier_type_label(code: str | None) -> str:
    return str(DOSSIER_TYPES.get(code or "", code or "—"))


def phase_label(code: str | None) -> str:
    return str(PHASES.get(code or "", code or "—"))


def status_label(code: str | None) -> str:
    return str(STATUSES.get(code or "", code or "—"))


def role_label(code: str | None) -> str:
    return str(ROLES.get(code or "", code or "—"))


def process_text(text: str | None) -> str:
    """A name from a diagram in the reader's language when the catalog has it, else as drawn."""
    return gettext(text) if text else ""


def register_label_filters(app: Any) -> None:
    app.jinja_env.filters["dossier_type"] = dossier_type_label
    app.jinja_env.filters["phase"] = phase_label
    app.jinja_env.filters["status"] = status_label
    app.jinja_env.filters["role"] = role_label
    app.jinja_env.filters["process_text"] = process_text
