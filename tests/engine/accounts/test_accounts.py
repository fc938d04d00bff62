"""Account commands: sign-up, codes (single-use, expiring, 5 attempts, resend kills the old one),
e-mail change and password reset, each audited without secrets."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select, update

from engine.access.models import Role, User
from engine.access.passwords import verify_password
from engine.access.users import AccountNotActivated, authenticate, create_user
from engine.accounts import profile, signup
from engine.accounts.codes import MAX_ATTEMPTS, CodeProblem
from engine.accounts.errors import AccountInvalid
from engine.accounts.models import OneTimeCode
from engine.db import Database
from engine.notify import Notification
from engine.workflow.models import AuditEvent

PASSWORD = "Correct-Horse-42"


def _sign_up(db: Database, email: str = "sophie@syndic.test", username: str = "speeters") -> int:
    with db.transaction() as session:
        user_id = signup.sign_up(session, first_name="Sophie", last_name="Peeters", username=username,
                                 email=email, password=PASSWORD)
    assert user_id is not None
    return user_id


def _last_mail(db: Database, purpose: str) -> Notification:
    with db.transaction() as session:
        row = session.scalars(select(Notification).where(Notification.purpose == purpose)
                              .order_by(Notification.id.desc())).first()
        assert row is not None
        session.expunge(row)
        return row


def _code(db: Database, purpose: str = "account_activation") -> str:
    match = re.search(r"\b(\d{6})\b", _last_mail(db, purpose).body)
    assert match
    return match.group(1)


def _activate(db: Database, code: str, login: str = "sophie@syndic.test") -> CodeProblem | None:
    with db.transaction() as session:
        return signup.activate(session, login, code).problem


def test_sign_up_creates_an_inactive_portal_account_and_mails_a_code(db: Database) -> None:
    user_id = _sign_up(db, email=" Sophie@Syndic.test ")
    with db.transaction() as session:
        user = session.get(User, user_id)
        assert user is not None
        assert (user.kind, user.username, user.name, user.email) == ("portal", "speeters", "Sophie Peeters",
                                                                       "sophie@syndic.test")
        assert user.activated_at is None and user.roles == frozenset()
        stored = session.scalars(select(OneTimeCode.secret_hash)).one()
    code = _code(db)
    assert code not in stored  # only a hash is kept
    with db.transaction() as session, pytest.raises(AccountNotActivated):
        authenticate(session, "speeters", PASSWORD)


def test_username_proposal_is_ascii_and_unique(db: Database) -> None:
    with db.transaction() as session:
        assert signup.propose_username(session, "Élodie", "Van den Broeck") == "evandenbroeck"
    _sign_up(db)
    with db.transaction() as session:
        assert signup.propose_username(session, "Sophie", "Peeters") == "speeters2"
    with pytest.raises(AccountInvalid) as taken, db.transaction() as session:
        signup.sign_up(session, first_name="Serge", last_name="Peeters", username="SPeeters",
                       email="serge@syndic.test", password=PASSWORD)
    assert set(taken.value.errors) == {"username"}


def test_weak_password_is_refused_and_nothing_is_written(db: Database) -> None:
    with pytest.raises(AccountInvalid) as weak, db.transaction() as session:
        signup.sign_up(session, first_name="A", last_name="B", username="abcd", email="a@b.test", password="short")
    assert "password" in weak.value.errors
    with db.transaction() as session:
        assert session.scalars(select(User)).all() == []


def test_existing_email_gets_a_notice_not_a_new_account(db: Database) -> None:
    _sign_up(db)
    with db.transaction() as session:
        again = signup.sign_up(session, first_name="X", last_name="Y", username="other", email="sophie@syndic.test",
                               password=PASSWORD)
    assert again is None
    assert "forgot" in _last_mail(db, "account_exists").body.lower()
    with db.transaction() as session:
        assert session.scalar(select(User.id).where(User.username == "other")) is None


def test_activation_with_the_right_code_then_sign_in_by_username(db: Database) -> None:
    _sign_up(db)
    code = _code(db)
    assert _activate(db, code, login="speeters") is None
    assert _activate(db, code) is CodeProblem.WRONG  # used: the account is active, nothing to activate
    with db.transaction() as session:
        assert authenticate(session, "speeters", PASSWORD) is not None
        assert authenticate(session, "sophie@syndic.test", PASSWORD) is not None
        assert authenticate(session, "speeters", "Wrong-password-1") is None
        kinds = session.scalars(select(AuditEvent.kind).where(AuditEvent.subject_type == "user")).all()
        details = session.scalars(select(AuditEvent.detail)).all()
    assert "portal_signup" in kinds and "account_activated" in kinds
    assert all(code not in str(d) and PASSWORD not in str(d) for d in details)


def test_a_code_dies_after_five_wrong_attempts(db: Database) -> None:
    _sign_up(db)
    code = _code(db)
    wrong = "000000" if code != "000000" else "111111"
    assert [_activate(db, wrong) for _ in range(MAX_ATTEMPTS)] == [CodeProblem.WRONG] * MAX_ATTEMPTS
    assert _activate(db, code) is CodeProblem.DEAD  # the 6th attempt, even right, is refused


def test_an_expired_code_is_refused(db: Database) -> None:
    _sign_up(db)
    code = _code(db)
    with db.transaction() as session:
        session.execute(update(OneTimeCode).values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
    assert _activate(db, code) is CodeProblem.EXPIRED


def test_resend_kills_the_old_code(db: Database) -> None:
    _sign_up(db)
    old = _code(db)
    with db.transaction() as session:
        signup.resend_activation(session, "speeters")
    new = _code(db)
    if old != new:  # one chance in a million that the new code is the same six digits
        assert _activate(db, old) is CodeProblem.WRONG  # only the newest code is checked
    with db.transaction() as session:
        dead = session.scalars(select(OneTimeCode).order_by(OneTimeCode.id)).all()
        assert dead[0].killed_at is not None and dead[1].killed_at is None
    assert _activate(db, new) is None


def test_email_change_needs_the_code_sent_to_the_new_address(db: Database) -> None:
    user_id = _sign_up(db)
    _activate(db, _code(db))
    with db.transaction() as session:
        profile.request_email_change(session, user_id, "sophie.new@syndic.test")
    mail = _last_mail(db, "email_change")
    assert mail.recipient == "sophie.new@syndic.test"
    with db.transaction() as session:
        assert session.get(User, user_id).email == "sophie@syndic.test"  # unchanged until confirmed
    with db.transaction() as session:
        assert profile.confirm_email_change(session, user_id, _code(db, "email_change")).ok
    with db.transaction() as session:
        assert session.get(User, user_id).email == "sophie.new@syndic.test"
    notice = _last_mail(db, "email_changed")
    assert notice.recipient == "sophie@syndic.test" and "sophie.new@syndic.test" in notice.body


def test_password_change_needs_the_current_password(db: Database) -> None:
    user_id = _sign_up(db)
    with pytest.raises(AccountInvalid) as wrong, db.transaction() as session:
        profile.change_password(session, user_id, current="Not-the-password-1", new="Another-Horse-43")
    assert set(wrong.value.errors) == {"current_password"}
    with db.transaction() as session:
        profile.change_password(session, user_id, current=PASSWORD, new="Another-Horse-43")
    with db.transaction() as session:
        assert verify_password(session.get(User, user_id).password_hash, "Another-Horse-43")


def test_reset_link_is_single_use_kills_the_others_and_expires(db: Database) -> None:
    user_id = _sign_up(db)
    tokens: list[str] = []
    for _ in range(2):
        with db.transaction() as session:
            profile.request_password_reset(session, "sophie@syndic.test", tokens.append)
    first, second = tokens
    with db.transaction() as session:
        assert profile.reset_password(session, first, "Brand-New-Pass-1").ok
    with db.transaction() as session:
        assert profile.reset_password(session, first, "Again-New-Pass-2").problem is CodeProblem.DEAD
        assert profile.reset_password(session, second, "Again-New-Pass-2").problem is CodeProblem.DEAD
        assert verify_password(session.get(User, user_id).password_hash, "Brand-New-Pass-1")
    with db.transaction() as session:
        profile.request_password_reset(session, "sophie@syndic.test", tokens.append)
        session.execute(update(OneTimeCode).where(OneTimeCode.used_at.is_(None), OneTimeCode.killed_at.is_(None))
                        .values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)))
    with db.transaction() as session:
        assert profile.reset_password(session, tokens[-1], "Again-New-Pass-2").problem is CodeProblem.EXPIRED


def test_reset_for_an_unknown_address_sends_nothing(db: Database) -> None:
    with db.transaction() as session:
        profile.request_password_reset(session, "nobody@syndic.test", lambda t: t)
        assert session.scalars(select(Notification)).all() == []


def test_reset_is_for_portal_accounts_only(db: Database) -> None:
    with db.transaction() as session:
        create_user(session, "agent@guichet.test", "Agent", PASSWORD, {Role.CASE_WORKER})
    with db.transaction() as session:
        profile.request_password_reset(session, "agent@guichet.test", lambda t: t)
        assert session.scalars(select(Notification)).all() == []
