"""The ``@operation`` decorator: role check + the description the OpenAPI document is built from.

Each API view is declared once, with its roles, query/body/response schemas and possible errors;
the role check and the OpenAPI entry cannot drift apart because they come from the same call.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from marshmallow import Schema

from engine.access.models import Role
from webapp.api.auth import require_roles

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class OperationDoc:
    tag: str
    summary: str
    description: str = ""
    roles: frozenset[Role] | None = None  # None: public
    query: type[Schema] | None = None
    body: type[Schema] | None = None
    body_description: str | None = None
    body_required: bool = True
    response: type[Schema] | None = None
    status: int = 200
    errors: tuple[int, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


def operation(
    *,
    tag: str,
    summary: str,
    roles: Iterable[Role] | None,
    description: str = "",
    query: type[Schema] | None = None,
    body: type[Schema] | None = None,
    body_description: str | None = None,
    body_required: bool = True,
    response: type[Schema] | None = None,
    status: int = 200,
    errors: Iterable[int] = (),
) -> Callable[[F], F]:
    """Declare an API view. ``roles=None`` makes it public (no token needed)."""
    doc = OperationDoc(
        tag=tag, summary=summary, description=description,
        roles=frozenset(roles) if roles is not None else None,
        query=query, body=body, body_description=body_description, body_required=body_required,
        response=response, status=status, errors=tuple(errors),
    )

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if doc.roles is not None:
                require_roles(doc.roles)
            return view(*args, **kwargs)

        wrapper._api_doc = doc  # type: ignore[attr-defined]
        wrapper._api_public = doc.roles is None  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate
