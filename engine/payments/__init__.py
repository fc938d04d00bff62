"""Online top-ups of the wallet: a payment intent per checkout at a payment provider (Bancontact,
Maestro), credited to the wallet once the provider's signed callback confirms it (see
integrations/payments for the providers and the signature)."""
