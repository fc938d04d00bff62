"""``python -m tests.faults.fault_worker worker|beat …``: the ``guichet`` command line with the
fault tests' operators registered next to Guichet's own (integrations.register_operators is
wrapped before the composition root calls it)."""

from __future__ import annotations

import integrations
from engine.workflow.operators import OperatorRegistry
from tests.faults import operators as fault_operators

_register_guichet_operators = integrations.register_operators


def _register_all(registry: OperatorRegistry) -> None:
    _register_guichet_operators(registry)
    fault_operators.register(registry)


integrations.register_operators = _register_all

if __name__ == "__main__":
    from webapp.cli import cli

    cli(prog_name="guichet")
