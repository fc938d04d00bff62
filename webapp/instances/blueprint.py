"""The instance viewer's blueprint, guarded as a whole: process designers and managers
(administrators pass every check). Who may see case data is decided per view (:mod:`.access`)."""

from __future__ import annotations

from flask import Blueprint

from engine.access.models import Role
from webapp.auth import roles_guard

VIEWERS = (Role.PROCESS_DESIGNER, Role.MANAGER)

bp = Blueprint("instances", __name__, url_prefix="/instances")
bp.before_request(roles_guard(*VIEWERS))
