"""Running Guichet for real: health and readiness probes, Prometheus metrics, structured logs,
cache headers for static files (docs/deployment.md). :func:`init_ops` wires them into the app."""

from __future__ import annotations

from flask import Flask, Response, request

from engine.config import Settings
from webapp.ops.health import bp
from webapp.ops.logging import init_request_logging, request_duration_s
from webapp.ops.static_cache import init_static_cache


def init_ops(app: Flask, settings: Settings) -> None:
    """Call early in the app factory, so the request id and timer start before other hooks."""
    init_request_logging(app, settings.log_format)
    init_static_cache(app)
    app.register_blueprint(bp)
    _init_metrics(app)


def _init_metrics(app: Flask) -> None:
    # imported here, not at the top: prometheus_client must see PROMETHEUS_MULTIPROC_DIR first
    from webapp.ops import metrics

    metrics.install_task_counter(app.extensions["guichet"].engine)
    metrics.install_job_signals()

    def count_request(response: Response) -> Response:
        endpoint = request.url_rule.endpoint if request.url_rule is not None else "unmatched"
        metrics.observe_request(endpoint, request.method, response.status_code, request_duration_s())
        return response

    app.after_request(count_request)
