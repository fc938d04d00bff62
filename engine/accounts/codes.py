"""Issuing and checking one-time secrets. A code is single-use, expires, dies after
MAX_ATTEMPTS wrong tries, and a new code of the same purpose kills the older ones, so only the
last mail sent ever works."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine.accounts.models import CodePurpose, OneTimeCode, _aware
from engine.db import utcnow

MAX_ATTEMPTS = 5
LIFETIMES = {
    CodePurpose.ACTIVATION: dt.timedelta(hours=24),
    CodePurpose.EMAIL_CHANGE: dt.timedelta(hours=24),
    CodePurpose.PASSWORD_RESET: dt.timedelta(hours=1),
}


class CodeProblem(StrEnum):
    WRONG = "wrong"  # also said for an unknown account: nothing to learn from the answer
    EXPIRED = "expired"
    DEAD = "dead"  # used, replaced, or too many wrong attempts: ask for a new one


@dataclass(frozen=True)
class CodeCheck:
    code: OneTimeCode | None
    problem: CodeProblem | None

    @property
    def ok(self) -> bool:
        return self.problem is None


def _hash(user_id: int, purpose: str, code: str) -> str:
    return hashlib.sha256(f"{user_id}:{purpose}:{code.strip()}".encode()).hexdigest()


def _token_hash(token: str) -> str:
    return hashlib.sha256(f"reset:{token}".encode()).hexdigest()


def kill_open_codes(session: Session, user_id: int, purpose: CodePurpose) -> None:
    now = utcnow()
    session.execute(update(OneTimeCode)
                    .where(OneTimeCode.user_id == user_id, OneTimeCode.purpose == purpose.value,
                           OneTimeCode.used_at.is_(None), OneTimeCode.killed_at.is_(None))
                    .values(killed_at=now))


def issue_code(session: Session, user_id: int, purpose: CodePurpose, *, new_email: str | None = None) -> str:
    """A fresh six-digit code (returned in clear once, for the mail); older open codes die."""
    if purpose is CodePurpose.PASSWORD_RESET:
        raise ValueError("password resets use issue_reset_token (a link, not a code)")
    kill_open_codes(session, user_id, purpose)
    code = f"{secrets.randbelow(1_000_000):06d}"
    now = utcnow()
    session.add(OneTimeCode(user_id=user_id, purpose=purpose.value, secret_hash=_hash(user_id, purpose, code),
                            new_email=new_email, created_at=now, expires_at=now + LIFETIMES[purpose]))
    session.flush()
    return code


def check_code(session: Session, user_id: int, purpose: CodePurpose, code: str) -> CodeCheck:
    """Check ``code`` against the user's latest code of ``purpose``. A wrong try is counted
    (the caller commits it); the right one is marked used. The row is locked so two requests
    cannot both spend the same code or the same attempt."""
    row = session.scalar(select(OneTimeCode)
                         .where(OneTimeCode.user_id == user_id, OneTimeCode.purpose == purpose.value)
                         .order_by(OneTimeCode.id.desc()).limit(1).with_for_update())
    if row is None:
        return CodeCheck(None, CodeProblem.WRONG)
    now = utcnow()
    if row.used_at is not None or row.killed_at is not None:
        return CodeCheck(row, CodeProblem.DEAD)
    if not secrets.compare_digest(row.secret_hash, _hash(user_id, purpose, code)):
        row.attempts += 1
        if row.attempts >= MAX_ATTEMPTS:
            row.killed_at = now
        return CodeCheck(row, CodeProblem.WRONG)
    if now >= _aware(row.expires_at):
        return CodeCheck(row, CodeProblem.EXPIRED)
    row.used_at = now
    return CodeCheck(row, None)


def issue_reset_token(session: Session, user_id: int) -> str:
    """A password-reset link token (long, random); older open links stay valid until one is used."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(OneTimeCode(user_id=user_id, purpose=CodePurpose.PASSWORD_RESET.value, secret_hash=_token_hash(token),
                            created_at=now, expires_at=now + LIFETIMES[CodePurpose.PASSWORD_RESET]))
    session.flush()
    return token


def reset_token_row(session: Session, token: str, *, lock: bool = False) -> CodeCheck:
    query = select(OneTimeCode).where(OneTimeCode.secret_hash == _token_hash(token),
                                      OneTimeCode.purpose == CodePurpose.PASSWORD_RESET.value)
    row = session.scalar(query.with_for_update() if lock else query)
    if row is None:
        return CodeCheck(None, CodeProblem.WRONG)
    if row.used_at is not None or row.killed_at is not None:
        return CodeCheck(row, CodeProblem.DEAD)
    if utcnow() >= _aware(row.expires_at):
        return CodeCheck(row, CodeProblem.EXPIRED)
    return CodeCheck(row, None)
