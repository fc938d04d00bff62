"""Online payment providers of the wallet top-up (Bancontact, Maestro).

A provider opens a checkout and later confirms it with a *signed callback* to
``/portal/wallet/payments/callback``. The embedded default is :mod:`integrations.payments.simulated`:
a local checkout page, clearly a simulation, so the whole flow runs without any outside service.
A real provider (Mollie, Worldline, ...) implements :class:`PaymentProvider` and is chosen with
``GUICHET_PAYMENT_PROVIDER``."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from engine.config import Settings


@dataclass(frozen=True)
class Checkout:
    reference: str  # the provider's reference, unique: the callback names it
    redirect_url: str  # where the payer's browser goes to pay


class PaymentProvider(Protocol):
    name: str

    def create_payment(self, amount: Decimal, method: str, description: str, return_url: str) -> Checkout:
        """Open a checkout of ``amount`` EUR; the payer comes back to ``return_url`` afterwards."""
        ...


def provider_for(settings: Settings) -> PaymentProvider:
    from integrations.payments.simulated import SimulatedProvider

    if settings.payment_provider == "simulated":
        return SimulatedProvider()
    raise ValueError(f"unknown payment provider {settings.payment_provider!r}: set GUICHET_PAYMENT_PROVIDER=simulated")
