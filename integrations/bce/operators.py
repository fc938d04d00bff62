"""The ``bce.lookup`` service-task operator."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields

from engine.parties.enterprise_number import EnterpriseNumberError, format_number, normalise
from engine.workflow.operators import OperatorError, OperatorRegistry
from integrations.bce.lookup import EnterpriseLookup, EnterpriseNotFound, LocalDatabaseLookup


class LookupParams(Schema):
    number = fields.String(required=True)


def _worker_database() -> Any:
    from engine import jobs

    return jobs.runtime().db


def make_operator(provider: EnterpriseLookup) -> Any:
    def lookup(number: str) -> dict[str, Any]:
        try:
            record = provider.lookup(number)
        except EnterpriseNumberError as exc:
            raise OperatorError(
                f"bce.lookup: {number!r} is not a valid enterprise number ({exc.code}); expected format "
                "0123.456.789 — add a leading 0 to a 9-digit number"
            ) from exc
        if record is None:
            raise EnterpriseNotFound(f"bce.lookup: enterprise {format_number(normalise(number))} is not in the BCE")
        return record.as_json()

    return lookup


def register(operators: OperatorRegistry, provider: EnterpriseLookup | None = None) -> None:
    operators.register(
        "bce.lookup", make_operator(provider or LocalDatabaseLookup(_worker_database)), LookupParams,
        description="The BCE record (name, legal form, address) of an enterprise number.",
        max_retries=1,
    )
