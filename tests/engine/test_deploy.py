"""Deploying: versions, idempotence, and refusals that say where and what to fix."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine.workflow.errors import DeploymentError
from engine.workflow.models import ProcessVersion

from .conftest import DIAGRAMS

HEADER = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="http://t">
"""


def one_task(task: str) -> str:
    return (
        HEADER
        + f"""<bpmn:process id="p" isExecutable="true">
  <bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
  <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>
  {task}
  <bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/>
  <bpmn:endEvent id="e"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
</bpmn:process></bpmn:definitions>"""
    )


def count_versions(db) -> int:
    with db.transaction() as s:
        return s.scalar(select(func.count(ProcessVersion.id)))


def refuse(db, engine, xml: str) -> DeploymentError:
    with pytest.raises(DeploymentError) as err, db.transaction() as s:
        engine.deploy(s, xml, "bad.bpmn")
    assert count_versions(db) == 0  # nothing stored
    return err.value


def test_versions_and_unchanged_redeploy(db, engine):
    xml = (DIAGRAMS / "review.bpmn").read_text()
    with db.transaction() as s:
        first = engine.deploy(s, xml, "review.bpmn", user_id=None)
        again = engine.deploy(s, xml, "review.bpmn")
        changed = engine.deploy(s, xml.replace("Enter amount", "Enter the amount"), "review.bpmn")
    assert (first.created, again.created, changed.created) == (True, False, True)
    assert again.version.id == first.version.id
    assert (first.version.version, changed.version.version) == (1, 2)
    assert first.version.checksum != changed.version.checksum


def test_running_instances_stay_on_their_version(db, engine):
    xml = (DIAGRAMS / "review.bpmn").read_text()
    with db.transaction() as s:
        engine.deploy(s, xml, "review.bpmn")
        old = engine.start(s, "review")
        engine.deploy(s, xml.replace("Enter amount", "Enter the amount"), "review.bpmn")
        new = engine.start(s, "review")
    assert (old.process_version.version, new.process_version.version) == (1, 2)


def test_not_xml(db, engine):
    err = refuse(db, engine, HEADER + "<bpmn:process id='p'>")
    (problem,) = err.problems
    assert problem.file == "bad.bpmn" and "not well-formed XML" in problem.message and problem.line


def test_schema_violation_names_the_line_and_element(db, engine):
    err = refuse(
        db,
        engine,
        one_task(
            '<bpmn:userTask id="t" bogus="1"><bpmn:incoming>f1</bpmn:incoming>'
            "<bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>"
        ),
    )
    (problem,) = err.problems
    assert "bogus" in problem.message and problem.line == 7 and problem.element_id == "t"


def test_unknown_form_key(db, engine):
    err = refuse(
        db,
        engine,
        one_task(
            '<bpmn:userTask id="t"><bpmn:extensionElements><spiffworkflow:properties>'
            '<spiffworkflow:property name="formKey" value="no.such.form"/></spiffworkflow:properties>'
            "</bpmn:extensionElements><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>"
        ),
    )
    (problem,) = err.problems
    assert problem.element_id == "t"
    assert "'no.such.form' is not registered" in problem.message


def test_user_task_without_form(db, engine):
    err = refuse(
        db,
        engine,
        one_task(
            '<bpmn:userTask id="t"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>'
        ),
    )
    assert err.problems[0].element_id == "t" and "formKey" in err.problems[0].message


def test_unknown_operator_and_bad_parameter(db, engine):
    err = refuse(
        db,
        engine,
        one_task(
            '<bpmn:serviceTask id="t"><bpmn:extensionElements>'
            '<spiffworkflow:serviceTaskOperator id="kbo.nope" resultVariable="r"><spiffworkflow:parameters/>'
            "</spiffworkflow:serviceTaskOperator>"
            "</bpmn:extensionElements><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:serviceTask>"
        ),
    )
    assert err.problems[0].element_id == "t"
    assert "'kbo.nope' is not registered" in err.problems[0].message and "test.lookup" in err.problems[0].message

    err = refuse(
        db,
        engine,
        one_task(
            '<bpmn:serviceTask id="t"><bpmn:extensionElements>'
            '<spiffworkflow:serviceTaskOperator id="test.lookup" resultVariable="r"><spiffworkflow:parameters>'
            '<spiffworkflow:parameter id="numbr" type="str" value="n"/></spiffworkflow:parameters>'
            "</spiffworkflow:serviceTaskOperator></bpmn:extensionElements>"
            "<bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:serviceTask>"
        ),
    )
    messages = " / ".join(p.message for p in err.problems)
    assert "unknown parameter 'numbr'" in messages and "missing required parameter 'number'" in messages


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("import os", "may not import"),
        ("x = (", "syntax error"),
        ("x = ().__class__", "invalid attribute name"),
    ],
)
def test_forbidden_scripts(db, engine, script, expected):
    err = refuse(
        db,
        engine,
        one_task(
            f'<bpmn:scriptTask id="t"><bpmn:incoming>f1</bpmn:incoming>'
            f"<bpmn:outgoing>f2</bpmn:outgoing><bpmn:script>{script}</bpmn:script></bpmn:scriptTask>"
        ),
    )
    assert err.problems[0].element_id == "t" and expected in err.problems[0].message


def test_no_executable_process(db, engine):
    err = refuse(
        db,
        engine,
        one_task(
            '<bpmn:task id="t"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:task>'
        ).replace('isExecutable="true"', 'isExecutable="false"'),
    )
    assert "isExecutable" in str(err)
