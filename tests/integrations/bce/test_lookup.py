"""The BCE lookup: the local provider on the shipped KBO sample set, and the ``bce.lookup``
operator run by the engine from a service task (jobs eager)."""

from __future__ import annotations

from pathlib import Path

import pytest
from marshmallow import Schema, fields
from sqlalchemy import select

from engine import jobs
from engine.parties.enterprise_number import EnterpriseNumberError
from engine.workflow.models import Incident, InstanceStatus, ProcessInstance, ServiceCall, ServiceCallStatus
from engine.workflow.operators import OperatorError, OperatorRegistry
from engine.workflow.runtime import WorkflowEngine
from forms.registry import FormRegistry, field
from integrations import bce
from integrations.bce.operators import make_operator

DIAGRAM = Path(__file__).parent.parent / "diagrams" / "bce_lookup.bpmn"


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


def test_the_sample_holds_every_enterprise_the_tests_and_the_demo_name(db, sample):
    lookup = bce.LocalDatabaseLookup(db)
    assert sample == 16
    names = {number: lookup.lookup(number).name for number in (
        "0850.412.361", "0850.987.136", "0631.657.466", "0885.223.087", "0712.448.964", "0440.937.551",
        "0893.115.028", "0550.773.027", "0827.776.224", "0758.761.219", "0642.039.832", "0817.652.491")}
    assert names["0440.937.551"] == "Syndicus Van Rompaey"
    assert names["0642.039.832"] == "Warmtepompen Kempen"
    assert len(set(names.values())) == 12


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


def test_the_lookup_chooses_the_name_language_and_gives_the_codes(db, sample):
    lookup = bce.LocalDatabaseLookup(db)
    bilingual = lookup.lookup("0734.567.835")  # ACP Résidence Midi / VME Residentie Zuid, Brussels
    assert (bilingual.name, bilingual.name_language, bilingual.legal_form, bilingual.municipality,
            bilingual.street) == ("VME Residentie Zuid", "NL", "Vereniging van mede-eigenaars", "Brussel",
                                  "Boulevard du Midi")  # no Dutch street name: the French one
    french = lookup.lookup("0893115028")
    assert (french.legal_form, french.municipality, french.juridical_form, french.type_of_enterprise) == (
        "Société à responsabilité limitée", "Ixelles", "610", "2")
    person = lookup.lookup("0712.345.630")
    assert (person.name, person.type_of_enterprise, person.legal_form) == ("Janssens, Peter", "1", None)
