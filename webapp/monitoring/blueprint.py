"""The monitoring blueprint, guarded as a whole: managers (administrators pass every check)."""

from __future__ import annotations

from flask import Blueprint

from engine.access.models import Role
from webapp.auth import roles_guard

bp = Blueprint("monitoring", __name__, url_prefix="/monitoring")
bp.before_request(roles_guard(Role.MANAGER))
