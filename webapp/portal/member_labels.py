"""Translated sentences for the organisation, member and tool pages: refusals of the engine's
commands (by code), roles, statuses, functions, tool problems and accreditation kinds."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from engine.portal.errors import PortalRefused
from engine.portal.tools import ToolProblem

REFUSALS: dict[str, Any] = {
    "already_member": _l("You are already a member of this organisation (or your request awaits confirmation)."),
    "not_manager": _l("Only a manager of the organisation can do this."),
    "last_manager": _l("This is the last manager: promote another member to manager first, so that someone "
                       "can still confirm members."),
    "not_pending": _l("This member is not awaiting confirmation."),
    "not_active": _l("Confirm the member first."),
    "manager_unrestricted": _l("A manager may see every building and use every function: change the role first."),
    "no_building": _l("Choose at least one building, or all buildings."),
    "foreign_building": _l("Only buildings of your organisation can be chosen."),
    "unknown_function": _l("Choose functions from the list."),
    "unknown_role": _l("Choose manager, administrative or technical responsible."),
    "name_required": _l("The organisation needs a name."),
    "number_fixed": _l("The enterprise number cannot be changed."),
    "missing_accreditation": _l("An accreditation this tool requires is missing; a Guichet agent verifies it."),
    "one_holder": _l("Choose one account or one organisation."),
    "reference_required": _l("Enter the reference number that was verified."),
    "expired": _l("The validity date is in the past."),
    "already_revoked": _l("This accreditation was already revoked."),
    "unknown_kind": _l("Choose an accreditation kind from the list."),
}

ROLES: dict[str, Any] = {"manager": _l("Organisation manager"), "administrative": _l("Administrative responsible"),
                         "technical": _l("Technical responsible")}
STATUSES: dict[str, Any] = {"pending": _l("Awaiting confirmation"), "active": _l("Active"),
                            "refused": _l("Refused"), "left": _l("Left")}
FUNCTIONS: dict[str, Any] = {
    "consumption": _l("Consumption data and histories"), "archives": _l("Archives and yearly statements"),
    "downloads": _l("Downloads of statements"), "interventions": _l("Interventions"),
    "tenant_changes": _l("Tenant changes"), "cost_forms": _l("Cost forms"), "wallet": _l("Wallet"),
}
ACCREDITATIONS: dict[str, Any] = {"ipi_member": _l("IPI membership"), "fonds323_verified": _l("Fonds 323 verification"),
                                  "cib_member": _l("CIB membership")}


def refusal(exc: PortalRefused) -> str:
    message = REFUSALS.get(exc.code)
    return str(message) if message is not None else str(exc)


def problem_text(problem: ToolProblem) -> str:
    if problem.code == "not_enabled":
        return _("Not enabled for your organisation: a manager enables it on this page.")
    if problem.code == "not_granted":
        return _("Not granted to you by a manager.")
    if problem.code == "missing_accreditation":
        return _("Missing accreditation: %(name)s — a Guichet agent verifies it.",
                 name=ACCREDITATIONS.get(problem.kind or "", problem.kind))
    return str(problem)
