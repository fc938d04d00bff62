from __future__ import annotations


class AccountInvalid(ValueError):
    """What to fix, per form field (the web form shows each message next to its field)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors
