"""Security headers on every response, HSTS only over HTTPS (or when forced), the trusted proxy,
and templates that the Content-Security-Policy does not have to weaken for: no inline script,
no on*= handler attribute, no javascript: URL."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from engine.config import Settings
from engine.db import Database
from tests.webapp.support import build_app
from webapp.security import CONTENT_SECURITY_POLICY

TEMPLATES = Path(__file__).resolve().parents[2] / "webapp" / "templates"

SCRIPT_TAG = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
# An attribute such as onclick= / onload= inside a tag (not "{% on ..." nor text like "based on=").
HANDLER_ATTRIBUTE = re.compile(r"<[a-zA-Z][^>]*?\s(on[a-z]+)\s*=", re.DOTALL)
JAVASCRIPT_URL = re.compile(r"""(href|src|action)\s*=\s*["']\s*javascript:""", re.IGNORECASE)
# Scripts that are data, never run: JSON islands read by the page's own script file.
DATA_TYPES = {"application/json", "application/ld+json"}


def _headers(app, path: str = "/login", **kwargs):  # type: ignore[no-untyped-def]
    return app.test_client().get(path, **kwargs).headers


def test_every_response_carries_the_security_headers(settings: Settings, db: Database) -> None:
    app = build_app(settings, db)
    for path in ("/login", "/portal/login", "/no-such-page", "/api/openapi.json"):
        headers = _headers(app, path)
        assert headers["X-Content-Type-Options"] == "nosniff", path
        assert headers["X-Frame-Options"] == "DENY", path
        assert headers["Referrer-Policy"] == "same-origin", path
        assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY, path
        assert "camera=()" in headers["Permissions-Policy"], path
        assert "geolocation=()" in headers["Permissions-Policy"], path
        assert "Strict-Transport-Security" not in headers, f"HSTS over plain HTTP on {path}"


def test_the_policy_allows_no_inline_or_foreign_script() -> None:
    directives = dict(d.strip().split(" ", 1) for d in CONTENT_SECURITY_POLICY.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"


def test_hsts_is_sent_on_https_requests(settings: Settings, db: Database) -> None:
    app = build_app(settings, db)
    headers = _headers(app, base_url="https://guichet.example")
    assert headers["Strict-Transport-Security"] == "max-age=31536000"


def test_hsts_can_be_forced_or_turned_off(settings: Settings, db: Database) -> None:
    forced = build_app(dataclasses.replace(settings, hsts="on", hsts_max_age_s=600), db)
    assert _headers(forced)["Strict-Transport-Security"] == "max-age=600"
    off = build_app(dataclasses.replace(settings, hsts="off"), db)
    assert "Strict-Transport-Security" not in _headers(off, base_url="https://guichet.example")


def test_forwarded_proto_is_believed_only_behind_a_declared_proxy(settings: Settings, db: Database) -> None:
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    direct = build_app(settings, db)
    assert "Strict-Transport-Security" not in _headers(direct, headers=forwarded)

    proxied = build_app(dataclasses.replace(settings, behind_proxy=1), db)

    @proxied.get("/_test/remote")
    def remote() -> str:  # the address the rate limiter and the logs see
        from flask import request

        return f"{request.remote_addr} {request.scheme}"

    response = proxied.test_client().get("/_test/remote", headers=forwarded)
    assert response.get_data(as_text=True) == "203.0.113.9 https"
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


@pytest.mark.parametrize("value, expected", [("0", 0), ("", 0), ("no", 0), ("yes", 1), ("1", 1), ("2", 2)])
def test_behind_proxy_setting(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, value: str, expected: int) -> None:
    monkeypatch.setenv("GUICHET_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("GUICHET_SECRET_KEY", "x" * 32)
    monkeypatch.setenv("GUICHET_BEHIND_PROXY", value)
    assert Settings.from_env().behind_proxy == expected


def _template_problems(path: Path, root: Path = TEMPLATES) -> list[str]:
    text = path.read_text(encoding="utf-8")
    name = path.relative_to(root)
    problems = []

    def line_of(offset: int) -> int:
        return text.count("\n", 0, offset) + 1

    for match in SCRIPT_TAG.finditer(text):
        attributes, body = match.group(1), match.group(2)
        kind = re.search(r"""type\s*=\s*["']([^"']+)""", attributes)
        if kind and kind.group(1).lower() in DATA_TYPES:
            continue
        if body.strip() or "src=" not in attributes:
            problems.append(f"{name}:{line_of(match.start())}: inline <script>")
    for match in HANDLER_ATTRIBUTE.finditer(text):
        problems.append(f"{name}:{line_of(match.start(1))}: event handler attribute {match.group(1)}=")
    for match in JAVASCRIPT_URL.finditer(text):
        problems.append(f"{name}:{line_of(match.start())}: javascript: URL")
    return problems


def test_no_template_needs_inline_script() -> None:
    templates = sorted(TEMPLATES.rglob("*.html"))
    assert len(templates) > 50
    problems = [problem for path in templates for problem in _template_problems(path)]
    assert not problems, "the CSP blocks these; move the code to webapp/static/js:\n" + "\n".join(problems)


def test_the_scanner_finds_what_it_looks_for(tmp_path: Path) -> None:
    bad = tmp_path / "bad.html"
    bad.write_text('<p>\n<script>alert(1)</script>\n<button class="x"\n onclick="go()">x</button>'
                   '<a href="javascript:go()">y</a><script src="/static/js/a.js"></script>'
                   '<script type="application/json" id="d">{"a": 1}</script>')
    problems = _template_problems(bad, tmp_path)
    assert problems == ["bad.html:2: inline <script>", "bad.html:4: event handler attribute onclick=",
                        "bad.html:4: javascript: URL"]
