"""Templates escape what users typed: autoescape is on for every .html template, user input shows
as text on real pages, and every way around escaping (``|safe``, ``Markup(``, ``autoescape
false``) is listed in VETTED with the reason it cannot carry user input."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask

from engine.access.models import Role
from engine.cases.models import Dossier
from engine.config import Settings
from engine.db import Database
from tests.webapp.support import build_app, create_user, login, use_fast_password_hashing

ROOT = Path(__file__).resolve().parents[2]
PAYLOAD = '<script>alert("x")</script><img src=x onerror=alert(1)>'
ESCAPED = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"

UNESCAPED = re.compile(r"\|\s*safe\b|\bMarkup\(|autoescape\s+false|Markup\.unescape|\|\s*unescape\b")

# (file, the stripped line) -> why it is safe.
VETTED: dict[tuple[str, str], str] = {
    ("webapp/templates/places/_field.html", '<input type="{{ type }}" id="{{ name }}" name="{{ name }}" '
     "value=\"{{ values.get(name) if values.get(name) is not none else '' }}\"{% if errors.get(name) %} "
     'aria-invalid="true" aria-describedby="{{ name }}-error"{% endif %} {{ extra|safe }}>'):
        "extra holds input attributes written as string literals by the calling templates "
        "(test_field_extra_is_always_a_literal checks every caller)",
    ("webapp/portal/terms.py", 'return Markup("\\n".join(html))'):
        "render_terms escapes every line of the terms before wrapping it in tags "
        "(test_terms_escape_their_text checks it)",
}


def _scanned_files() -> list[Path]:
    files = sorted((ROOT / "webapp" / "templates").rglob("*.html"))
    for package in ("webapp", "engine", "integrations", "forms"):
        files += sorted((ROOT / package).rglob("*.py"))
    return files


def test_every_bypass_of_escaping_is_vetted() -> None:
    found = {}
    for path in _scanned_files():
        relative = path.relative_to(ROOT).as_posix()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if UNESCAPED.search(line) and not line.lstrip().startswith("#"):
                found[(relative, line.strip())] = number
    unvetted = [f"{file}:{number}: {line}" for (file, line), number in found.items() if (file, line) not in VETTED]
    assert not unvetted, "output that is not escaped; escape it or vet it here with a reason:\n" + "\n".join(unvetted)
    assert set(VETTED) <= set(found), f"vetted lines no longer present: {set(VETTED) - set(found)}"


def test_field_extra_is_always_a_literal() -> None:
    templates = sorted((ROOT / "webapp" / "templates").rglob("*.html"))
    callers = [(p, line) for p in templates for line in p.read_text(encoding="utf-8").splitlines()
               if "extra=" in line and '"places/_field.html"' not in line]
    assert callers
    for path, line in callers:
        for value in re.findall(r"extra=(\S)", line):
            assert value in {"'", '"'}, f"{path}: extra must be a string literal: {line.strip()}"


def test_terms_escape_their_text(settings: Settings, db: Database) -> None:
    from webapp.portal.terms import render_terms, versions

    app = build_app(settings, db)
    with app.test_request_context():
        html = str(render_terms(versions()[-1], "en", PAYLOAD))
    assert "&lt;script&gt;" in html  # the operator's name is in the text, escaped
    assert "<script>" not in html
    assert "<img" not in html


@pytest.fixture
def app(settings: Settings, db: Database, monkeypatch: pytest.MonkeyPatch) -> Flask:
    use_fast_password_hashing(monkeypatch)
    return build_app(settings, db)


def test_autoescape_is_on_for_html_templates(app: Flask) -> None:
    autoescape = app.jinja_env.autoescape
    assert autoescape("page.html") is True if callable(autoescape) else autoescape is True
    with app.test_request_context():
        rendered = app.jinja_env.from_string("{{ value }}").render(value=PAYLOAD)
    # from_string templates have no name: Flask escapes them too
    assert rendered == ESCAPED


def test_user_input_is_shown_as_text(app: Flask, db: Database) -> None:
    user = create_user(db, Role.CASE_WORKER, name=PAYLOAD, locale="en")
    with db.transaction() as session:
        dossier = Dossier(number="XSS-00001", type="information", title=PAYLOAD)
        session.add(dossier)
        session.flush()
        dossier_id = dossier.id
    client = app.test_client()
    login(client, user)
    pages = {
        "home (the user's name)": client.get("/"),
        "dossier (its title)": client.get(f"/dossiers/{dossier_id}", follow_redirects=True),
        "dossier list (the search echoed)": client.get("/dossiers/", query_string={"search": PAYLOAD}),
    }
    for label, response in pages.items():
        assert response.status_code == 200, label
        html = response.get_data(as_text=True)
        assert PAYLOAD not in html, f"raw user input on the {label} page"
        assert "onerror=alert(1)&gt;" in html, f"the user input is not shown escaped on the {label} page"
