"""Messages from integration clients (a payment, a reply, a confirmation) to waiting instances."""

from __future__ import annotations

from flask import jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from engine.workflow.errors import InvalidMessage
from webapp.api import api_bp
from webapp.api.auth import MESSAGE_SENDERS, current_principal
from webapp.api.errors import ApiError
from webapp.api.operation import operation
from webapp.api.schemas import MessageResultSchema, MessageSchema
from webapp.api.util import load_body, run_command
from webapp.context import services


@api_bp.post("/messages")
@operation(tag="messages", summary="Deliver a BPMN message to the instances waiting for it",
           roles=MESSAGE_SENDERS, body=MessageSchema, response=MessageResultSchema,
           errors=(400, 404, 409, 422),
           description="Every waiting instance whose correlation matches receives it (only instance_id "
                       "when given). 404 when no instance waits for it; nothing is delivered then.")
def send_message() -> ResponseReturnValue:
    body = load_body(MessageSchema)
    user = current_principal()

    def deliver(session: Session) -> list[int]:
        try:
            return services().engine.correlate_message(
                session, body["name"], body["payload"], correlations=body["correlations"] or None,
                instance_id=body["instance_id"], user_id=user.id,
            )
        except InvalidMessage as exc:
            raise ApiError(422, str(exc), fields={"payload": [str(exc)]}) from exc

    return jsonify(MessageResultSchema().dump({"delivered": run_command(deliver, retry_stale=True)}))
