"""The designer's blueprint, guarded as a whole: process designers (administrators pass every check)."""

from __future__ import annotations

from flask import Blueprint

from webapp.auth import DESIGNERS, roles_guard

bp = Blueprint("designer", __name__, url_prefix="/designer")
bp.before_request(roles_guard(*DESIGNERS))
