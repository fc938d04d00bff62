"""The "Timeline" tab of the dossier page: one page of the dossier's own timeline (its e-mails,
notes, calls, appointments, tasks and phases; not those of the other dossiers of its journey, which
have their own tabs), newest first, with a link to the older entries."""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.access.models import User
from engine.cases.models import Dossier
from engine.parties.models import Contact
from engine.timeline.queries import TimelineCursor, TimelinePage, timeline_page
from webapp.dossiers.sections import Section, register_section


def _cursor() -> tuple[TimelineCursor | None, bool]:
    """The ``before`` cursor of the page asked for, and whether it was damaged."""
    text = request.args.get("before")
    if not text:
        return None, False
    try:
        return TimelineCursor.decode(text), False
    except ValueError:
        return None, True


def _names(session: Session, page: TimelinePage) -> tuple[dict[int, str], dict[int, str]]:
    """Names of the people who wrote the entries and of the contacts they mention: two queries."""
    user_ids = {e.item.created_by_id for e in page.entries if getattr(e.item, "created_by_id", None)}
    user_ids |= {e.item.completed_by_id for e in page.entries if getattr(e.item, "completed_by_id", None)}
    contact_ids = {e.item.contact_id for e in page.entries if getattr(e.item, "contact_id", None)}
    users = dict(session.execute(select(User.id, User.name).where(User.id.in_(user_ids))).all()) if user_ids else {}
    contacts = {c.id: c.name for c in session.scalars(select(Contact).where(Contact.id.in_(contact_ids)))} \
        if contact_ids else {}
    return users, contacts


def timeline_context(session: Session, dossier: Dossier) -> dict[str, Any]:
    cursor, damaged = _cursor()
    page = timeline_page(session, dossier, cursor)
    users, contacts = _names(session, page)
    return {"timeline": page, "users": users, "contacts": contacts, "damaged_cursor": damaged,
            "is_first_page": cursor is None,
            # e-mails have a page of their own when the mail area is installed (webapp/mail)
            "mail_pages": "mail.show" in current_app.view_functions}


TIMELINE_SECTION = register_section(Section(
    key="timeline", label=_l("Timeline"), template="timeline/tab.html", context=timeline_context, order=15,
))
