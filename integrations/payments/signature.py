"""The signed body of a payment callback: HMAC-SHA256 over the canonical JSON of the fields
(provider reference, amount, status, timestamp, nonce), hex in the ``X-Guichet-Signature`` header.

Why each field: the signature stops a forged or altered body (compared in constant time); the
timestamp bounds how long a captured callback can be replayed (the window); the nonce makes two
callbacks of the same payment different texts. A replay inside the window still books nothing,
because the credit is idempotent by the provider reference (engine/payments/commands.py)."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from engine.config import Settings

HEADER = "X-Guichet-Signature"
FIELDS = ("reference", "amount", "status", "timestamp", "nonce")


class BadCallback(ValueError):
    """A callback that is not signed by our provider, too old, or malformed; nothing is booked."""


@dataclass(frozen=True)
class Callback:
    reference: str
    amount: Decimal
    status: str
    timestamp: int
    nonce: str


def secret(settings: Settings) -> bytes:
    """The configured secret, or one derived from the app's secret key (never empty)."""
    if settings.payment_secret:
        return settings.payment_secret.encode()
    return hmac.new(settings.secret_key.encode(), b"guichet-payment-callback", hashlib.sha256).digest()


def body(reference: str, amount: Decimal | str, status: str, *, timestamp: int | None = None,
         nonce: str | None = None) -> bytes:
    payload = {"reference": reference, "amount": f"{Decimal(amount):.2f}", "status": status,
               "timestamp": int(time.time()) if timestamp is None else timestamp,
               "nonce": nonce or secrets.token_hex(16)}
    return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()


def sign(key: bytes, data: bytes) -> str:
    return hmac.new(key, data, hashlib.sha256).hexdigest()


def verify(key: bytes, data: bytes, signature: str | None, *, window_s: int, now: float | None = None) -> Callback:
    """The callback in ``data`` when the signature matches and the timestamp is inside the window."""
    if not signature or not hmac.compare_digest(sign(key, data), signature.strip().lower()):
        raise BadCallback("the signature does not match the body")
    try:
        payload: Any = json.loads(data)
        callback = Callback(reference=str(payload["reference"]), amount=Decimal(str(payload["amount"])),
                            status=str(payload["status"]), timestamp=int(payload["timestamp"]),
                            nonce=str(payload["nonce"]))
    except (ValueError, KeyError, TypeError, InvalidOperation) as exc:
        raise BadCallback(f"the body is not a payment callback: {exc}") from None
    current = time.time() if now is None else now
    if abs(current - callback.timestamp) > window_s:
        raise BadCallback(f"the callback is {int(current - callback.timestamp)} s old; at most {window_s} s")
    return callback
