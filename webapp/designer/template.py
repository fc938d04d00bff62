"""The diagram a new process starts from: one start event, one end event, already drawn, so the
modeler opens on something valid and the designer adds the steps in between."""

from __future__ import annotations

import re
from xml.sax.saxutils import quoteattr

KEY_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,99}$")


def new_process_xml(key: str, name: str) -> str:
    """A minimal executable process with its drawing; ``key`` must match :data:`KEY_PATTERN`."""
    if not KEY_PATTERN.match(key):
        raise ValueError(f"invalid process key {key!r}")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"
                  xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
                  xmlns:di="http://www.omg.org/spec/DD/20100524/DI"
                  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
                  id="Definitions_{key}" targetNamespace="https://guichet.example/bpmn">
  <bpmn:process id="{key}" name={quoteattr(name or key)} isExecutable="true">
    <bpmn:startEvent id="start">
      <bpmn:outgoing>flow_start</bpmn:outgoing>
    </bpmn:startEvent>
    <bpmn:sequenceFlow id="flow_start" sourceRef="start" targetRef="end"/>
    <bpmn:endEvent id="end">
      <bpmn:incoming>flow_start</bpmn:incoming>
    </bpmn:endEvent>
  </bpmn:process>
  <bpmndi:BPMNDiagram id="Diagram_{key}">
    <bpmndi:BPMNPlane id="Plane_{key}" bpmnElement="{key}">
      <bpmndi:BPMNShape id="start_di" bpmnElement="start">
        <dc:Bounds x="180" y="160" width="36" height="36"/>
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="end_di" bpmnElement="end">
        <dc:Bounds x="560" y="160" width="36" height="36"/>
      </bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="flow_start_di" bpmnElement="flow_start">
        <di:waypoint x="216" y="178"/>
        <di:waypoint x="560" y="178"/>
      </bpmndi:BPMNEdge>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""
