"""Small diagrams for the designer's validation tests, written the way bpmn-js saves them."""

from __future__ import annotations

HEADER = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="http://t">
"""


def process(body: str, key: str = "p") -> str:
    return HEADER + f'<bpmn:process id="{key}" isExecutable="true">\n{body}\n</bpmn:process></bpmn:definitions>'


def user_task(task_id: str, form_key: str = "test.note", extra: str = "") -> str:
    return (
        f'<bpmn:userTask id="{task_id}" name="Task {task_id}"><bpmn:extensionElements><spiffworkflow:properties>'
        f'<spiffworkflow:property name="formKey" value="{form_key}"/>{extra}'
        "</spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>"
    )


def flow(flow_id: str, source: str, target: str, condition: str | None = None) -> str:
    if condition is None:
        return f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}"/>'
    return (
        f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}">'
        f"<bpmn:conditionExpression>{condition}</bpmn:conditionExpression></bpmn:sequenceFlow>"
    )


LINEAR = process(
    '<bpmn:startEvent id="s"/>' + flow("f1", "s", "t") + user_task("t") + flow("f2", "t", "e")
    + '<bpmn:endEvent id="e"/>'
)


def gateway(default: str | None = "f_no", yes_condition: str | None = "amount &gt; 10") -> str:
    default_attr = f' default="{default}"' if default else ""
    return process(
        '<bpmn:startEvent id="s"/>' + flow("f1", "s", "gw")
        + f'<bpmn:exclusiveGateway id="gw" name="Big?"{default_attr}/>'
        + flow("f_yes", "gw", "big", yes_condition) + flow("f_no", "gw", "small")
        + user_task("big") + user_task("small")
        + flow("f2", "big", "e") + flow("f3", "small", "e") + '<bpmn:endEvent id="e"/>'
    )
