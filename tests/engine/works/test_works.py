"""Works records on dossiers: the journey's grids, the decided flag, and the audit trail."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from engine.cases.models import Dossier
from engine.cases.rmp_financing import FinancingError, WorksLot, financing_of, inputs_document, save_financing
from engine.cases.works import (
    Works,
    WorksNotFound,
    add_works,
    delete_works,
    get_works,
    update_works,
    works_grids,
)
from engine.db import Database
from engine.workflow.models import AuditEvent


def make_dossier(session, number: str, dossier_type: str = "project_design", journey_id: int | None = None) -> Dossier:
    dossier = Dossier(number=number, type=dossier_type, title=f"Dossier {number}", journey_id=journey_id)
    session.add(dossier)
    session.flush()
    return dossier


def events(session, dossier_id: int) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.subject_type == "dossier",
                                                         AuditEvent.subject_id == dossier_id)
                                .order_by(AuditEvent.id)))


def test_works_follow_the_journey_and_move_to_the_decided_grid(db: Database) -> None:
    with db.transaction() as session:
        design = make_dossier(session, "PRJ-2026-00001")
        execution = make_dossier(session, "EXE-2026-00001", "execution", journey_id=design.id)
        other = make_dossier(session, "PRJ-2026-00002")
        roof = add_works(session, design, {"work_type": "roof_insulation", "quote_requested_on": dt.date(2026, 3, 2),
                                           "quote_amount": Decimal("18500.00")}, user_id=None)
        add_works(session, design, {"work_type": "windows", "building_part": "private"}, user_id=None)
        add_works(session, other, {"work_type": "heat_pump"}, user_id=None)
        roof_id = roof.id

    with db.transaction() as session:
        execution = session.get(Dossier, execution.id)
        grids = works_grids(session, execution)
        # the execution dossier shows the works of its journey, not those of another dossier
        assert [(r.works.work_type, r.dossier_number) for r in grids.advised] == [
            ("roof_insulation", "PRJ-2026-00001"), ("windows", "PRJ-2026-00001")]
        assert grids.decided == []

        works = get_works(session, execution, roof_id)
        changes = update_works(session, works, {"investment_decided": True, "offer_amount": Decimal("18250.00"),
                                                "offer_approved_on": dt.date(2026, 4, 15)}, user_id=None)
        assert changes["investment_decided"] == [False, True]
        assert changes["offer_amount"] == [None, "18250.00"]

    with db.transaction() as session:
        design = session.get(Dossier, design.id)
        grids = works_grids(session, design)
        assert [r.works.work_type for r in grids.advised] == ["windows"]
        assert [r.works.work_type for r in grids.decided] == ["roof_insulation"]
        assert grids.decided[0].works.offer_amount == Decimal("18250.00")


def test_every_change_is_audited_on_the_dossier(db: Database) -> None:
    with db.transaction() as session:
        dossier = make_dossier(session, "PRJ-2026-00003")
        works = add_works(session, dossier, {"work_type": "ventilation"}, user_id=None)
        assert update_works(session, works, {"work_type": "ventilation"}, user_id=None) == {}  # nothing changed
        update_works(session, works, {"quote_received_on": dt.date(2026, 5, 4)}, user_id=None)
        update_works(session, works, {"investment_decided": True}, user_id=None)
        works_id = works.id
        delete_works(session, works, user_id=None)

    with db.transaction() as session:
        trail = events(session, dossier.id)
        assert [e.kind for e in trail] == ["works_added", "works_changed", "works_decided", "works_deleted"]
        assert trail[1].detail["changes"] == {"quote_received_on": [None, "2026-05-04"]}
        assert trail[3].detail["record"]["work_type"] == "ventilation"
        assert trail[3].detail["record"]["quote_received_on"] == "2026-05-04"
        assert session.get(Works, works_id) is None


def test_works_of_another_journey_are_not_found(db: Database) -> None:
    with db.transaction() as session:
        one = make_dossier(session, "PRJ-2026-00004")
        two = make_dossier(session, "PRJ-2026-00005")
        works = add_works(session, one, {"work_type": "solar_panels"}, user_id=None)
        with pytest.raises(WorksNotFound):
            get_works(session, two, works.id)
        with pytest.raises(ValueError, match="not a works field"):
            update_works(session, works, {"dossier_id": two.id}, user_id=None)


def test_the_financing_simulation_is_kept_per_dossier_and_audited(db: Database) -> None:
    inputs = inputs_document([WorksLot("", common_cost=Decimal("250000"))], 1000, [37, 37, 26])
    with db.transaction() as session:
        dossier = make_dossier(session, "ADV-2026-00001", "advice")
        save_financing(session, dossier, inputs, "First rough simulation", user_id=None)
        save_financing(session, dossier, inputs, "First rough simulation", user_id=None)  # unchanged
        save_financing(session, dossier, inputs, "Discussed with the working group", user_id=None)
        with pytest.raises(FinancingError):
            save_financing(session, dossier, {**inputs, "lot_shares": [5000]}, None, user_id=None)

    with db.transaction() as session:
        record = financing_of(session, dossier.id)
        assert record is not None
        assert record.remarks == "Discussed with the working group"
        assert record.inputs["lot_shares"] == [37, 37, 26]
        trail = events(session, dossier.id)
        assert [e.kind for e in trail] == ["rmp_financing_saved", "rmp_financing_saved"]
        assert trail[1].detail["changed"] == ["remarks"]


@pytest.mark.parametrize(("signage", "asked", "late"), [
    (False, None, False),  # no street furniture needed
    (True, None, True),  # needed and never asked
    (True, dt.date(2026, 4, 2), False),  # 2026-04-02 -> 2026-06-01: 29 (rest of April) + 31 (May) = 60 days
    (True, dt.date(2026, 4, 3), True),  # 28 + 31 = 59 days: less than two months
    (True, dt.date(2026, 5, 15), True),  # 17 days ahead
])
def test_street_furniture_is_asked_two_months_ahead(signage: bool, asked: dt.date | None, late: bool) -> None:
    works = Works(work_type="wall_insulation", street_signage_needed=signage, public_lighting_removal_needed=False,
                  street_furniture_requested_on=asked, works_started_on=dt.date(2026, 6, 1))
    assert works.street_furniture_late is late


def test_contractor_must_be_a_contractor_organisation(db) -> None:
    import pytest

    from engine.cases.models import Dossier
    from engine.cases.works import add_works
    from engine.parties.models import Organisation
    from engine.workflow.errors import FormInvalid

    with db.transaction() as session:
        dossier = Dossier(number="EXE-2026-09999", type="execution", title="Roof")
        syndic = Organisation(name="Syndic Dubois", kind="syndic")
        roofer = Organisation(name="Dakwerken Janssens", kind="contractor")
        session.add_all([dossier, syndic, roofer])
        session.flush()
        for wrong in (syndic.id, 999_999):
            with pytest.raises(FormInvalid) as err, session.begin_nested():
                add_works(session, dossier, {"work_type": "roof_insulation", "contractor_id": wrong}, user_id=None)
            assert "contractor_id" in err.value.errors
        works = add_works(session, dossier, {"work_type": "roof_insulation", "contractor_id": roofer.id}, user_id=None)
        assert works.contractor_id == roofer.id
