"""Subtypes (seed 001 §5.2), journeys and follow-up numbers (§3.1.3), deactivation and deletion."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine.access.models import Role
from engine.access.users import create_user
from engine.cases.dossiers import DossierRefused, delete_dossier, open_dossier, set_dossier_active
from engine.cases.journeys import journey_by_stage, journey_dossiers
from engine.cases.models import Dossier, DossierPhase, DossierSubtype, DossierType
from engine.cases.subtypes import SEED_SUBTYPES, create_subtype, rename_subtype, seed_subtypes, set_subtype_active
from engine.db import Database
from engine.workflow.models import AuditEvent, HumanTask, HumanTaskState, InstanceStatus, ProcessInstance
from tests.engine.cases.support import deploy_all, make_engine


@pytest.fixture
def env(db: Database):
    engine = make_engine()
    with db.transaction() as session:
        deploy_all(session, engine)
        seed_subtypes(session)
        user = create_user(session, "anna@guichet.test", "Anna", "Correct-Horse-42", [Role.CASE_WORKER])
        user_id = user.id
    return engine, user_id


def _subtype(session, dossier_type: DossierType, code: str) -> DossierSubtype:
    return session.scalar(select(DossierSubtype).where(DossierSubtype.type == dossier_type.value,
                                                       DossierSubtype.code == code))


def test_seeding_is_idempotent_and_covers_every_type(db: Database) -> None:
    with db.transaction() as session:
        assert seed_subtypes(session) == len(SEED_SUBTYPES)
        assert seed_subtypes(session) == 0
        types = set(session.scalars(select(DossierSubtype.type).distinct()))
        assert types == {t.value for t in DossierType}
        green_roof = _subtype(session, DossierType.PREMIUMS, "green_roof")
        assert (green_roof.name_fr, green_roof.name("nl"), green_roof.journey_stage) == (
            "Toiture végétalisée", "Groendak", "follow_up")


def test_seeding_keeps_what_an_administrator_changed(db: Database) -> None:
    with db.transaction() as session:
        seed_subtypes(session)
        scan = _subtype(session, DossierType.REQUESTS_AND_LOANS, "thermal_scan")
        rename_subtype(session, scan.id, "Thermographie", "Thermografie", "Thermography", "advice")
        set_subtype_active(session, scan.id, False)
    with db.transaction() as session:
        seed_subtypes(session)
        scan = _subtype(session, DossierType.REQUESTS_AND_LOANS, "thermal_scan")
        assert (scan.name_fr, scan.active) == ("Thermographie", False)


def test_a_deactivated_subtype_cannot_be_chosen_but_stays_on_old_dossiers(db: Database, env) -> None:
    engine, user_id = env
    with db.transaction() as session:
        subtype = _subtype(session, DossierType.LOAN, "loan_0")
        old = open_dossier(session, engine, DossierType.LOAN, "Old loan", user_id=user_id, subtype_id=subtype.id)
        old_id, subtype_id = old.id, subtype.id
    with db.transaction() as session:
        set_subtype_active(session, subtype_id, False)
    with db.transaction() as session, pytest.raises(DossierRefused):
        open_dossier(session, engine, DossierType.LOAN, "New loan", user_id=user_id, subtype_id=subtype_id)
    with db.transaction() as session:
        assert session.get(Dossier, old_id).subtype.code == "loan_0"
        set_subtype_active(session, subtype_id, True)
    with db.transaction() as session:
        assert open_dossier(session, engine, DossierType.LOAN, "New loan", user_id=user_id,
                            subtype_id=subtype_id).subtype_id == subtype_id


def test_a_subtype_of_another_type_is_refused(db: Database, env) -> None:
    engine, user_id = env
    with db.transaction() as session:
        subtype = _subtype(session, DossierType.PREMIUMS, "green_roof")
        with pytest.raises(DossierRefused):
            open_dossier(session, engine, DossierType.LOAN, "Loan", user_id=user_id, subtype_id=subtype.id)


def test_an_administrator_creates_subtypes_with_unique_codes(db: Database) -> None:
    with db.transaction() as session:
        first = create_subtype(session, "advice", "Conseil pompe à chaleur", "Warmtepompadvies", "Heat pump advice",
                               "advice")
        second = create_subtype(session, "advice", "Conseil pompe à chaleur")
        assert (first.code, second.code) == ("conseil_pompe_a_chaleur", "conseil_pompe_a_chaleur_2")
        assert second.name("en") == "Conseil pompe à chaleur"  # falls back to French


def test_follow_ups_join_the_journey_with_numbers_derived_from_the_first(db: Database, env) -> None:
    engine, user_id = env
    with db.transaction() as session:
        root = open_dossier(session, engine, DossierType.INFORMATION, "Roof", user_id=user_id)
        advice = open_dossier(session, engine, DossierType.ADVICE, "Advice", user_id=user_id, follow_up_of=root)
        # A follow-up of a follow-up still hangs on the first dossier.
        loan = open_dossier(session, engine, DossierType.LOAN, "Loan", user_id=user_id, follow_up_of=advice)
        other = open_dossier(session, engine, DossierType.INFORMATION, "Other", user_id=user_id)
        assert advice.number == f"{root.number}/2"
        assert loan.number == f"{root.number}/3"
        assert advice.journey_id == loan.journey_id == root.id
        assert advice.journey_root_id == loan.journey_root_id == root.journey_root_id == root.id
        assert other.number != root.number and "/" not in other.number
        assert [d.id for d in journey_dossiers(session, loan)] == [root.id, advice.id, loan.id]
        groups = journey_by_stage(session, root)
        assert [(g.stage, [d.type for d in g.dossiers]) for g in groups] == [
            ("information", ["information"]), ("advice", ["advice"]), ("project_design", ["loan"])]


def test_deactivating_hides_and_is_audited(db: Database, env) -> None:
    engine, user_id = env
    with db.transaction() as session:
        dossier = open_dossier(session, engine, DossierType.INFORMATION, "Roof", user_id=user_id)
        set_dossier_active(session, dossier.id, False, user_id=user_id)
        assert dossier.active is False
        kinds = set(session.scalars(select(AuditEvent.kind).where(AuditEvent.subject_id == dossier.id,
                                                                   AuditEvent.subject_type == "dossier")))
        assert "dossier_deactivated" in kinds


def test_deleting_terminates_the_process_and_keeps_an_audit_event(db: Database, env) -> None:
    engine, user_id = env
    with db.transaction() as session:
        dossier = open_dossier(session, engine, DossierType.INFORMATION, "Roof", user_id=user_id)
        dossier_id, instance_id, number = dossier.id, dossier.process_instance_id, dossier.number
    with db.transaction() as session:
        assert delete_dossier(session, engine, dossier_id, user_id=user_id) == number
    with db.transaction() as session:
        assert session.get(Dossier, dossier_id) is None
        assert session.scalar(select(func.count()).select_from(DossierPhase)
                              .where(DossierPhase.dossier_id == dossier_id)) == 0
        assert session.get(ProcessInstance, instance_id).status == InstanceStatus.TERMINATED
        assert session.scalar(select(func.count()).select_from(HumanTask).where(
            HumanTask.instance_id == instance_id, HumanTask.state == HumanTaskState.READY)) == 0
        event = session.scalar(select(AuditEvent).where(AuditEvent.kind == "dossier_deleted"))
        assert (event.subject_type, event.subject_id, event.detail["number"]) == ("dossier", dossier_id, number)


def test_the_first_dossier_of_a_journey_with_follow_ups_cannot_be_deleted(db: Database, env) -> None:
    engine, user_id = env
    with db.transaction() as session:
        root = open_dossier(session, engine, DossierType.INFORMATION, "Roof", user_id=user_id)
        open_dossier(session, engine, DossierType.ADVICE, "Advice", user_id=user_id, follow_up_of=root)
        with pytest.raises(DossierRefused):
            delete_dossier(session, engine, root.id, user_id=user_id)
