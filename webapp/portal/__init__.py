"""The portal of syndics and building managers (/portal): accounts, organisations and their
members, access requests, terms, the wallet. Every page goes through webapp/portal/context.py."""

from __future__ import annotations

from flask import Flask

from webapp.portal.blueprint import bp


def init_portal(app: Flask) -> None:
    from webapp.portal import home  # noqa: F401 - registers the routes on the blueprint

    app.register_blueprint(bp)
