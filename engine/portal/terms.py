"""Acceptances of the portal's access terms (seed 000, last part). Each version is accepted once
per account; the web app decides which version is current (webapp/portal/terms.py) and asks
again when it changes. An acceptance is never edited: it is the record of what was agreed."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine.db import Base, utcnow
from engine.workflow.models import AuditEvent

LANGUAGES = ("fr", "nl", "en")


class TermsAcceptance(Base):
    __tablename__ = "terms_acceptances"
    __table_args__ = (UniqueConstraint("user_id", "version", name="uq_terms_acceptances_user_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    version: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(5))
    accepted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


def has_accepted(session: Session, user_id: int, version: str) -> bool:
    return session.scalar(select(TermsAcceptance.id).where(
        TermsAcceptance.user_id == user_id, TermsAcceptance.version == version)) is not None


def accept(session: Session, user_id: int, version: str, language: str) -> TermsAcceptance:
    """Record that ``user_id`` accepted ``version`` (shown in ``language``); accepting again the
    same version keeps the first record."""
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}")
    existing = session.scalar(select(TermsAcceptance).where(
        TermsAcceptance.user_id == user_id, TermsAcceptance.version == version))
    if existing is not None:
        return existing
    row = TermsAcceptance(user_id=user_id, version=version, language=language, accepted_at=utcnow())
    session.add(row)
    session.flush()
    session.add(AuditEvent(instance_id=None, subject_type="user", subject_id=user_id, actor_id=user_id,
                           kind="terms_accepted", detail={"version": version, "language": language},
                           at=row.accepted_at))
    return row
