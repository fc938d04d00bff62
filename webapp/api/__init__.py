"""JSON REST API under /api, for integration clients.

Bearer-token authentication (auth.py), JSON errors only (errors.py), marshmallow schemas
(schemas.py), one module per resource, and the OpenAPI document at /api/openapi.json.
Every state change runs in one transaction through the workflow engine's commands.
"""

from flask import Blueprint

api_bp = Blueprint("api", __name__, url_prefix="/api")

# Importing the modules registers their routes and handlers on api_bp.
from webapp.api import (  # noqa: E402
    auth,
    errors,
    instances,
    messages,
    openapi,
    processes,
    tasks,
)

__all__ = ["api_bp", "auth", "errors", "instances", "messages", "openapi", "processes", "tasks"]
