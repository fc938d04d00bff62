"""Cache headers for static files. Flask sends them with no max-age (every page view
revalidates every file). Now:

- every ``url_for('static', ...)`` carries ``?v=<content hash>`` (a fingerprint): such a request
  is cached for a year as immutable; a changed file gets a new URL;
- /static/vendor/ without a fingerprint (files the vendored libraries load themselves): a week,
  they change only when the front-end packages are upgraded;
- anything else: five minutes, then revalidated with its ETag.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from flask import Flask, Response, request

FINGERPRINT_ARG = "v"
YEAR_S = 365 * 24 * 3600
VENDOR_S = 7 * 24 * 3600
DEFAULT_S = 300


class Fingerprints:
    """Short content hashes of static files, recomputed when a file's mtime or size changes."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._cache: dict[str, tuple[tuple[int, int], str]] = {}

    def of(self, filename: str) -> str | None:
        path = (self.root / filename).resolve()
        if not path.is_relative_to(self.root):
            return None
        try:
            stat = path.stat()
        except OSError:
            return None
        key = (stat.st_mtime_ns, stat.st_size)
        cached = self._cache.get(filename)
        if cached and cached[0] == key:
            return cached[1]
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        self._cache[filename] = (key, digest)
        return digest


def max_age_for(filename: str, fingerprint: str | None, current: str | None) -> tuple[int, bool]:
    """(max-age, immutable) for a static request."""
    if fingerprint and current and fingerprint == current:
        return YEAR_S, True
    if filename.startswith("vendor/"):
        return VENDOR_S, False
    return DEFAULT_S, False


def init_static_cache(app: Flask) -> None:
    if not app.static_folder:
        return
    fingerprints = Fingerprints(Path(app.static_folder))

    def add_fingerprint(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint == "static" and FINGERPRINT_ARG not in values and "filename" in values:
            digest = fingerprints.of(str(values["filename"]))
            if digest:
                values[FINGERPRINT_ARG] = digest

    def cache_headers(response: Response) -> Response:
        if request.endpoint != "static" or response.status_code not in (200, 304):
            return response
        filename = str((request.view_args or {}).get("filename", ""))
        max_age, immutable = max_age_for(filename, request.args.get(FINGERPRINT_ARG),
                                         fingerprints.of(filename))
        response.cache_control.public = True
        response.cache_control.max_age = max_age
        response.cache_control.no_cache = None
        if immutable:
            response.cache_control.immutable = True
        return response

    app.url_defaults(add_fingerprint)
    app.after_request(cache_headers)
