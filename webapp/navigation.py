"""Small helpers for moving between pages."""

from __future__ import annotations

from urllib.parse import urlsplit


def safe_next_url(value: str | None) -> str | None:
    """``value`` when it is a path on this site, else None (no open redirects)."""
    if not value:
        return None
    value = value.strip()
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return None
    return value
