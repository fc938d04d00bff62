"""Labels in the request's language: Accept-Language first, then the token user's locale.

Form labels are flask_babel lazy strings; when Flask-Babel is configured on the app they are
rendered under the chosen locale, otherwise they are simply ``str()``-ed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import current_app, g, request

LANGUAGES = ("fr", "nl", "en")


def request_language() -> str | None:
    if request.accept_languages:
        best = request.accept_languages.best_match(LANGUAGES)
        if best:
            return best
    principal = g.get("api_principal")
    locale = getattr(principal, "locale", None)
    return locale if locale in LANGUAGES else None


@contextmanager
def request_locale() -> Iterator[None]:
    """Renders lazy strings in the request's language while active (no-op without Flask-Babel)."""
    language = request_language()
    if language is None or "babel" not in current_app.extensions:
        yield
        return
    from flask_babel import force_locale

    with force_locale(language):
        yield


def text(value: Any) -> str | None:
    return None if value is None else str(value)
