"""The outside world, each part behind a small interface with an embedded default.

Each integration registers its service-task operators with :func:`register_operators`; the
engine only sees the registry."""

from __future__ import annotations

from engine.workflow.operators import OperatorRegistry


def register_operators(operators: OperatorRegistry) -> None:
    from integrations import bce, builtin
    from integrations import portal as portal_operators
    from integrations import syndic as syndic_operators
    from integrations.payments import operators as wallet_operators

    builtin.register(operators)
    bce.register(operators)
    portal_operators.register(operators)
    wallet_operators.register(operators)
    syndic_operators.register(operators)
