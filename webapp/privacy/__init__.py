"""Personal data, for the data-protection officer (managers and administrators): the access log
with its search and CSV export, a contact's data export (JSON, PDF) and erasure. Also the
recorder every view uses to log an access (``record_access``)."""

from __future__ import annotations

from flask import Flask

from webapp.privacy.recorder import record_access


def init_privacy(app: Flask) -> None:
    from webapp.privacy.recorder import init_recorder
    from webapp.privacy.views import bp

    init_recorder(app)
    app.register_blueprint(bp)


__all__ = ["init_privacy", "record_access"]
