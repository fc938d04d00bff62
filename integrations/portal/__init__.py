"""Operators of the portal access request process (bpmn/portal/access_request.bpmn): they run in
the worker, open their own transaction like every operator that writes (see integrations/bce),
and are idempotent because the engine module leaves a decided request alone."""

from __future__ import annotations

from marshmallow import Schema, fields

from engine import jobs
from engine.portal import access_requests
from engine.workflow.operators import OperatorRegistry


class _GrantParams(Schema):
    request_id = fields.Integer(required=True)


class _RefuseParams(Schema):
    request_id = fields.Integer(required=True)
    reason = fields.String(required=True)


def grant_access(request_id: int) -> str:
    with jobs.runtime().db.transaction() as session:
        return access_requests.grant_access(session, request_id)


def refuse_access(request_id: int, reason: str) -> str:
    with jobs.runtime().db.transaction() as session:
        return access_requests.refuse_access(session, request_id, reason)


def register(operators: OperatorRegistry) -> None:
    operators.register("portal.grant_access", grant_access, _GrantParams,
                       description="Link the organisation to the client number and buildings; mail the requester.")
    operators.register("portal.refuse_access", refuse_access, _RefuseParams,
                       description="Record the refusal of a portal access request; mail the reason.")
