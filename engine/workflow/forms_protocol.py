"""What the engine needs from the form registry, without importing ``forms``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol


class FormValidator(Protocol):
    def has(self, form_key: str) -> bool: ...

    def validate(self, form_key: str, data: Mapping[str, Any]) -> dict[str, Any]:
        """Return the cleaned data or raise :class:`engine.workflow.errors.FormInvalid`."""
        ...
