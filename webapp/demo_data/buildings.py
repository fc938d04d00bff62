"""Demo buildings for the portal (idempotent, by building code): two client numbers, some read by
radio, some on site, some with remote reading, so access requests can be tried in ``make demo``
(a request for B90003 is refused at once: read on site)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.metering.models import Building

# (client number, code, name, street, number, radio, remote reading)
DEMO_BUILDINGS: list[tuple[str, str, str, str, str, bool, bool]] = [
    ("C100200", "B90001", "Résidence Dijle", "Grote Markt", "12", True, True),
    ("C100200", "B90002", "Résidence Zenne", "Bruul", "40", True, False),
    ("C100200", "B90003", "Résidence Kouter", "IJzerenleen", "7", False, False),
    ("C300300", "B90004", "Résidence Nete", "Hoogstraat", "88", True, True),
    ("C300300", "B90005", "Résidence Vesten", "Veemarkt", "3", False, False),
]


def load_demo_buildings(session: Session) -> int:
    existing = set(session.scalars(select(Building.code)))
    added = 0
    for client, code, name, street, number, radio, remote in DEMO_BUILDINGS:
        if code in existing:
            continue
        session.add(Building(client_number=client, code=code, name=name, street=street, house_number=number,
                             postcode="2800", municipality="Mechelen", radio_meters=radio, remote_reading=remote,
                             gateway_id=f"GW-{code}" if remote else None))
        added += 1
    session.flush()
    return added
