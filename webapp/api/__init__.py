"""JSON REST API under /api (placeholder until the API work lands)."""

from flask import Blueprint

api_bp = Blueprint("api", __name__, url_prefix="/api")
