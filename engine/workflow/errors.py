"""Errors the engine raises to its callers; each message says what to do about it."""

from __future__ import annotations

from dataclasses import dataclass, field


class EngineError(Exception):
    """Base of every error the workflow engine reports to a caller."""


class NotFound(EngineError):
    pass


class ConflictError(EngineError):
    """Someone else changed the same instance or task first; nothing of this attempt was saved."""


class StaleInstance(ConflictError):
    """The instance changed since it was loaded. Retrying the whole command is safe."""


class TaskAlreadyDone(ConflictError):
    """The human task was completed or cancelled by someone else meanwhile."""


class InvalidState(EngineError):
    """The instance or task is not in a state that allows the action."""


class InvalidMessage(EngineError):
    """A message whose payload contradicts or lacks its correlation; nothing was delivered."""


class Forbidden(EngineError):
    pass


@dataclass
class FormInvalid(EngineError):
    """Submitted form data did not validate; ``errors`` maps field names to messages."""

    form_key: str
    errors: dict[str, list[str]] = field(default_factory=dict)

    def __str__(self) -> str:
        fields = ", ".join(sorted(self.errors))
        return f"The form {self.form_key} has errors in: {fields}"


@dataclass
class Problem:
    """One reason a diagram was refused at deploy time."""

    file: str
    element_id: str | None
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = self.file
        if self.line:
            where += f":{self.line}"
        if self.element_id:
            where += f" [{self.element_id}]"
        return f"{where}: {self.message}"


class DeploymentError(EngineError):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class MigrationRefused(InvalidState):
    """An instance cannot move to another process version; ``problems`` says why, one reason a
    line, in words a process designer understands. Nothing was changed."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("This case cannot move to the new version: " + "; ".join(self.problems) + ".")
