"""Words of the list views: operators, list names, and the names of the views shipped with
Guichet (stored in English, shown in the reader's language)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from engine.views.models import SavedView
from webapp.views.columns import Op

OP_LABELS: dict[str, Any] = {
    Op.EQ: _l("equals"),
    Op.CONTAINS: _l("contains"),
    Op.BEGINS: _l("begins with"),
    Op.HAS: _l("has data"),
    Op.HASNOT: _l("has no data"),
    Op.BEFORE: _l("before"),
    Op.AFTER: _l("after"),
    Op.BETWEEN: _l("between (from..to)"),
    Op.IN: _l("in the list (a|b|c)"),
}

ENTITY_LABELS: dict[str, Any] = {
    "dossiers": _l("Dossiers"),
    "contacts": _l("Contacts"),
    "organisations": _l("Organisations"),
    "addresses": _l("Addresses"),
    "works": _l("Works"),
    "tasks": _l("Open tasks"),
    "mails": _l("E-mails"),
}

# The names of engine/views/seed.py SYSTEM_VIEWS, so that the catalogs carry them.
SEEDED_NAMES = [
    _l("Open dossiers"),
    _l("Advice dossiers"),
    _l("Active contacts"),
    _l("Contractors"),
    _l("Co-ownership associations"),
    _l("Addresses by street"),
    _l("Decided works"),
    _l("My tasks"),
    _l("Overdue tasks"),
    _l("Tasks nobody has taken"),
    _l("My e-mails without a dossier"),
    _l("My e-mails with their dossier"),
    _l("Central inbox: e-mails without a dossier"),
]


def entity_label(key: str) -> str:
    return str(ENTITY_LABELS.get(key, key))


def view_name(view: SavedView) -> str:
    """A shipped view's name in the reader's language; other names as their author wrote them."""
    return gettext(view.name) if view.seed_key else view.name
