"""Portal accounts on the web: sign-up, activation, sign-in by username or e-mail, profile,
e-mail change, password change and reset, no user enumeration, rate limit and CSRF."""

from __future__ import annotations

import datetime as dt

from flask.testing import FlaskClient
from sqlalchemy import select, update

from engine.access.models import User
from engine.accounts.models import OneTimeCode
from engine.config import Settings
from engine.db import Database
from tests.webapp.portal.account_support import last_code, last_link, mails_to, outbox
from tests.webapp.support import build_app, csrf_token, page_text

PASSWORD = "Correct-Horse-42"
EMAIL = "sophie@syndic.test"


def _signup(client: FlaskClient, email: str = EMAIL, username: str = "speeters", **extra: str):
    data = {"first_name": "Sophie", "last_name": "Peeters", "username": username, "email": email,
            "password": PASSWORD, "password_confirmation": PASSWORD, **extra}
    return client.post("/portal/signup", data=data)


def _activated(client: FlaskClient, settings: Settings, email: str = EMAIL, username: str = "speeters") -> None:
    assert _signup(client, email, username).status_code == 302
    answer = client.post("/portal/activate", data={"login": email, "code": last_code(settings, email)})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/login")
    client.get("/login")  # shows (and so consumes) the "account is active" message


def _sign_in(client: FlaskClient, login: str, password: str = PASSWORD):
    return client.post("/login", data={"email": login, "password": password})


def test_sign_up_sends_a_code_and_the_account_waits_for_it(client: FlaskClient, settings: Settings,
                                                           db: Database) -> None:
    page = _signup(client)
    assert page.status_code == 302 and "/portal/activate" in page.headers["Location"]
    assert "nous avons envoyé un code" in page_text(client.get(page.headers["Location"])).lower()
    [mail] = mails_to(settings, EMAIL)
    assert "code" in mail["Subject"].lower()
    with db.transaction() as session:
        user = session.scalars(select(User).where(User.email == EMAIL)).one()
        assert (user.kind, user.username, user.activated_at) == ("portal", "speeters", None)
    refused = _sign_in(client, "speeters")  # right password, not activated: to the code page
    assert refused.status_code == 302 and refused.headers["Location"].endswith("/portal/activate")
    assert client.get("/portal/profile").status_code == 302  # not signed in


def test_an_empty_username_gets_a_proposal_and_a_taken_one_a_free_one(client: FlaskClient, settings: Settings) -> None:
    proposed = _signup(client, username="")
    assert proposed.status_code == 422
    assert 'value="speeters"' in proposed.get_data(as_text=True)
    assert outbox(settings) == []  # nothing created yet
    assert _signup(client).status_code == 302
    taken = _signup(client, email="serge@syndic.test")
    assert taken.status_code == 422
    assert "Ce nom d'utilisateur est déjà pris" in page_text(taken)
    assert 'value="speeters2"' in taken.get_data(as_text=True)


def test_form_errors_are_shown_next_to_the_fields(client: FlaskClient, db: Database) -> None:
    answer = _signup(client, email="not-an-address", password_confirmation="Something-Else-1")
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert 'data-testid="error-email"' in html and 'data-testid="error-password_confirmation"' in html
    with db.transaction() as session:
        assert session.scalars(select(User)).all() == []


def test_sign_up_with_a_used_address_answers_the_same_and_warns_the_owner(settings: Settings, db: Database) -> None:
    app = build_app(settings, db)
    first, second = app.test_client(), app.test_client()
    fresh = _signup(first)
    again = _signup(second, username="other")
    assert (fresh.status_code, fresh.headers["Location"]) == (again.status_code, again.headers["Location"])
    assert page_text(first.get(fresh.headers["Location"])) == page_text(second.get(again.headers["Location"]))
    warning = mails_to(settings, EMAIL)[-1]
    assert "mot de passe oublié" in warning.get_content().lower()


def test_activation_then_sign_in_by_username_and_by_email(client: FlaskClient, settings: Settings) -> None:
    _activated(client, settings)
    by_username = _sign_in(client, "speeters")
    assert by_username.status_code == 302
    assert client.get("/").headers["Location"].startswith("/portal")
    client.post("/logout")
    assert _sign_in(client, EMAIL).status_code == 302
    client.post("/logout")
    wrong = _sign_in(client, "speeters", "Wrong-password-1")
    assert wrong.status_code == 401
    assert "L'adresse e-mail ou le mot de passe est incorrect" in page_text(wrong)


def test_wrong_expired_reused_and_sixth_attempt_codes(client: FlaskClient, settings: Settings, db: Database) -> None:
    _signup(client)
    code = last_code(settings, EMAIL)
    wrong = "000000" if code != "000000" else "111111"
    answers = [client.post("/portal/activate", data={"login": EMAIL, "code": wrong}) for _ in range(5)]
    assert [a.status_code for a in answers] == [422] * 5
    assert "Ce code est erroné" in page_text(answers[0])
    sixth = client.post("/portal/activate", data={"login": EMAIL, "code": code})
    assert sixth.status_code == 422 and "ne peut plus être utilisé" in page_text(sixth)

    client.post("/portal/activate/resend", data={"login": EMAIL})  # a new code; the old one is dead
    fresh = last_code(settings, EMAIL)
    with db.transaction() as session:
        session.execute(update(OneTimeCode).where(OneTimeCode.killed_at.is_(None))
                        .values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
    expired = client.post("/portal/activate", data={"login": EMAIL, "code": fresh})
    assert expired.status_code == 422 and "a expiré" in page_text(expired)

    client.post("/portal/activate/resend", data={"login": EMAIL})
    newest = last_code(settings, EMAIL)
    assert client.post("/portal/activate", data={"login": EMAIL, "code": newest}).status_code == 302
    reused = client.post("/portal/activate", data={"login": EMAIL, "code": newest})
    assert reused.status_code == 422


def test_profile_edit_with_username_read_only(client: FlaskClient, settings: Settings, db: Database) -> None:
    _activated(client, settings)
    _sign_in(client, "speeters")
    page = client.get("/portal/profile")
    assert page.status_code == 200 and 'data-testid="username">speeters<' in page.get_data(as_text=True)
    assert 'name="username"' not in page.get_data(as_text=True)
    saved = client.post("/portal/profile", data={"first_name": "Sofie", "last_name": "Peeters", "phone": "02 123 45 67",
                                                  "locale": "nl", "username": "hacker"})
    assert saved.status_code == 302
    with db.transaction() as session:
        user = session.scalars(select(User).where(User.email == EMAIL)).one()
        assert (user.name, user.phone, user.locale, user.username) == ("Sofie Peeters", "02 123 45 67", "nl",
                                                                       "speeters")
    assert "Mijn profiel" in page_text(client.get("/portal/profile"))
    blank = client.post("/portal/profile", data={"first_name": "", "last_name": "Peeters", "locale": "fr"})
    assert blank.status_code == 422 and 'data-testid="error-first_name"' in blank.get_data(as_text=True)


def test_email_change_goes_through_a_code_at_the_new_address(client: FlaskClient, settings: Settings,
                                                             db: Database) -> None:
    _activated(client, settings)
    _sign_in(client, "speeters")
    new = "sophie.peeters@syndic.test"
    assert client.post("/portal/profile/email", data={"new_email": new}).status_code == 302
    assert f'data-testid="email">{EMAIL}<' in client.get("/portal/profile").get_data(as_text=True)
    bad = client.post("/portal/profile/email/confirm", data={"code": "abc"})
    assert bad.status_code == 422
    done = client.post("/portal/profile/email/confirm", data={"code": last_code(settings, new)})
    assert done.status_code == 302
    assert f'data-testid="email">{new}<' in client.get("/portal/profile").get_data(as_text=True)
    assert new in mails_to(settings, EMAIL)[-1].get_content()  # the old address is told


def test_password_change_needs_the_current_one(client: FlaskClient, settings: Settings) -> None:
    _activated(client, settings)
    _sign_in(client, "speeters")
    wrong = client.post("/portal/profile/password", data={"current_password": "Not-it-at-all-1",
                                                          "new_password": "Another-Horse-43",
                                                          "password_confirmation": "Another-Horse-43"})
    assert wrong.status_code == 422 and 'data-testid="error-current_password"' in wrong.get_data(as_text=True)
    ok = client.post("/portal/profile/password", data={"current_password": PASSWORD, "new_password": "Another-Horse-43",
                                                       "password_confirmation": "Another-Horse-43"})
    assert ok.status_code == 302
    client.post("/logout")
    assert _sign_in(client, "speeters").status_code == 401
    assert _sign_in(client, "speeters", "Another-Horse-43").status_code == 302


def test_reset_flow_single_use_and_expired_link(client: FlaskClient, settings: Settings, db: Database) -> None:
    _activated(client, settings)
    client.post("/portal/password/forgot", data={"email": EMAIL})
    first = last_link(settings, EMAIL)
    client.post("/portal/password/forgot", data={"email": EMAIL})
    second = last_link(settings, EMAIL)
    assert client.get(first).status_code == 200
    done = client.post(first, data={"password": "Brand-New-Pass-1", "password_confirmation": "Brand-New-Pass-1"})
    assert done.status_code == 302
    assert client.get(first).status_code == 410  # used
    assert client.get(second).status_code == 410  # killed with it
    assert _sign_in(client, "speeters", "Brand-New-Pass-1").status_code == 302
    client.post("/logout")
    client.post("/portal/password/forgot", data={"email": EMAIL})
    third = last_link(settings, EMAIL)
    with db.transaction() as session:
        session.execute(update(OneTimeCode).values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)))
    assert client.get(third).status_code == 410


def test_reset_request_answers_the_same_for_any_address(client: FlaskClient, settings: Settings) -> None:
    _activated(client, settings)
    known = client.post("/portal/password/forgot", data={"email": EMAIL})
    unknown = client.post("/portal/password/forgot", data={"email": "nobody@syndic.test"})
    assert known.status_code == unknown.status_code == 200
    assert page_text(known) == page_text(unknown)
    assert mails_to(settings, "nobody@syndic.test") == []


def test_activation_attempts_are_rate_limited(client: FlaskClient) -> None:
    statuses = [client.post("/portal/activate", data={"login": EMAIL, "code": "123456"}).status_code
                for _ in range(11)]
    assert statuses[:10] == [422] * 10
    assert statuses[10] == 429


def test_account_forms_refuse_a_post_without_csrf_token(settings: Settings, db: Database) -> None:
    client = build_app(settings, db, WTF_CSRF_ENABLED=True).test_client()
    data = {"first_name": "Sophie", "last_name": "Peeters", "username": "speeters", "email": EMAIL,
            "password": PASSWORD, "password_confirmation": PASSWORD}
    assert client.post("/portal/signup", data=data).status_code == 400
    assert outbox(settings) == []
    token = csrf_token(client, "/portal/signup")
    assert client.post("/portal/signup", data={**data, "csrf_token": token}).status_code == 302
    assert client.post("/portal/password/forgot", data={"email": EMAIL}).status_code == 400
    assert client.post("/portal/activate", data={"login": EMAIL, "code": "123456"}).status_code == 400


def test_sign_ups_are_rate_limited(client: FlaskClient) -> None:
    statuses = [_signup(client, email=f"p{n}@syndic.test", username=f"person{n}").status_code for n in range(11)]
    assert statuses == [302] * 10 + [429]
