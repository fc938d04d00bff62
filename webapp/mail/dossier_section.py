"""The dossier tab "E-mails": the dossier's mails, both directions, newest first (capped)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from engine.cases.models import Dossier
from webapp.dossiers.sections import Section, register_section
from webapp.mail.queries import dossier_mails


def _context(session: Session, dossier: Dossier) -> dict[str, Any]:
    return {"mails": dossier_mails(session, dossier.id)}


register_section(Section(key="mails", label=_l("E-mails"), template="mail/dossier_section.html", context=_context,
                         order=30))
