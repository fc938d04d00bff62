"""Errors of the wallet; each message says what is wrong and what to do."""

from __future__ import annotations

from decimal import Decimal

from engine.workflow.errors import ConflictError, EngineError


class WalletError(EngineError):
    pass


class InvalidAmount(WalletError):
    """An amount that is not positive, has more than two decimals or is under the minimum."""


class InsufficientFunds(WalletError):
    """A debit that would take the balance below zero; nothing was written."""

    def __init__(self, balance: Decimal, amount: Decimal) -> None:
        self.balance = balance
        self.amount = amount
        self.missing = amount - balance
        super().__init__(f"insufficient funds: the balance is {balance:.2f} EUR, {amount:.2f} EUR is needed; "
                         f"top up at least {self.missing:.2f} EUR")


class ReferenceConflict(ConflictError, WalletError):
    """The reference was already booked with another amount: a replay must repeat the same amount."""
