"""Deployed process versions (read-only; deploying is done with the CLI or the designer)."""

from __future__ import annotations

from flask import jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from engine.workflow.errors import NotFound
from engine.workflow.models import ProcessVersion
from webapp.api import api_bp
from webapp.api.auth import STAFF
from webapp.api.operation import operation
from webapp.api.schemas import (
    ProcessVersionArgs,
    ProcessVersionListArgs,
    ProcessVersionPageSchema,
    ProcessVersionSchema,
)
from webapp.api.util import load_query, paginate
from webapp.context import db_session


def _schema(include: set[str], many: bool = False) -> ProcessVersionSchema:
    return ProcessVersionSchema(many=many, exclude=() if "xml" in include else ("bpmn_xml",))


@api_bp.get("/process-versions")
@operation(tag="processes", summary="List deployed process versions, newest first", roles=STAFF,
           query=ProcessVersionListArgs, response=ProcessVersionPageSchema, errors=(422,))
def list_process_versions() -> ResponseReturnValue:
    args = load_query(ProcessVersionListArgs)
    query = select(ProcessVersion)
    if args.get("key"):
        query = query.where(ProcessVersion.key == args["key"])
    page = paginate(db_session(), query, ProcessVersion.id, args, descending=True)
    return jsonify(page.as_dict(_schema(args.get("include", set()), many=True).dump(page.items)))


@api_bp.get("/process-versions/<int:version_id>")
@operation(tag="processes", summary="One process version (its BPMN XML with ?include=xml)", roles=STAFF,
           query=ProcessVersionArgs, response=ProcessVersionSchema, errors=(404, 422))
def get_process_version(version_id: int) -> ResponseReturnValue:
    args = load_query(ProcessVersionArgs)
    version = db_session().get(ProcessVersion, version_id)
    if version is None:
        raise NotFound(f"Process version {version_id} does not exist.")
    return jsonify(_schema(args.get("include", set())).dump(version))
