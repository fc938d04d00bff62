"""One-time secrets sent by e-mail: activation and e-mail-change codes, password-reset links.
Only a SHA-256 of the secret is stored, so a database leak does not hand out live codes."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base, utcnow


class CodePurpose(enum.StrEnum):
    ACTIVATION = "activation"
    EMAIL_CHANGE = "email_change"
    PASSWORD_RESET = "password_reset"


class OneTimeCode(Base):
    __tablename__ = "account_codes"
    __table_args__ = (Index("ix_account_codes_user_purpose", "user_id", "purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(20))
    secret_hash: Mapped[str] = mapped_column(String(64), index=True)
    new_email: Mapped[str | None] = mapped_column(String(254))  # e-mail change: the address to confirm
    attempts: Mapped[int] = mapped_column(default=0)  # wrong attempts against this code
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]
    killed_at: Mapped[dt.datetime | None]  # replaced by a newer code, or too many wrong attempts

    def is_open(self, now: dt.datetime) -> bool:
        return self.used_at is None and self.killed_at is None and now < _aware(self.expires_at)


def _aware(value: dt.datetime) -> dt.datetime:
    """SQLite gives naive datetimes back; they were written in UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
