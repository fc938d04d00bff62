"""What Guichet needs from a directory: check a password and say who the person is."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


class DirectoryError(Exception):
    """A sign-in the directory did not accept."""


class UnknownUser(DirectoryError):
    """The directory has no (single) entry for this login."""


class WrongPassword(DirectoryError):
    """The entry exists; the password is not its password."""


class DirectoryUnavailable(DirectoryError):
    """The directory did not answer (down, timeout) or refused the service account."""


@dataclass(frozen=True)
class DirectoryUser:
    dn: str
    email: str
    name: str
    groups: frozenset[str] = field(default_factory=frozenset)  # group DNs


class Directory(Protocol):
    def authenticate(self, login: str, password: str) -> DirectoryUser:
        """The person whose ``login`` and ``password`` these are; raises :class:`UnknownUser`,
        :class:`WrongPassword` or :class:`DirectoryUnavailable`."""
        ...
