"""Cross-cutting protections: CSRF on every form, session cookie flags, security headers and the
rate limiter (used for the login form)."""

from __future__ import annotations

import datetime as dt

from flask import Flask, Response
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect

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


def _security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    return response


def init_security(app: Flask, settings: Settings) -> Limiter:
    csrf.init_app(app)
    app.after_request(_security_headers)
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
