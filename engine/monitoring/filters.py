"""The filters every monitoring figure accepts (issue: "filters everywhere"): a period and the
dossier, queue and person dimensions. A query applies the ones that mean something for it and
ignores the others (a queue means nothing for the phase board of dossiers)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Scope:
    """``start`` is inclusive, ``end`` exclusive (both UTC); None means unbounded."""

    start: dt.datetime | None = None
    end: dt.datetime | None = None
    dossier_type: str | None = None
    subtype_id: int | None = None
    project: str | None = None  # Dossier.main_project code
    queue: str | None = None
    person_id: int | None = None

    def describe(self) -> dict[str, object]:
        """The filters in force, for export file headers and saved reports."""
        return {key: value for key, value in self.__dict__.items() if value is not None}
