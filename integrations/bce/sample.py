"""Loading the shipped sample of BCE enterprises into ``bce_enterprises`` (idempotent)."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from sqlalchemy.orm import Session

from engine.parties.enterprise_number import normalise
from engine.parties.models import BceEnterprise

SAMPLE = Path(__file__).resolve().parent / "sample" / "enterprises.csv"


def load_sample(session: Session, path: Path = SAMPLE) -> int:
    """Insert or update every row of the CSV; returns the number of rows. A row with an invalid
    enterprise number raises EnterpriseNumberError (the sample holds valid numbers only)."""
    count = 0
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            number = normalise(row["enterprise_number"])
            record = session.get(BceEnterprise, number) or BceEnterprise(enterprise_number=number)
            record.name = row["name"]
            for name in ("legal_form", "street", "house_number", "box", "postcode", "municipality"):
                setattr(record, name, row.get(name) or None)
            record.start_date = dt.date.fromisoformat(row["start_date"]) if row.get("start_date") else None
            record.status = "AC"
            session.add(record)
            count += 1
    session.flush()
    return count
