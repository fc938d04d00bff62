"""The signed payment callback: HMAC-SHA256 over the body, constant-time check, timestamp window."""

from __future__ import annotations

import json
import time
from decimal import Decimal

import pytest

from engine.config import Settings
from integrations.payments import provider_for
from integrations.payments.signature import BadCallback, body, secret, sign, verify
from integrations.payments.simulated import SimulatedProvider

KEY = b"k" * 32


def test_a_signed_recent_body_is_accepted() -> None:
    data = body("SIM-1", Decimal("60"), "paid")
    callback = verify(KEY, data, sign(KEY, data), window_s=600)
    assert (callback.reference, callback.amount, callback.status) == ("SIM-1", Decimal("60.00"), "paid")
    assert len(callback.nonce) == 32


def test_two_bodies_of_the_same_payment_differ_by_their_nonce() -> None:
    assert body("SIM-1", "60.00", "paid", timestamp=1) != body("SIM-1", "60.00", "paid", timestamp=1)


@pytest.mark.parametrize("field,value", [("amount", "6000.00"), ("status", "paid "), ("reference", "SIM-2")])
def test_a_tampered_body_is_refused(field: str, value: str) -> None:
    data = body("SIM-1", "60.00", "paid")
    signature = sign(KEY, data)
    payload = json.loads(data)
    payload[field] = value
    tampered = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    with pytest.raises(BadCallback, match="signature"):
        verify(KEY, tampered, signature, window_s=600)


def test_another_key_or_no_signature_is_refused() -> None:
    data = body("SIM-1", "60.00", "paid")
    with pytest.raises(BadCallback):
        verify(KEY, data, sign(b"other", data), window_s=600)
    with pytest.raises(BadCallback):
        verify(KEY, data, None, window_s=600)


def test_outside_the_window_is_refused_even_when_signed() -> None:
    old = body("SIM-1", "60.00", "paid", timestamp=int(time.time()) - 601)
    with pytest.raises(BadCallback, match="old"):
        verify(KEY, old, sign(KEY, old), window_s=600)
    future = body("SIM-1", "60.00", "paid", timestamp=int(time.time()) + 900)
    with pytest.raises(BadCallback):
        verify(KEY, future, sign(KEY, future), window_s=600)
    edge = body("SIM-1", "60.00", "paid", timestamp=1_000_000)
    assert verify(KEY, edge, sign(KEY, edge), window_s=600, now=1_000_599).reference == "SIM-1"


def test_a_signed_body_that_is_not_a_callback_is_refused() -> None:
    data = b'{"reference":"SIM-1"}'
    with pytest.raises(BadCallback, match="not a payment callback"):
        verify(KEY, data, sign(KEY, data), window_s=600)


def test_secret_is_configured_or_derived(settings: Settings) -> None:
    derived = secret(settings)
    assert derived and derived != settings.secret_key.encode()
    settings.payment_secret = "configured"
    assert secret(settings) == b"configured"


def test_the_simulated_provider_is_the_default(settings: Settings) -> None:
    provider = provider_for(settings)
    assert isinstance(provider, SimulatedProvider)
    checkout = provider.create_payment(Decimal("60.00"), "bancontact", "Wallet", "http://x/portal/wallet")
    assert checkout.reference.startswith("SIM-")
    assert checkout.redirect_url == f"/payments/simulated/{checkout.reference}"
    assert provider.create_payment(Decimal("60.00"), "maestro", "W", "/").reference != checkout.reference
    settings.payment_provider = "nope"
    with pytest.raises(ValueError, match="unknown payment provider"):
        provider_for(settings)
