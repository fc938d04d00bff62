"""The registry of service-task operators.

An operator is a named function with a marshmallow schema for its parameters. Integrations
register theirs at start-up (``integrations/*/operators.py``); the engine only knows the names.
Operators must be idempotent: a worker may run one again after a crash or a retry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from marshmallow import Schema, ValidationError

from engine.workflow.errors import EngineError


class OperatorError(EngineError):
    pass


@dataclass(frozen=True)
class Operator:
    name: str
    func: Callable[..., Any]
    params: Schema
    description: str = ""
    max_retries: int = 3
    retry_backoff_s: float = 2.0


class OperatorRegistry:
    def __init__(self) -> None:
        self._operators: dict[str, Operator] = {}

    def register(
        self,
        name: str,
        func: Callable[..., Any],
        params: type[Schema] | Schema | None = None,
        *,
        description: str = "",
        max_retries: int = 3,
        retry_backoff_s: float = 2.0,
    ) -> Operator:
        if name in self._operators and self._operators[name].func is not func:
            raise OperatorError(f"operator {name!r} is already registered")
        schema = params() if isinstance(params, type) else (params or Schema())
        op = Operator(name, func, schema, description, max_retries, retry_backoff_s)
        self._operators[name] = op
        return op

    def __contains__(self, name: object) -> bool:
        return name in self._operators

    def get(self, name: str) -> Operator:
        try:
            return self._operators[name]
        except KeyError:
            raise OperatorError(f"no operator named {name!r} is registered") from None

    def names(self) -> list[str]:
        return sorted(self._operators)

    def check_params(self, name: str, given: set[str]) -> list[str]:
        """Problems with the parameter names a diagram passes to an operator."""
        op = self.get(name)
        fields = op.params.fields
        problems = [
            f"unknown parameter {p!r} (expected: {', '.join(sorted(fields)) or 'none'})"
            for p in sorted(given - set(fields))
        ]
        problems += [
            f"missing required parameter {p!r}" for p, f in sorted(fields.items()) if f.required and p not in given
        ]
        return problems

    def execute(self, name: str, params: dict[str, Any]) -> Any:
        op = self.get(name)
        try:
            loaded = op.params.load(params)
        except ValidationError as exc:
            raise OperatorError(f"invalid parameters for {name}: {exc.messages}") from exc
        return op.func(**loaded)
