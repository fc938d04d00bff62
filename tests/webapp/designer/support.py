"""Diagrams built the way the designer's side panel writes them (webapp/static/js/designer/panel.js
and spiff-moddle.js): spiffworkflow:properties, spiffworkflow:serviceTaskOperator, bpmn:script,
bpmn:timerEventDefinition with a formal expression, bpmn:message references."""

from __future__ import annotations

HEADER = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" \
xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" \
xmlns:di="http://www.omg.org/spec/DD/20100524/DI" \
xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" \
xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="Definitions_1" targetNamespace="http://bpmn.io/schema/bpmn">
"""


def properties(**values: str) -> str:
    props = "".join(f'<spiffworkflow:property name="{k}" value="{v}" />' for k, v in values.items())
    return (f"<bpmn:extensionElements><spiffworkflow:properties>{props}</spiffworkflow:properties>"
            "</bpmn:extensionElements>")


def panel_diagram(key: str = "roof_check", form_key: str = "information.request", condition: str | None = "True",
                  phase: str = "file") -> str:
    """A process using every property the panel writes; ``condition=None`` leaves a gateway branch
    without a condition (the designer's favourite mistake)."""
    cond = (
        f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{condition}</bpmn:conditionExpression>'
        if condition is not None else ""
    )
    return HEADER + f"""<bpmn:process id="{key}" name="Roof check" isExecutable="true">
  {properties(dossierType="information")}
  <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
  <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="milestone" />
  <bpmn:intermediateThrowEvent id="milestone" name="File">{properties(phase=phase)}
    <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:intermediateThrowEvent>
  <bpmn:sequenceFlow id="f2" sourceRef="milestone" targetRef="register" />
  <bpmn:userTask id="register" name="Register the request">
    {properties(formKey=form_key, queue="energy", dueInWorkingDays="3")}
    <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>
  <bpmn:sequenceFlow id="f3" sourceRef="register" targetRef="echo" />
  <bpmn:serviceTask id="echo" name="Echo">
    <bpmn:extensionElements>
      <spiffworkflow:serviceTaskOperator id="util.echo" resultVariable="echoed">
        <spiffworkflow:parameters><spiffworkflow:parameter id="value" type="any" value="&quot;hello&quot;" />
        </spiffworkflow:parameters>
      </spiffworkflow:serviceTaskOperator>
    </bpmn:extensionElements>
    <bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing></bpmn:serviceTask>
  <bpmn:sequenceFlow id="f4" sourceRef="echo" targetRef="compute" />
  <bpmn:scriptTask id="compute" name="Compute" scriptFormat="python">
    <bpmn:incoming>f4</bpmn:incoming><bpmn:outgoing>f5</bpmn:outgoing>
    <bpmn:script>deadline = add_working_days(today(), 5)</bpmn:script></bpmn:scriptTask>
  <bpmn:sequenceFlow id="f5" sourceRef="compute" targetRef="gw" />
  <bpmn:exclusiveGateway id="gw" name="Answer needed?" default="f_no">
    <bpmn:incoming>f5</bpmn:incoming><bpmn:outgoing>f_yes</bpmn:outgoing><bpmn:outgoing>f_no</bpmn:outgoing>
  </bpmn:exclusiveGateway>
  <bpmn:sequenceFlow id="f_yes" sourceRef="gw" targetRef="wait">{cond}</bpmn:sequenceFlow>
  <bpmn:sequenceFlow id="f_no" sourceRef="gw" targetRef="reply" />
  <bpmn:intermediateCatchEvent id="wait" name="Two days">
    <bpmn:incoming>f_yes</bpmn:incoming><bpmn:outgoing>f6</bpmn:outgoing>
    <bpmn:timerEventDefinition id="timer_1">
      <bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"P2D"</bpmn:timeDuration>
    </bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
  <bpmn:sequenceFlow id="f6" sourceRef="wait" targetRef="end" />
  <bpmn:intermediateCatchEvent id="reply" name="Reply received">
    <bpmn:incoming>f_no</bpmn:incoming><bpmn:outgoing>f7</bpmn:outgoing>
    <bpmn:messageEventDefinition id="msg_def" messageRef="Message_reply" /></bpmn:intermediateCatchEvent>
  <bpmn:sequenceFlow id="f7" sourceRef="reply" targetRef="end" />
  <bpmn:endEvent id="end"><bpmn:incoming>f6</bpmn:incoming><bpmn:incoming>f7</bpmn:incoming></bpmn:endEvent>
</bpmn:process>
<bpmn:message id="Message_reply" name="reply_received" />
</bpmn:definitions>"""
