"""FR / NL / EN: the language switch, remembered on the account and in the session, and the
catalogs (compiled at start, complete for every message)."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po
from flask.testing import FlaskClient

from engine.access.models import Role, User
from engine.db import Database
from tests.webapp.support import ROOT, login, page_text
from webapp.i18n import TRANSLATIONS, compile_catalogs


def test_french_is_the_default(client: FlaskClient) -> None:
    page = client.get("/login")

    assert '<html lang="fr">' in page.get_data(as_text=True)
    assert "Se connecter" in page_text(page)


def test_an_anonymous_choice_is_kept_in_the_session(client: FlaskClient) -> None:
    response = client.post("/language", data={"locale": "nl", "next": "/login"})

    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert "Aanmelden" in page_text(client.get("/login"))


def test_the_choice_is_remembered_on_the_account(app, client: FlaskClient, make_user, db: Database) -> None:
    user = make_user(Role.CASE_WORKER)
    login(client, user)
    assert "Mes tâches" in page_text(client.get("/tasks/"))

    client.post("/language", data={"locale": "en", "next": "/tasks/"})

    assert "My tasks" in page_text(client.get("/tasks/"))
    with db.transaction() as session:
        assert session.get(User, user.id).locale == "en"
    other_browser = app.test_client()
    login(other_browser, user)
    assert "My tasks" in page_text(other_browser.get("/tasks/"))


def test_a_language_chosen_before_signing_in_is_adopted_by_the_account(client, make_user, db: Database) -> None:
    user = make_user(Role.CASE_WORKER)
    client.post("/language", data={"locale": "nl"})

    login(client, user)

    assert "Mijn taken" in page_text(client.get("/tasks/"))
    with db.transaction() as session:
        assert session.get(User, user.id).locale == "nl"


def test_an_unknown_language_is_refused(client: FlaskClient) -> None:
    client.post("/language", data={"locale": "de"})

    assert "Se connecter" in page_text(client.get("/login"))


def test_catalogs_are_compiled_when_missing_or_older(tmp_path: Path) -> None:
    source = tmp_path / "translations"
    shutil.copytree(TRANSLATIONS, source, ignore=shutil.ignore_patterns("*.mo"))
    po = source / "fr" / "LC_MESSAGES" / "messages.po"
    mo = po.with_suffix(".mo")

    assert compile_catalogs(source) == [mo, source / "nl" / "LC_MESSAGES" / "messages.mo"]
    assert compile_catalogs(source) == []  # up to date: nothing to do
    later = time.time() + 5
    os.utime(po, (later, later))
    assert compile_catalogs(source) == [mo]


def _extracted_messages() -> Catalog:
    catalog = Catalog()
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
    method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
    for folder in ("webapp", "forms"):
        for filename, lineno, message, _comments, _context in extract_from_dir(
            ROOT / folder, method_map, keywords=keywords
        ):
            catalog.add(message, None, [(f"{folder}/{filename}", lineno)])
    return catalog


def test_every_message_is_translated_in_french_and_dutch() -> None:
    extracted = _extracted_messages()
    for language in ("fr", "nl"):
        with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
            catalog = read_po(po, locale=language)
        missing = [
            message.id for message in extracted
            if message.id and (catalog.get(message.id) is None or not catalog.get(message.id).string
                               or catalog.get(message.id).fuzzy)
        ]
        assert missing == [], f"untranslated in {language}: {missing}"
        problems = [(message.id, errors) for message, errors in catalog.check()]
        assert problems == [], f"placeholder problems in {language}: {problems}"
