"""The Flask web app: app factory, blueprints per area, templates, static files, REST API."""

from __future__ import annotations

from typing import Any

from flask import Flask

from webapp.bootstrap import Services, build_services
from webapp.context import close_db_session


def create_app(services: Services | None = None, config: dict[str, Any] | None = None) -> Flask:
    services = services or build_services()
    app = Flask(__name__, instance_path=str(services.settings.instance_path))
    app.config.update(SECRET_KEY=services.settings.secret_key)
    if config:
        app.config.update(config)
    app.extensions["guichet"] = services
    app.teardown_appcontext(close_db_session)

    from webapp.api import api_bp

    app.register_blueprint(api_bp)
    return app
