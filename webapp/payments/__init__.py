"""The checkout page of the embedded, SIMULATED payment provider (integrations/payments/simulated).

It stands in for a bank's Bancontact/Maestro page so the whole top-up runs locally: "Pay" or
"Cancel" makes this server post the provider's signed callback to
``/portal/wallet/payments/callback`` (server to server, like a real provider), then sends the
payer back to the portal. No money moves; every page says so."""

from __future__ import annotations

import json
import logging
import threading
import urllib.error
import urllib.request
from typing import Any

from flask import Blueprint, Flask, abort, current_app, redirect, render_template, url_for
from flask_login import current_user

from engine.payments import commands as payments
from engine.payments.models import PaymentStatus
from engine.workflow.errors import NotFound
from integrations.payments.signature import HEADER, body, secret, sign
from integrations.payments.simulated import NAME
from webapp.auth.identity import login_manager
from webapp.context import db_session, services

bp = Blueprint("payments", __name__, url_prefix="/payments")
log = logging.getLogger(__name__)
CALLBACK_PATH = "/portal/wallet/payments/callback"


def _intent(reference: str) -> Any:
    """The simulated provider's payer is the account that started the payment: anyone else
    (another account, another organisation) gets 404, anonymous visitors the sign-in page."""
    try:
        intent = payments.intent_by_reference(db_session(), reference)
    except NotFound:
        abort(404)
    if intent.provider != NAME or intent.created_by_id != current_user.id:
        abort(404)
    return intent


@bp.before_request
def _signed_in() -> Any:
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


@bp.get("/simulated/<reference>")
def simulated_checkout(reference: str) -> Any:
    intent = _intent(reference)
    return render_template("payments/simulated.html", intent=intent, open=intent.status == PaymentStatus.CREATED)


def _post_callback(app: Flask, data: bytes, signature: str) -> tuple[int, str]:
    """Post the callback as the provider would. With ``payment_callback_base_url`` set, over HTTP;
    otherwise in-process through the WSGI app, in a thread of its own so that it runs in a fresh
    request context (its own session and no signed-in user), exactly like an outside call."""
    headers = {HEADER: signature, "Content-Type": "application/json"}
    base = services().settings.payment_callback_base_url.rstrip("/")
    if base:
        request = urllib.request.Request(base + CALLBACK_PATH, data=data, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()
    result: list[tuple[int, str]] = []

    def call() -> None:
        response = app.test_client().post(CALLBACK_PATH, data=data, headers=headers)
        result.append((response.status_code, response.get_data(as_text=True)))

    thread = threading.Thread(target=call, name="simulated-payment-callback")
    thread.start()
    thread.join(timeout=30)
    return result[0] if result else (504, "the callback did not answer")


def _finish(reference: str, status: PaymentStatus) -> Any:
    intent = _intent(reference)
    if intent.status == PaymentStatus.CREATED:
        data = body(reference, intent.amount, status.value)
        db_session().rollback()  # end our read transaction before the callback writes
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        code, text = _post_callback(app, data, sign(secret(services().settings), data))
        log.info("simulated payment %s %s: callback answered %s %s", reference, status, code, json.dumps(text))
        if code != 200:
            abort(502)
    return redirect(url_for("portal.wallet_payment_return", reference=reference))


@bp.post("/simulated/<reference>/pay")
def simulated_pay(reference: str) -> Any:
    return _finish(reference, PaymentStatus.PAID)


@bp.post("/simulated/<reference>/cancel")
def simulated_cancel(reference: str) -> Any:
    return _finish(reference, PaymentStatus.CANCELLED)
