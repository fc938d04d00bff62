"""Back office of the syndic mandates (/syndic): the requests by deadline with their filters, one
request with its documents, rules' outcome and history (confirm the counter's confirmation,
cancel), filing on behalf of an organisation, and the dated fee table. Case workers act;
dispatchers and managers read; administrators extend the fee table.

It also gives the templates of other areas two helpers: the mandate history of an organisation
(its page in webapp/parties) and the request behind a review task (the task page links to it)."""

from __future__ import annotations

from flask import Blueprint

from webapp.auth import BACK_OFFICE, roles_guard

bp = Blueprint("syndic", __name__, url_prefix="/syndic")
bp.before_request(roles_guard(*BACK_OFFICE))  # administrators always pass

from webapp.syndic import views  # noqa: E402, F401 - registers the routes on the blueprint
