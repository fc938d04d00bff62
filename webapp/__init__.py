"""The Flask web app: app factory, blueprints per area, templates, static files, REST API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, request
from flask_babel import format_date, format_datetime

from engine.access.models import Role
from webapp.bootstrap import Services, build_services
from webapp.context import close_db_session
from webapp.errors import register_error_handlers
from webapp.i18n import init_i18n, selected_language
from webapp.labels import register_label_filters
from webapp.ops import init_ops
from webapp.security import cookie_settings, csrf, init_security

HTMX = Path(__file__).resolve().parent / "static" / "vendor" / "htmx.min.js"


MAX_FILES_PER_REQUEST = 8


def create_app(services: Services | None = None, config: dict[str, Any] | None = None) -> Flask:
    services = services or build_services()
    settings = services.settings
    app = Flask(__name__, instance_path=str(settings.instance_path))
    app.config.update(
        SECRET_KEY=settings.secret_key,
        # a whole request may carry a few files of the largest size allowed, not more
        MAX_CONTENT_LENGTH=int(settings.upload_max_mb * 1024 * 1024 * MAX_FILES_PER_REQUEST) + 1024 * 1024,
        **cookie_settings(settings),
    )
    if config:
        app.config.update(config)
    app.extensions["guichet"] = services
    app.teardown_appcontext(close_db_session)
    init_ops(app, settings)  # request ids and logs, /healthz /readyz /metrics, static cache headers

    init_i18n(app, settings)
    init_security(app, settings)
    register_error_handlers(app)
    _register_blueprints(app, settings.login_rate_limit)
    _register_template_helpers(app)
    return app


def _register_blueprints(app: Flask, login_rate_limit: str) -> None:
    from webapp import admin, dossiers, home, tasks
    from webapp.api import api_bp
    from webapp.auth import init_auth
    from webapp.designer import bp as designer_bp
    from webapp.files import bp as files_bp
    from webapp.instances import bp as instances_bp
    from webapp.mail import bp as mail_bp
    from webapp.monitoring import bp as monitoring_bp
    from webapp.parties import bp as parties_bp
    from webapp.places import bp as places_bp
    from webapp.portal import init_portal
    from webapp.queues import bp as queues_bp
    from webapp.rmp import bp as rmp_bp
    from webapp.timeline import bp as timeline_bp
    from webapp.views import bp as views_bp
    from webapp.works import bp as works_bp

    init_auth(app, login_rate_limit)
    app.register_blueprint(home.bp)
    app.register_blueprint(tasks.bp)
    app.register_blueprint(queues_bp)  # queue pages, items I am working on, queue administration
    app.register_blueprint(dossiers.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(parties_bp)  # contacts, organisations, the dossier tab "Contacts"
    app.register_blueprint(works_bp)  # the Works and RMP Financing tabs
    app.register_blueprint(rmp_bp)  # the RMP tabs of an Advice dossier "Renovation master plan"
    app.register_blueprint(places_bp)  # site address from the address register, EPC; the Address tab
    app.register_blueprint(files_bp)  # the Files tab: upload, folders, download, deactivate, delete
    app.register_blueprint(timeline_bp)  # the Timeline tab: notes, phone calls, appointments
    app.register_blueprint(views_bp)  # list views: /views/<entity>, saved views, CSV/Excel exports
    app.register_blueprint(mail_bp)  # a mail's page and actions, the dossier tab "E-mails"
    app.register_blueprint(designer_bp)  # the process designer: modeler, validate, drafts, deploy, history
    app.register_blueprint(instances_bp)  # the instance viewer, interventions and the heat map per version
    app.register_blueprint(monitoring_bp)  # managers: phase board, dwell times, flow, workload, incidents, reports
    csrf.exempt(api_bp)  # the API authenticates with bearer tokens, not cookies
    from webapp.buildings import bp as buildings_bp

    app.register_blueprint(buildings_bp)  # back office: buildings per client number (read only)
    from webapp.accreditations import bp as accreditations_bp

    app.register_blueprint(accreditations_bp)  # back office: accreditations of portal accounts and organisations
    from webapp.syndic import bp as syndic_bp

    app.register_blueprint(syndic_bp)  # back office: syndic mandate requests, their confirmation, the fee table
    from webapp.finance import bp as finance_bp
    from webapp.payments import bp as payments_bp

    app.register_blueprint(finance_bp)  # back office: bank-statement import into the wallets
    app.register_blueprint(payments_bp)  # the simulated payment provider's checkout page
    from webapp.privacy import init_privacy

    init_privacy(app)  # access log (recorder + the DPO's search), a contact's data export and erasure
    init_portal(app)  # /portal: syndics and building managers (accounts, organisations, access, wallet)
    app.register_blueprint(api_bp)


def _template_context() -> dict[str, Any]:
    return {
        "current_locale": selected_language(),
        "here": request.full_path if request.query_string else request.path,
    }


def _register_template_helpers(app: Flask) -> None:
    from webapp.auth import BACK_OFFICE, CASE_HANDLERS

    register_label_filters(app)
    app.context_processor(_template_context)
    app.jinja_env.globals.update(Role=Role, BACK_OFFICE=BACK_OFFICE, CASE_HANDLERS=CASE_HANDLERS)
    app.jinja_env.filters["datetime"] = lambda value, fmt="short": format_datetime(value, fmt) if value else ""
    app.jinja_env.filters["date"] = lambda value, fmt="medium": format_date(value, fmt) if value else ""
    app.jinja_env.globals["htmx_available"] = HTMX.exists()
    app.jinja_env.globals["has_endpoint"] = lambda endpoint: endpoint in app.view_functions
