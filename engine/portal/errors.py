"""Refusals of the portal's commands. Each carries a ``code`` (the web app shows a translated
sentence for it) and an English message that says what is missing or what to do instead."""

from __future__ import annotations

from engine.workflow.errors import EngineError


class PortalRefused(EngineError):
    """The command is not allowed in this state or for this person; nothing was changed."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
