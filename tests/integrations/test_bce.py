"""The BCE lookup: the local provider on the shipped sample, and the ``bce.lookup`` operator run
by the engine from a service task (jobs eager)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from marshmallow import Schema, fields
from sqlalchemy import select

from engine import jobs
from engine.parties.enterprise_number import EnterpriseNumberError, normalise
from engine.workflow.models import Incident, InstanceStatus, ProcessInstance, ServiceCall, ServiceCallStatus
from engine.workflow.operators import OperatorError, OperatorRegistry
from engine.workflow.runtime import WorkflowEngine
from forms.registry import FormRegistry, field
from integrations import bce
from integrations.bce.operators import make_operator

DIAGRAM = Path(__file__).parent / "diagrams" / "bce_lookup.bpmn"


class NoteForm(Schema):
    note = fields.String(load_default="", metadata=field("Note"))


@pytest.fixture
def sample(db):
    with db.transaction() as session:
        return bce.load_sample(session)


@pytest.fixture
def engine(db, settings):
    operators = OperatorRegistry()
    bce.register(operators)
    test_forms = FormRegistry()
    test_forms.register("test.note", NoteForm, "Note")
    wf_engine = WorkflowEngine(operators=operators, forms=test_forms)
    jobs.configure(settings)
    jobs.bind(db, wf_engine)
    with db.transaction() as session:
        wf_engine.deploy(session, DIAGRAM.read_text(), DIAGRAM.name)
    return wf_engine


def test_the_sample_holds_a_dozen_valid_numbers(sample):
    with bce.sample.SAMPLE.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert sample == len(rows) >= 12
    for row in rows:
        normalise(row["enterprise_number"])  # raises when a number is invalid


def test_loading_the_sample_twice_changes_nothing(db, sample):
    with db.transaction() as session:
        assert bce.load_sample(session) == sample


def test_local_lookup_finds_a_record_by_any_spelling(db, sample):
    lookup = bce.LocalDatabaseLookup(db)
    record = lookup.lookup("BE 0850 412 361")
    assert record is not None
    assert (record.name, record.legal_form, record.postcode, record.municipality) == (
        "VME Residentie Dijlezicht", "Vereniging van mede-eigenaars", "2800", "Mechelen")
    assert record.formatted_number == "0850.412.361"
    assert lookup.lookup("0202.239.951") is None  # valid, but not in the sample
    with pytest.raises(EnterpriseNumberError):
        lookup.lookup("0850.412.362")


def test_the_operator_explains_wrong_and_unknown_numbers(db, sample):
    operator = make_operator(bce.LocalDatabaseLookup(db))
    assert operator("0885223087")["name"] == "ACP Résidence Les Tilleuls"
    with pytest.raises(OperatorError, match="add a leading 0"):
        operator("885.223.087")
    with pytest.raises(bce.EnterpriseNotFound, match=r"0202\.239\.951 is not in the BCE"):
        operator("202239951".rjust(10, "0"))


def test_a_service_task_puts_the_record_in_the_case_data(db, engine, sample):
    with db.transaction() as session:
        instance = engine.start(session, "bce_lookup", data={"enterprise_number": "0850.412.361"})
    with db.transaction() as session:
        call = session.scalars(select(ServiceCall)).one()
        assert call.status == ServiceCallStatus.DONE
        company = engine.task_data(session.get(ProcessInstance, instance.id))["company"]
        assert company["name"] == "VME Residentie Dijlezicht"
        assert company["enterprise_number"] == "0850412361"
        assert company["street"] == "Haverwerf"
        assert company["start_date"] == "1993-04-01"


def test_an_unknown_number_ends_in_an_incident_that_says_why(db, engine, sample):
    with db.transaction() as session:
        instance = engine.start(session, "bce_lookup", data={"enterprise_number": "0202.239.951"})
    with db.transaction() as session:
        incident = session.scalars(select(Incident)).one()
        assert "0202.239.951 is not in the BCE" in incident.error
        assert session.get(ProcessInstance, instance.id).status == InstanceStatus.ERROR
