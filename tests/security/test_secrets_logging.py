"""Secrets never reach the logs: sign-in (right and wrong password), portal sign-up and its
activation code, password reset (the link's token and the new password), API token creation and
use, and the payment callback (its signature and secret) run with every logger at DEBUG, and no
log record — message, arguments or extra fields — contains any of those secrets."""

from __future__ import annotations

import dataclasses
import logging
import re

import pytest
from flask import Flask

from engine.access.models import Role
from engine.config import Settings
from engine.db import Database
from engine.payments import commands as payments
from integrations.payments.signature import HEADER, body, secret, sign
from tests.portal_support import organisation
from tests.webapp.portal.account_support import last_code, last_link
from tests.webapp.support import build_app, create_user, use_fast_password_hashing
from webapp import create_app
from webapp.bootstrap import build_services
from webapp.cli import cli

PASSWORD = "Sturdy-Secret-Pass-91"
WRONG_PASSWORD = "Wrong-Secret-Pass-19"
NEW_PASSWORD = "Brand-New-Secret-77"
EMAIL = "sophie@syndic.test"
PAYMENT_SECRET = "payment-hmac-secret-0123456789"


def _record_text(record: logging.LogRecord) -> str:
    """Everything a handler or formatter could write: the message, its arguments, the
    exception, and every extra field."""
    parts = [record.getMessage(), repr(record.args), str(record.exc_text or "")]
    if record.exc_info and record.exc_info[1] is not None:
        parts.append(repr(record.exc_info[1]))
    standard = set(vars(logging.makeLogRecord({})))
    parts += [f"{key}={value!r}" for key, value in vars(record).items() if key not in standard]
    return "\n".join(parts)


def _assert_not_logged(records: list[logging.LogRecord], secrets: dict[str, str]) -> None:
    assert records, "nothing was logged: the test would prove nothing"
    leaks = [f"{label} in a {record.name} record: {record.getMessage()[:200]}"
             for record in records for label, value in secrets.items() if value and value in _record_text(record)]
    assert not leaks, "\n".join(leaks)


@pytest.fixture
def app(settings: Settings, db: Database, monkeypatch: pytest.MonkeyPatch) -> Flask:
    use_fast_password_hashing(monkeypatch)
    return build_app(dataclasses.replace(settings, payment_secret=PAYMENT_SECRET), db)


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    for name in ("guichet", "webapp", "engine", "integrations", "werkzeug", "flask_limiter"):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def test_back_office_sign_in_logs_no_password(app: Flask, db: Database, debug_logs: pytest.LogCaptureFixture) -> None:
    user = create_user(db, Role.CASE_WORKER, password=PASSWORD)
    client = app.test_client()
    assert client.post("/login", data={"email": user.email, "password": WRONG_PASSWORD}).status_code == 401
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    assert client.get("/").status_code == 200
    session_cookie = client.get_cookie("session")
    _assert_not_logged(debug_logs.records, {"password": PASSWORD, "wrong password": WRONG_PASSWORD,
                                           "session cookie": session_cookie.value if session_cookie else "",
                                           "secret key": app.config["SECRET_KEY"]})


def test_sign_up_activation_and_reset_log_no_code_token_or_password(
        app: Flask, settings: Settings, debug_logs: pytest.LogCaptureFixture) -> None:
    client = app.test_client()
    signup = {"first_name": "Sophie", "last_name": "Peeters", "username": "speeters", "email": EMAIL,
              "password": PASSWORD, "password_confirmation": PASSWORD}
    assert client.post("/portal/signup", data=signup).status_code == 302
    code = last_code(settings, EMAIL)
    wrong_code = "000000" if code != "000000" else "111111"
    client.post("/portal/activate", data={"login": EMAIL, "code": wrong_code})
    assert client.post("/portal/activate", data={"login": EMAIL, "code": code}).status_code == 302
    client.post("/portal/password/forgot", data={"email": EMAIL})
    link = last_link(settings, EMAIL)
    token = link.rstrip("/").rpartition("/")[2]
    assert len(token) >= 16
    assert client.get(link).status_code == 200
    done = client.post(link, data={"password": NEW_PASSWORD, "password_confirmation": NEW_PASSWORD})
    assert done.status_code in (200, 302)
    assert client.get(link).status_code == 410
    _assert_not_logged(debug_logs.records, {"password": PASSWORD, "new password": NEW_PASSWORD,
                                           "activation code": code, "wrong code": wrong_code,
                                           "reset token": token})


def test_api_token_creation_and_use_log_no_token(settings: Settings, db: Database, monkeypatch: pytest.MonkeyPatch,
                                                 debug_logs: pytest.LogCaptureFixture) -> None:
    use_fast_password_hashing(monkeypatch)
    app = create_app(build_services(settings, db), {"TESTING": True})
    runner = app.test_cli_runner()
    created = runner.invoke(cli, ["users", "create", "api@example.org", "--name", "KBO import", "--role",
                                  "administrator", "--password", PASSWORD], catch_exceptions=False)
    assert created.exit_code == 0, created.output
    result = runner.invoke(cli, ["tokens", "create", "api@example.org", "--name", "nightly"], catch_exceptions=False)
    token = result.output.strip().splitlines()[-1]
    assert re.fullmatch(r"gt_\S{20,}", token)
    client = app.test_client()
    assert client.get("/api/process-versions", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert client.get("/api/process-versions", headers={"Authorization": f"Bearer {token}x"}).status_code == 401
    _assert_not_logged(debug_logs.records, {"API token": token, "password": PASSWORD})


def test_payment_callback_logs_no_secret_or_signature(app: Flask, db: Database,
                                                       debug_logs: pytest.LogCaptureFixture) -> None:
    settings = app.extensions["guichet"].settings
    with db.transaction() as session:
        started = payments.start_payment(session, organisation(session).id, "60.00", "bancontact",
                                         provider="simulated", provider_reference="SIM-LOG1", user_id=None)
    data = body(started.provider_reference, "60.00", "paid")
    signature = sign(secret(settings), data)
    forged = data.replace(b'"60.00"', b'"6000.00"')
    client = app.test_client()

    def post(content: bytes) -> int:
        return client.post("/portal/wallet/payments/callback", data=content, headers={HEADER: signature},
                           content_type="application/json").status_code

    assert post(forged) == 400
    assert post(data) == 200
    _assert_not_logged(debug_logs.records, {"payment secret": PAYMENT_SECRET, "signature": signature,
                                           "secret key": settings.secret_key})
