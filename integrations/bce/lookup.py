"""The lookup interface and the local-database provider."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from engine.db import Database
from engine.parties.enterprise_number import format_number, normalise
from engine.parties.models import BceEnterprise
from engine.workflow.operators import OperatorError


class EnterpriseNotFound(OperatorError):
    """A valid number that the BCE does not know (or no longer lists as active)."""


@dataclass(frozen=True)
class EnterpriseRecord:
    enterprise_number: str  # 10 digits
    name: str
    legal_form: str | None = None
    street: str | None = None
    house_number: str | None = None
    box: str | None = None
    postcode: str | None = None
    municipality: str | None = None
    start_date: dt.date | None = None
    # From the KBO open data (integrations/bce/kbo): the codes behind the texts above.
    status: str = "AC"
    juridical_form: str | None = None  # e.g. 070, the co-ownership association (unconfirmed code)
    type_of_enterprise: str | None = None  # 1 natural person, 2 legal person
    name_language: str | None = None  # FR, NL, DE, EN

    @property
    def formatted_number(self) -> str:
        return format_number(self.enterprise_number)

    def as_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["start_date"] = self.start_date.isoformat() if self.start_date else None
        data["formatted_number"] = self.formatted_number
        return data

    def organisation_fields(self) -> dict[str, Any]:
        """The fields of an Organisation this record fills in."""
        return {name: getattr(self, name) for name in (
            "enterprise_number", "name", "legal_form", "street", "house_number", "box", "postcode", "municipality")}


class EnterpriseLookup(Protocol):
    def lookup(self, number: str) -> EnterpriseRecord | None:
        """The active enterprise with this number (any accepted spelling), or None. Raises
        EnterpriseNumberError for a number that is not a valid enterprise number."""
        ...


class LocalDatabaseLookup:
    """Reads the ``bce_enterprises`` table: one primary-key read of the row the KBO importer
    rebuilt (name, seat and legal form already chosen), which keeps a lookup under a millisecond.
    ``database`` is a Database or a function giving one (the worker's database is known only once
    the jobs are bound)."""

    def __init__(self, database: Database | Callable[[], Database]) -> None:
        self._database = database

    def _db(self) -> Database:
        return self._database if isinstance(self._database, Database) else self._database()

    def lookup(self, number: str) -> EnterpriseRecord | None:
        digits = normalise(number)
        with self._db().transaction() as session:
            row = session.get(BceEnterprise, digits)
            if row is None or row.status != "AC":
                return None
            return EnterpriseRecord(
                enterprise_number=row.enterprise_number, name=row.name, legal_form=row.legal_form,
                street=row.street, house_number=row.house_number, box=row.box, postcode=row.postcode,
                municipality=row.municipality, start_date=row.start_date, status=row.status,
                juridical_form=row.juridical_form, type_of_enterprise=row.type_of_enterprise,
                name_language=row.name_language,
            )
