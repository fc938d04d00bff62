"""Loading the shipped sample into the database: a KBO open-data full set in the official format
(integrations/bce/sample/kbo/, made-up enterprises with valid numbers), imported like any set, so
``bce_enterprises`` holds its lookup rows. Idempotent: a full set replaces what was there.
integrations/bce/sample/kbo_update/ is an update set to apply after it (docs/kbo.md)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from engine.parties.models import BceEnterprise
from integrations.bce.kbo.importer import KboImporter

SAMPLE = Path(__file__).resolve().parent / "sample" / "kbo"
SAMPLE_UPDATE = Path(__file__).resolve().parent / "sample" / "kbo_update"


def load_sample(session: Session, path: Path = SAMPLE) -> int:
    """Import the sample set inside the session's transaction; returns the number of enterprises
    (lookup rows) it holds."""
    summary = KboImporter(connection=session.connection()).run(path)
    for instance in list(session.identity_map.values()):  # lookup rows rewritten under the session's feet
        if isinstance(instance, BceEnterprise):
            session.expire(instance)
    return summary.lookup_rows
