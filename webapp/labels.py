"""Words people see for codes that the engine stores: dossier types, phases, instance statuses,
and the names that diagrams give to tasks (translated when the catalog knows them)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from engine.access.models import Role
from engine.cases.models import DossierType, JourneyStage
from engine.cases.phases import PHASE_FLOWS as _FLOWS
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

# The ordered phases ("blue dots") of each dossier type (seed 001 §5.1), from engine/cases/phases.py.
PHASE_FLOWS: dict[str, list[str]] = {key: list(flow) for key, flow in _FLOWS.items()}

PHASES: dict[str, Any] = {
    "request": _l("Request"),
    "file": _l("Dossier"),
    "in_progress": _l("Dossier (in progress)"),
    "advice": _l("Advice"),
    "customer_survey": _l("Customer survey"),
    "further_studies": _l("Further studies"),
    "quote_request": _l("Quote request"),
    "preparation": _l("Preparation"),
    "execution": _l("Execution"),
    "analysis": _l("Analysis"),
    "decision": _l("Decision"),
    "signature": _l("Signature"),
    "collection": _l("Collection"),
    "in_circulation": _l("In circulation"),
    "done": _l("Done"),
    "p10_submitted": _l("10. Submitted"),
    "p20_processing": _l("20. Processing"),
    "p30_decision": _l("30. Decision"),
    "p40_report": _l("40. Report"),
    "p50_payment": _l("50. Payment"),
    "p60_done": _l("60. Done"),
}

JOURNEY_STAGES: dict[str, Any] = {
    JourneyStage.INFORMATION: _l("Information"),
    JourneyStage.ADVICE: _l("Advice"),
    JourneyStage.PROJECT_DESIGN: _l("Project design"),
    JourneyStage.EXECUTION: _l("Execution"),
    JourneyStage.FOLLOW_UP: _l("Follow-up"),
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
    _l("Requests & loans dossier"),
    _l("Advice dossier"),
    _l("Project design dossier"),
    _l("Execution dossier"),
    _l("Loan dossier"),
    _l("Premiums & subsidies dossier"),
]


def dossier_type_label(code: str | None) -> str:
    return str(DOSSIER_TYPES.get(code or "", code or "—"))


def phase_label(code: str | None) -> str:
    return str(PHASES.get(code or "", code or "—"))


def journey_stage_label(code: str | None) -> str:
    return str(JOURNEY_STAGES.get(code or "", code or "—"))


def subtype_label(subtype: Any) -> str:
    """A subtype's name in the reader's language (French when it has none in that language)."""
    if subtype is None:
        return "—"
    from flask_babel import get_locale

    locale = get_locale()
    return subtype.name(locale.language if locale else "fr")


def request_source_label(code: str | None) -> str:
    from forms.information import SOURCES

    return str(dict(SOURCES).get(code or "", code or "—"))


def offer_presentation_label(code: str | None) -> str:
    """How the offer was presented (seed 001 §3.2); the words are in forms/dossier_info.py."""
    from forms.dossier_info import offer_presentation_label as label

    return label(code)


def project_label(code: str | None) -> str:
    from forms.dossier_info import project_label as label

    return label(code)


def projects_label(codes: Any) -> str:
    """A list of projects, comma-separated, or a dash when there is none."""
    return ", ".join(project_label(code) for code in codes) if codes else "—"


def status_label(code: str | None) -> str:
    return str(STATUSES.get(code or "", code or "—"))


QUEUES: dict[str, Any] = {
    "frontdesk": _l("Front desk"),
    "coaches": _l("Renovation coaches"),
    "loans": _l("Loans"),
    "premiums": _l("Premiums & subsidies"),
}


def queue_label(code: str | None) -> str:
    """A queue (a lane or the queue property of a diagram) as the reader says it; a role-named
    queue reads as the role; an unknown queue keeps the name drawn in the diagram."""
    if not code:
        return "—"
    configured = _configured_queue_name(code)
    return configured or str(QUEUES.get(code) or ROLES.get(code) or code)


def _configured_queue_name(code: str) -> str | None:
    """The name an administrator gave the queue (engine/queues), in the reader's language."""
    from flask import g, has_request_context
    from flask_babel import get_locale
    from sqlalchemy import select

    from engine.queues.models import Queue
    from webapp.context import db_session

    if not has_request_context():
        return None
    if "queue_names" not in g:  # one query per request, however many tasks a page lists
        locale = get_locale()
        language = locale.language if locale else "fr"
        g.queue_names = {q.code: q.name(language) for q in db_session().scalars(select(Queue))}
    return g.queue_names.get(code)


def role_label(code: str | None) -> str:
    return str(ROLES.get(code or "", code or "—"))


def process_text(text: str | None) -> str:
    """A name from a diagram in the reader's language when the catalog has it, else as drawn."""
    return gettext(text) if text else ""


def register_label_filters(app: Any) -> None:
    app.jinja_env.filters["dossier_type"] = dossier_type_label
    app.jinja_env.filters["phase"] = phase_label
    app.jinja_env.filters["status"] = status_label
    app.jinja_env.filters["journey_stage"] = journey_stage_label
    app.jinja_env.filters["subtype"] = subtype_label
    app.jinja_env.filters["request_source"] = request_source_label
    app.jinja_env.filters["offer_presentation"] = offer_presentation_label
    app.jinja_env.filters["project"] = project_label
    app.jinja_env.filters["projects"] = projects_label
    app.jinja_env.filters["role"] = role_label
    app.jinja_env.filters["queue"] = queue_label
    app.jinja_env.filters["process_text"] = process_text
