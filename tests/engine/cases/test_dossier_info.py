"""The general information of a dossier (seed 001 §3.2): source of the request, offer
presentation, main project and additional projects — set when opening, changed later (audited)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.access.models import Role
from engine.access.users import create_user
from engine.cases.dossier_info import OFFER_PRESENTATIONS, PROJECTS, DossierInfoRefused, change_dossier_info
from engine.cases.dossiers import open_dossier
from engine.cases.models import Dossier, DossierType
from engine.db import Database
from engine.workflow.models import AuditEvent
from tests.engine.cases.support import deploy_all, make_engine


@pytest.fixture
def env(db: Database):
    engine = make_engine()
    with db.transaction() as session:
        deploy_all(session, engine)
        user_id = create_user(session, "anna@guichet.test", "Anna", "Correct-Horse-42", [Role.CASE_WORKER]).id
    return engine, user_id


def _info_events(session, dossier_id: int) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(
        AuditEvent.subject_type == "dossier", AuditEvent.subject_id == dossier_id,
        AuditEvent.kind == "dossier_info_changed").order_by(AuditEvent.id)))


def test_the_code_lists_are_those_of_the_seed(db: Database) -> None:
    assert {"arsenaal_renovation", "condoreno", "fosster"} <= set(PROJECTS)
    assert len(set(PROJECTS)) == len(PROJECTS) and len(set(OFFER_PRESENTATIONS)) == len(OFFER_PRESENTATIONS)


def test_a_dossier_opens_with_its_general_information(db: Database, env) -> None:
    engine, user_id = env
    with db.transaction() as session:
        dossier = open_dossier(session, engine, DossierType.ADVICE, "Apartment in Arsenaal", user_id=user_id,
                               source="contact_form", offer_presentation="information_session",
                               main_project="arsenaal_renovation",
                               additional_projects=["condoreno", "condoreno", "fosster"])
        dossier_id = dossier.id
    with db.transaction() as session:
        dossier = session.get(Dossier, dossier_id)
        assert (dossier.source, dossier.offer_presentation, dossier.main_project, dossier.additional_projects) == (
            "contact_form", "information_session", "arsenaal_renovation", ["condoreno", "fosster"])


def test_without_general_information_the_fields_are_empty(db: Database, env) -> None:
    engine, user_id = env
    with db.transaction() as session:
        dossier_id = open_dossier(session, engine, DossierType.INFORMATION, "A question", user_id=user_id).id
    with db.transaction() as session:
        dossier = session.get(Dossier, dossier_id)
        assert (dossier.source, dossier.offer_presentation, dossier.main_project, dossier.additional_projects) == (
            None, None, None, [])


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"offer_presentation": "carrier_pigeon"}, "offer_presentation"),
    ({"main_project": "atlantis"}, "main_project"),
    ({"main_project": "condoreno", "additional_projects": ["atlantis"]}, "additional_projects"),
    ({"additional_projects": ["condoreno"]}, "additional_projects"),
    ({"main_project": "condoreno", "additional_projects": ["fosster", "condoreno"]}, "additional_projects"),
])
def test_wrong_general_information_is_refused_on_opening(db: Database, env, kwargs, field) -> None:
    engine, user_id = env
    with pytest.raises(DossierInfoRefused) as refused, db.transaction() as session:
        open_dossier(session, engine, DossierType.INFORMATION, "A question", user_id=user_id, **kwargs)
    assert refused.value.field == field
    with db.transaction() as session:
        assert session.scalar(select(Dossier.id)) is None


def test_changing_the_information_is_audited_with_old_and_new_values(db: Database, env) -> None:
    engine, user_id = env
    with db.transaction() as session:
        dossier_id = open_dossier(session, engine, DossierType.ADVICE, "Apartment", user_id=user_id,
                                  source="phone", main_project="arsenaal_renovation").id
    with db.transaction() as session:
        changes = change_dossier_info(session, dossier_id, source="phone", offer_presentation="website",
                                      main_project="arsenaal_renovation", additional_projects=["condoreno"],
                                      user_id=user_id)
    assert changes == {"offer_presentation": [None, "website"], "additional_projects": [[], ["condoreno"]]}
    with db.transaction() as session:
        dossier = session.get(Dossier, dossier_id)
        assert (dossier.offer_presentation, dossier.additional_projects) == ("website", ["condoreno"])
        [event] = _info_events(session, dossier_id)
        assert (event.actor_id, event.detail) == (user_id, {"changes": changes})
        assert event.instance_id == dossier.process_instance_id


def test_clearing_fields_and_saving_the_same_values(db: Database, env) -> None:
    engine, user_id = env
    with db.transaction() as session:
        dossier_id = open_dossier(session, engine, DossierType.ADVICE, "Apartment", user_id=user_id,
                                  source="email", offer_presentation="letter", main_project="condoreno",
                                  additional_projects=["fosster"]).id
    same = {"source": "email", "offer_presentation": "letter", "main_project": "condoreno",
            "additional_projects": ["fosster"]}
    with db.transaction() as session:
        assert change_dossier_info(session, dossier_id, **same, user_id=user_id) == {}
        assert _info_events(session, dossier_id) == []
    with db.transaction() as session:
        changes = change_dossier_info(session, dossier_id, source=None, offer_presentation="",
                                      main_project=None, additional_projects=[], user_id=user_id)
    assert changes == {"source": ["email", None], "offer_presentation": ["letter", None],
                       "main_project": ["condoreno", None], "additional_projects": [["fosster"], []]}
    with db.transaction() as session:
        dossier = session.get(Dossier, dossier_id)
        assert (dossier.source, dossier.offer_presentation, dossier.main_project, dossier.additional_projects) == (
            None, None, None, [])
        assert len(_info_events(session, dossier_id)) == 1


def test_a_refused_change_keeps_the_old_values(db: Database, env) -> None:
    engine, user_id = env
    with db.transaction() as session:
        dossier_id = open_dossier(session, engine, DossierType.ADVICE, "Apartment", user_id=user_id,
                                  main_project="condoreno").id
    with pytest.raises(DossierInfoRefused) as refused, db.transaction() as session:
        change_dossier_info(session, dossier_id, source=None, offer_presentation=None, main_project=None,
                            additional_projects=["fosster"], user_id=user_id)
    assert refused.value.field == "additional_projects"
    with db.transaction() as session:
        assert session.get(Dossier, dossier_id).main_project == "condoreno"
        assert _info_events(session, dossier_id) == []
