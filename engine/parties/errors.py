"""Errors of the parties area; the web app turns each into a message in the reader's language."""

from __future__ import annotations

from typing import Any

from engine.workflow.errors import EngineError


class PartyError(EngineError):
    pass


class DuplicateOrganisation(PartyError):
    """An organisation with this enterprise number exists already (active or not)."""

    def __init__(self, existing: Any) -> None:
        super().__init__(f"organisation {existing.id} already has enterprise number {existing.enterprise_number}")
        # plain values: the session is rolled back (and the object expired) before anyone reads them
        self.existing_id: int = existing.id
        self.existing_name: str = existing.name


class PartyInUse(PartyError):
    """Deleting is refused while the contact or organisation is involved in dossiers."""

    def __init__(self, dossier_count: int) -> None:
        super().__init__(f"involved in {dossier_count} dossier(s): remove it from them, merge or deactivate it")
        self.dossier_count = dossier_count


class InvolvementRefused(PartyError):
    """``code``: ``no_party`` (neither or both of contact and organisation), ``unknown_role``,
    ``inactive`` (a deactivated party), ``already`` (same party, same role, same dossier),
    ``same`` (merging a record with itself)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code
