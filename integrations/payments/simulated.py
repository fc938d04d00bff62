"""The embedded payment provider: a LOCAL SIMULATION of a checkout (no money moves).

Creating a payment gives a reference and the URL of the simulated checkout page
(webapp/payments, ``/payments/simulated/<reference>``), where the payer presses "Pay" or
"Cancel". The page then posts the signed callback to the portal, server side, as a real
provider would: the wallet is credited by the callback only, never by the payer's browser."""

from __future__ import annotations

import secrets
from decimal import Decimal

from integrations.payments import Checkout

NAME = "simulated"


class SimulatedProvider:
    name = NAME

    def create_payment(self, amount: Decimal, method: str, description: str, return_url: str) -> Checkout:
        # The checkout page reads the amount from the payment intent, and sends the payer back to
        # the portal's return page: nothing the browser could alter travels in the URL.
        reference = f"SIM-{secrets.token_hex(10).upper()}"
        return Checkout(reference=reference, redirect_url=f"/payments/simulated/{reference}")
