"""Read-only administration lists; editing comes with the designer and account-management work."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from sqlalchemy import select
from sqlalchemy.orm import load_only

from engine.access.models import Role, User
from engine.workflow.models import ProcessVersion
from webapp.auth import DESIGNERS, require_roles
from webapp.context import db_session

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/users")
@require_roles(Role.ADMINISTRATOR)
def users() -> Any:
    accounts = db_session().scalars(select(User).order_by(User.name)).all()
    return render_template("admin/users.html", accounts=accounts)


@bp.get("/processes")
@require_roles(*DESIGNERS)
def processes() -> Any:
    versions = db_session().scalars(
        select(ProcessVersion)
        .options(load_only(ProcessVersion.key, ProcessVersion.version, ProcessVersion.name,
                           ProcessVersion.source_name, ProcessVersion.deployed_at))
        .order_by(ProcessVersion.key, ProcessVersion.version.desc())).all()
    return render_template("admin/processes.html", versions=versions)
