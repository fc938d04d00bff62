"""Cross-cutting protections: CSRF on every form, session cookie flags, security headers, the
trusted reverse proxy (ProxyFix) and the rate limiter (used for the login form).

Headers on every response: a Content-Security-Policy without inline scripts (tests/security
checks the templates), nosniff, frame denial, a same-origin referrer, a Permissions-Policy that
turns off the browser features Guichet never uses, and Strict-Transport-Security on HTTPS
(docs/security.md explains GUICHET_HSTS and GUICHET_BEHIND_PROXY)."""

from __future__ import annotations

import datetime as dt
from functools import partial

from flask import Flask, Response, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from engine.config import Settings

csrf = CSRFProtect()

LIMITER_KEY = "guichet_limiter"

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "img-src 'self' data:",
    "style-src 'self' 'unsafe-inline'",  # bpmn-js sets inline styles on the diagram
    "script-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])

# Features no page of Guichet uses: a script injected despite the CSP still cannot reach them.
PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in (
    "accelerometer", "camera", "display-capture", "geolocation", "gyroscope", "magnetometer",
    "microphone", "midi", "payment", "usb", "serial", "bluetooth", "hid",
))


def cookie_settings(settings: Settings) -> dict[str, object]:
    return {
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": settings.secure_cookies,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": settings.secure_cookies,
        "PERMANENT_SESSION_LIFETIME": dt.timedelta(hours=12),
        # A case worker may keep a form open for a long time; the token stays tied to the session.
        "WTF_CSRF_TIME_LIMIT": 12 * 3600,
    }


def hsts_value(settings: Settings) -> str | None:
    """The Strict-Transport-Security value to send on this request, if any. Browsers ignore the
    header over plain HTTP, so "auto" sends it only on requests seen as HTTPS (directly, or through
    X-Forwarded-Proto from a trusted proxy); "on" is for TLS ending at a proxy not declared."""
    mode = settings.hsts
    if mode in {"0", "off", "no", "false"} or settings.hsts_max_age_s <= 0:
        return None
    if mode in {"1", "on", "yes", "true"} or request.is_secure:
        return f"max-age={settings.hsts_max_age_s}"
    return None


def _security_headers(settings: Settings, response: Response) -> Response:
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
    hsts = hsts_value(settings)
    if hsts:
        headers.setdefault("Strict-Transport-Security", hsts)
    return response


# URL parts that are secrets (a password-reset link's token): never written to a log line.
SECRET_VIEW_ARGS = frozenset({"token"})
REDACTED = "[redacted]"


def loggable_path() -> str:
    """The request's path for log lines, with secret URL parts (see SECRET_VIEW_ARGS) replaced:
    a reset link in a log would let whoever reads the logs take over the account."""
    path = request.path
    view_args = request.view_args or {}
    for name in SECRET_VIEW_ARGS & view_args.keys():
        value = str(view_args[name])
        if value:
            path = path.replace(value, REDACTED)
    return path


def trust_proxies(app: Flask, count: int) -> None:
    """Believe X-Forwarded-For/-Proto/-Host/-Prefix from ``count`` reverse proxies in front, so that
    the client address (rate limits, logs), HTTPS (HSTS, secure redirects) and URLs are right.
    Without proxies these headers are ignored: a client could forge them."""
    if count > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count,  # type: ignore[method-assign]
                                x_port=count, x_prefix=count)


def init_security(app: Flask, settings: Settings) -> Limiter:
    csrf.init_app(app)
    trust_proxies(app, settings.behind_proxy)
    app.after_request(partial(_security_headers, settings))
    limiter = Limiter(
        key_func=get_remote_address,
        storage_uri=settings.ratelimit_storage_url,
        strategy="fixed-window",
        headers_enabled=True,
    )
    limiter.init_app(app)
    app.extensions[LIMITER_KEY] = limiter
    return limiter


def limiter_of(app: Flask) -> Limiter:
    return app.extensions[LIMITER_KEY]
