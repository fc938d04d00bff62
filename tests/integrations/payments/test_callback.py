"""The callback endpoint ``/portal/wallet/payments/callback``: server to server (no session, no
CSRF token: CSRF is ON in these tests), trusted only for its signature; books the credit once."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from decimal import Decimal

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from engine.config import Settings
from engine.db import Database
from engine.payments import commands as payments
from engine.payments.models import PaymentIntent
from engine.wallet import ledger
from engine.wallet.models import WalletEntry
from integrations.payments.signature import HEADER, body, secret, sign
from tests.portal_support import organisation
from tests.webapp.support import build_app, use_fast_password_hashing

URL = "/portal/wallet/payments/callback"


@pytest.fixture
def app(settings: Settings, db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    use_fast_password_hashing(monkeypatch)
    yield build_app(settings, db, WTF_CSRF_ENABLED=True)


@pytest.fixture
def intent(db: Database) -> tuple[int, str]:
    with db.transaction() as session:
        org = organisation(session)
        started = payments.start_payment(session, org.id, "60.00", "bancontact", provider="simulated",
                                         provider_reference="SIM-TEST1", user_id=None)
        return started.wallet_id, started.provider_reference


def _post(client: FlaskClient, settings: Settings, data: bytes, signature: str | None = None) -> tuple[int, str]:
    headers = {HEADER: signature if signature is not None else sign(secret(settings), data)}
    response = client.post(URL, data=data, headers=headers, content_type="application/json")
    return response.status_code, response.get_data(as_text=True)


def _balance(db: Database, wallet_id: int) -> Decimal:
    with db.transaction() as session:
        return ledger.balance(session, wallet_id)


def test_paid_callback_books_once_and_a_replay_books_nothing(app: Flask, settings: Settings, db: Database,
                                                            intent: tuple[int, str]) -> None:
    wallet_id, reference = intent
    client = app.test_client()
    data = body(reference, "60.00", "paid")
    assert _post(client, settings, data) == (200, "booked")
    assert _post(client, settings, data) == (200, "already booked")  # the same body again
    assert _post(client, settings, body(reference, "60.00", "paid")) == (200, "already booked")  # a new nonce
    assert _balance(db, wallet_id) == Decimal("60.00")
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(WalletEntry)) == 1
        assert session.scalars(select(PaymentIntent)).one().status == "paid"


def test_tampered_callback_is_refused_and_logged(app: Flask, settings: Settings, db: Database,
                                                 intent: tuple[int, str], caplog: pytest.LogCaptureFixture) -> None:
    wallet_id, reference = intent
    client = app.test_client()
    genuine = body(reference, "60.00", "paid")
    forged = genuine.replace(b'"60.00"', b'"6000.00"')
    with caplog.at_level(logging.WARNING):
        status, text = _post(client, settings, forged, sign(secret(settings), genuine))
    assert status == 400 and "signature" in text
    assert any("payment callback refused" in r.getMessage() for r in caplog.records)
    assert _post(client, settings, genuine, "0" * 64)[0] == 400
    assert _post(client, settings, genuine, "")[0] == 400
    assert _balance(db, wallet_id) == Decimal("0.00")


def test_old_callback_is_refused(app: Flask, settings: Settings, db: Database, intent: tuple[int, str]) -> None:
    wallet_id, reference = intent
    old = body(reference, "60.00", "paid", timestamp=int(time.time()) - settings.payment_callback_window_s - 5)
    assert _post(app.test_client(), settings, old)[0] == 400
    assert _balance(db, wallet_id) == Decimal("0.00")


def test_signed_callback_with_another_amount_is_refused(app: Flask, settings: Settings, db: Database,
                                                        intent: tuple[int, str]) -> None:
    wallet_id, reference = intent
    status, text = _post(app.test_client(), settings, body(reference, "600.00", "paid"))
    assert status == 400 and "60.00" in text
    assert _balance(db, wallet_id) == Decimal("0.00")


def test_unknown_payment_is_404(app: Flask, settings: Settings, db: Database, intent: tuple[int, str]) -> None:
    assert _post(app.test_client(), settings, body("SIM-NOPE", "60.00", "paid"))[0] == 404


def test_cancelled_then_paid_is_refused(app: Flask, settings: Settings, db: Database, intent: tuple[int, str]) -> None:
    wallet_id, reference = intent
    client = app.test_client()
    assert _post(client, settings, body(reference, "60.00", "cancelled")) == (200, "cancelled")
    assert _post(client, settings, body(reference, "60.00", "paid"))[0] == 400
    assert _balance(db, wallet_id) == Decimal("0.00")
