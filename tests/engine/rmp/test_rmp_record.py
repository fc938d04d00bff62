"""The RMP record of an Advice dossier "Renovation master plan": saved per dossier, own
contribution computed, the rules that always hold, audited on the dossier."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from engine.cases.dossiers import delete_dossier, open_dossier
from engine.cases.models import Dossier, DossierType
from engine.cases.rmp import (
    CALENDAR_STEPS,
    RmpRecord,
    RmpRefused,
    is_rmp_dossier,
    rmp_record_of,
    rmp_timeline,
    save_rmp,
)
from engine.db import Database
from engine.workflow.models import AuditEvent
from tests.engine.cases.support import make_engine
from tests.engine.rmp.support import deploy_everything, subtype_id, worker

APPLICATION = {
    "association_name": "VME Residentie De Linde",
    "syndic_name": "Syndicus Janssens",
    "building_units": 24,
    "ga_decision_on": dt.date(2026, 3, 10),
    "application_submitted_on": dt.date(2026, 3, 20),
    "support_actions": ["energy_consumption", "building_plans", "energy_consumption"],
    "energy_data_requested_on": dt.date(2026, 3, 12),
    "quotes_received_on": dt.date(2026, 4, 15),
    "quotes_count": 3,
    "awarded_to": "Studiebureau Zuid",
    "awarded_on": dt.date(2026, 4, 30),
    "awarded_amount": Decimal("24000.00"),
    "veka_subsidy": Decimal("18000.00"),
    "contract_received": True,
    "contract_received_on": dt.date(2026, 5, 10),
}


@pytest.fixture
def opened(db: Database):
    engine = make_engine()
    with db.transaction() as session:
        deploy_everything(session, engine)
        user_id = worker(session)
        rmp = open_dossier(session, engine, DossierType.ADVICE, "RMP De Linde", user_id=user_id,
                           subtype_id=subtype_id(session, "advice", "renovation_master_plan"))
        plain = open_dossier(session, engine, DossierType.ADVICE, "Advice", user_id=user_id)
        interest = open_dossier(session, engine, DossierType.INFORMATION, "Interest", user_id=user_id,
                                subtype_id=subtype_id(session, "information", "renovation_master_plan"))
        return engine, rmp.id, plain.id, interest.id, user_id


def _kinds(session, dossier_id: int) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(
        AuditEvent.subject_type == "dossier", AuditEvent.subject_id == dossier_id,
        AuditEvent.kind.like("rmp_%")).order_by(AuditEvent.id)))


def test_only_the_rmp_advice_dossier_has_a_record(db: Database, opened) -> None:
    _engine, rmp_id, plain_id, interest_id, user_id = opened
    with db.transaction() as session:
        assert is_rmp_dossier(session.get(Dossier, rmp_id))
        assert not is_rmp_dossier(session.get(Dossier, plain_id))
        assert not is_rmp_dossier(session.get(Dossier, interest_id))
        for other in (plain_id, interest_id):
            with pytest.raises(RmpRefused):
                save_rmp(session, session.get(Dossier, other), "application", APPLICATION, user_id=user_id)


def test_the_own_contribution_is_computed_and_the_save_is_audited(db: Database, opened) -> None:
    _engine, rmp_id, _plain, _interest, user_id = opened
    with db.transaction() as session:
        changes = save_rmp(session, session.get(Dossier, rmp_id), "application", APPLICATION, user_id=user_id)
        assert changes["support_actions"] == [[], ["building_plans", "energy_consumption"]]
    with db.transaction() as session:
        record = rmp_record_of(session, rmp_id)
        assert record.own_contribution == Decimal("6000.00")
        assert record.support_actions == ["building_plans", "energy_consumption"]
        [event] = _kinds(session, rmp_id)
        assert (event.kind, event.actor_id) == ("rmp_application_saved", user_id)
        assert event.detail["own_contribution"] == "6000.00"
        assert event.detail["changes"]["awarded_amount"] == [None, "24000.00"]
        # the same data again changes nothing and writes nothing
        assert save_rmp(session, session.get(Dossier, rmp_id), "application", APPLICATION, user_id=user_id) == {}
        assert len(_kinds(session, rmp_id)) == 1
        # a lower subsidy: the own contribution follows
        save_rmp(session, session.get(Dossier, rmp_id), "application",
                 {**APPLICATION, "veka_subsidy": Decimal("12000")}, user_id=user_id)
    with db.transaction() as session:
        assert rmp_record_of(session, rmp_id).own_contribution == Decimal("12000.00")
        assert _kinds(session, rmp_id)[-1].detail == {
            "changes": {"veka_subsidy": ["18000.00", "12000"]}, "own_contribution": "12000.00"}


@pytest.mark.parametrize("change, message", [
    ({"veka_subsidy": Decimal("30000")}, "cannot exceed"),
    ({"awarded_amount": None}, "awarded amount before"),
    ({"contract_received": False}, "contract"),
    ({"awarded_on": dt.date(2026, 3, 1)}, "awarded_on cannot come before"),
])
def test_rules_that_always_hold(db: Database, opened, change, message) -> None:
    _engine, rmp_id, _plain, _interest, user_id = opened
    with db.transaction() as session, pytest.raises(RmpRefused, match=message):
        save_rmp(session, session.get(Dossier, rmp_id), "application", {**APPLICATION, **change}, user_id=user_id)
    with db.transaction() as session:
        assert rmp_record_of(session, rmp_id) is None


def test_the_elaboration_and_the_timeline(db: Database, opened) -> None:
    _engine, rmp_id, _plain, _interest, user_id = opened
    with db.transaction() as session:
        dossier = session.get(Dossier, rmp_id)
        save_rmp(session, dossier, "application", APPLICATION, user_id=user_id)
        save_rmp(session, dossier, "elaboration", {
            "owner_survey_done": True, "owner_survey_on": dt.date(2026, 6, 1),
            "elements_received": ["energy_audit", "building_survey"],
            "ga_preparation": "Invitation with the summary", "ga_date": dt.date(2026, 11, 20),
            "calendar": {"kick_off": {"planned": dt.date(2026, 5, 20), "actual": dt.date(2026, 5, 22)},
                         "final_plan": {"planned": "2026-12-15"}, "unknown": {"planned": "2026-01-01"}},
        }, user_id=user_id)
    with db.transaction() as session:
        record = rmp_record_of(session, rmp_id)
        assert record.elements_received == ["building_survey", "energy_audit"]
        assert set(record.calendar) == set(CALENDAR_STEPS)  # JSONB keeps no key order: read via clean_calendar
        assert record.calendar["kick_off"] == {"planned": "2026-05-20", "actual": "2026-05-22"}
        assert record.calendar["final_plan"] == {"planned": "2026-12-15", "actual": None}
        assert [e.kind for e in _kinds(session, rmp_id)] == ["rmp_application_saved", "rmp_elaboration_saved"]
        timeline = rmp_timeline(record)
        assert [item.on for item in timeline] == sorted(item.on for item in timeline)
        assert [(item.code, item.planned) for item in timeline][-3:] == [
            ("owner_survey_on", False), ("ga_date", False), ("calendar:final_plan", True)]
        assert timeline[0].code == "ga_decision_on"


def test_the_record_goes_with_the_dossier(db: Database, opened) -> None:
    engine, rmp_id, _plain, _interest, user_id = opened
    with db.transaction() as session:
        save_rmp(session, session.get(Dossier, rmp_id), "application", APPLICATION, user_id=user_id)
    with db.transaction() as session:
        delete_dossier(session, engine, rmp_id, user_id=user_id)
    with db.transaction() as session:
        assert session.scalar(select(RmpRecord.id)) is None
