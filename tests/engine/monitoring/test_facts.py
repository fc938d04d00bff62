"""Dossier facts: declared in the forms, written when a task of a dossier completes, one row per
(dossier, name) with the latest value (an upsert on both databases)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from engine.cases.dossiers import open_dossier
from engine.cases.models import DossierType
from engine.config import Settings
from engine.db import Database
from engine.monitoring.facts import (
    DossierFact,
    FactRecorder,
    fact_columns,
    facts_of,
    install_fact_recorder,
    record_facts,
)
from engine.workflow.models import HumanTask, ProcessInstance
from forms import registry as shipped_forms
from tests.engine.monitoring import reports_support as data
from tests.webapp.support import deploy_information
from webapp.bootstrap import build_services


def test_values_land_in_the_column_of_their_kind() -> None:
    assert fact_columns(dt.date(2026, 3, 2)) == {"value_number": None, "value_date": dt.date(2026, 3, 2),
                                                 "value_text": None}
    assert fact_columns(dt.datetime(2026, 3, 2, 23, 30, tzinfo=dt.UTC))["value_date"] == dt.date(2026, 3, 2)
    assert fact_columns(Decimal("1200.456"))["value_number"] == Decimal("1200.46")
    assert fact_columns(15000)["value_number"] == Decimal("15000.00")
    assert fact_columns("  called_back ")["value_text"] == "called_back"
    assert fact_columns("x" * 500)["value_text"] == "x" * 200
    assert fact_columns(None) is None and fact_columns("") is None and fact_columns(["a"]) is None


def test_upsert_keeps_one_row_with_the_latest_value(db: Database) -> None:
    with db.transaction() as session:
        dossier_id = data.dossier(session, "premiums", created="2026-01-05").id
        assert record_facts(session, dossier_id, {"premium_granted_amount": Decimal("800"),
                                                  "decision_date": dt.date(2026, 1, 20), "note": None}) == 2
    with db.transaction() as session:
        record_facts(session, dossier_id, {"premium_granted_amount": Decimal("950.50")})
    with db.transaction() as session:
        assert facts_of(session, dossier_id) == {"premium_granted_amount": Decimal("950.50"),
                                                 "decision_date": dt.date(2026, 1, 20)}
        assert session.scalar(select(func.count()).select_from(DossierFact)) == 2


def test_a_fact_name_must_fit(db: Database) -> None:
    with db.transaction() as session:
        dossier_id = data.dossier(session, "premiums", created="2026-01-05").id
        with pytest.raises(ValueError, match="1 to 60 characters"):
            record_facts(session, dossier_id, {"x" * 61: 1})


def _task(form_key: str) -> HumanTask:
    return HumanTask(form_key=form_key, bpmn_id="t", name="t")


def test_recorder_keeps_the_declared_fields_of_a_dossier_task(db: Database) -> None:
    recorder = FactRecorder({"information.request": {"request_date": "request_date",
                                                     "first_action_date": "first_action_date"}})
    cleaned = {"request_date": dt.date(2026, 3, 2), "first_action_date": dt.date(2026, 3, 6),
               "question_summary": "Roof insulation"}
    with db.transaction() as session:
        dossier = data.dossier(session, "information", created="2026-03-02")
        instance = session.get(ProcessInstance, dossier.process_instance_id)
        recorder(session, instance, _task("information.request"), cleaned)
        recorder(session, instance, _task("information.answer"), {"answer": "Yes"})  # no facts declared
        other = ProcessInstance(subject_type="syndic", subject_id=dossier.id)  # not a dossier
        recorder(session, other, _task("information.request"), {"request_date": dt.date(2020, 1, 1)})
        ghost = ProcessInstance(subject_type="dossier", subject_id=dossier.id + 999)  # no such dossier
        recorder(session, ghost, _task("information.request"), cleaned)
    with db.transaction() as session:
        assert facts_of(session, dossier.id) == {"request_date": dt.date(2026, 3, 2),
                                                 "first_action_date": dt.date(2026, 3, 6)}
        assert session.scalar(select(func.count()).select_from(DossierFact)) == 2


def test_the_shipped_forms_declare_the_reported_facts() -> None:
    import forms.catalog  # noqa: F401 - registers the shipped forms

    mapping = shipped_forms.fact_mapping()
    assert mapping["information.request"] == {"request_date": "request_date", "first_action": "first_action",
                                              "first_action_date": "first_action_date"}
    assert mapping["premiums.decision"]["granted_amount"] == "premium_granted_amount"
    assert mapping["loan.decision"]["granted_amount"] == "loan_granted_amount"
    assert mapping["loan.collection"] == {"paid_out_amount": "loan_paid_out_amount"}
    assert "information.answer" not in mapping


def test_completing_the_information_request_records_its_facts(settings: Settings, db: Database) -> None:
    """Through the composition root: the shipped forms' facts, the engine's hook, the real diagram;
    a second completion of the same form (a correction) wins."""
    services = build_services(settings, db)
    deploy_information(services)
    form = {"question_types": ["technical_question"], "question_summary": "Roof insulation?",
            "request_date": "2026-03-02", "source": "phone", "first_action": "called_back",
            "first_action_date": "2026-03-06"}
    with db.transaction() as session:
        dossier = open_dossier(session, services.engine, DossierType.INFORMATION, "Roof", user_id=None)
        task = session.scalar(select(HumanTask).where(HumanTask.instance_id == dossier.process_instance_id,
                                                      HumanTask.form_key == "information.request"))
        services.engine.complete(session, task.id, form, user_id=None)
    with db.transaction() as session:
        assert facts_of(session, dossier.id) == {"request_date": dt.date(2026, 3, 2),
                                                 "first_action_date": dt.date(2026, 3, 6),
                                                 "first_action": "called_back"}
        # the same facts again from a later completion (here written as the hook would): one row each
        instance = session.get(ProcessInstance, dossier.process_instance_id)
        recorder = next(r for r in services.engine.on_task_completed if isinstance(r, FactRecorder))
        recorder(session, instance, _task("information.request"),
                 {"request_date": dt.date(2026, 3, 3), "first_action_date": dt.date(2026, 3, 9)})
    with db.transaction() as session:
        assert facts_of(session, dossier.id)["first_action_date"] == dt.date(2026, 3, 9)
        assert session.scalar(select(func.count()).select_from(DossierFact)) == 3
    # installing twice (a second build of the services) keeps one recorder
    install_fact_recorder(services.engine, shipped_forms.fact_mapping())
    assert sum(isinstance(r, FactRecorder) for r in services.engine.on_task_completed) == 1
