"""Who sees what on the instance pages: the pages are for designers and managers, but the case
data an element read and wrote only for the roles that may see case data (back office and
administrators)."""

from __future__ import annotations

from flask_login import current_user

from webapp.auth import BACK_OFFICE


def may_see_case_data() -> bool:
    """The back office and administrators: the same people who may open the dossier pages."""
    return bool(current_user.is_authenticated and current_user.has_role(*BACK_OFFICE))
