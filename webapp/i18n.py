"""Languages: FR, NL and EN with Flask-Babel.

The language of a request is the signed-in user's (``User.locale``), else the one chosen in this
browser session, else ``settings.default_locale``. Dates and numbers are formatted the Belgian way
(``fr_BE``, ``nl_BE``, ``en_BE``); the catalogs are per language (``fr``, ``nl``).

Catalogs are written as ``.po`` files; the ``.mo`` files are not committed and are compiled here
when missing or older than their ``.po``.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, current_app, session
from flask_babel import Babel
from flask_login import current_user

from engine.config import Settings

log = logging.getLogger(__name__)

LANGUAGES: dict[str, str] = {"fr": "Français", "nl": "Nederlands", "en": "English"}
TRANSLATIONS = Path(__file__).resolve().parent / "translations"
SESSION_KEY = "locale"


def compile_catalogs(source: Path = TRANSLATIONS, target: Path | None = None) -> list[Path]:
    """Compile every ``<lang>/LC_MESSAGES/*.po`` under ``source`` whose ``.mo`` (under ``target``,
    by default next to it) is missing or older. Returns the files written. Writes are atomic, so
    several processes starting together cannot read a half-written catalog."""
    target = target or source
    written = []
    for po_path in sorted(source.glob("*/LC_MESSAGES/*.po")):
        mo_path = target / po_path.relative_to(source).with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=po_path.parent.parent.name)
        mo_path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=mo_path.parent, prefix=".", suffix=".mo.tmp")
        try:
            with os.fdopen(fd, "wb") as tmp:
                write_mo(tmp, catalog)
            os.replace(tmp_name, mo_path)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        written.append(mo_path)
    return written


def _translation_directory(instance_path: Path) -> Path:
    """Compile next to the sources; when the package is read-only, into the instance folder."""
    try:
        compile_catalogs(TRANSLATIONS)
        return TRANSLATIONS
    except OSError as exc:
        target = instance_path / "translations"
        log.warning("cannot write compiled catalogs next to %s (%s); using %s", TRANSLATIONS, exc, target)
        compile_catalogs(TRANSLATIONS, target)
        return target


REGION = "BE"


def selected_language() -> str:
    """``fr``, ``nl`` or ``en`` for the current request."""
    user = current_user
    if getattr(user, "is_authenticated", False) and user.locale in LANGUAGES:
        return user.locale
    chosen = session.get(SESSION_KEY)
    if chosen in LANGUAGES:
        return chosen
    return current_app.config["GUICHET_DEFAULT_LANGUAGE"]


def select_locale() -> str:
    return f"{selected_language()}_{REGION}"


def init_i18n(app: Flask, settings: Settings) -> Babel:
    default = settings.default_locale if settings.default_locale in LANGUAGES else "fr"
    app.config.setdefault("GUICHET_DEFAULT_LANGUAGE", default)
    app.config.setdefault("BABEL_DEFAULT_LOCALE", f"{default}_{REGION}")
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Europe/Brussels")
    directory = _translation_directory(settings.instance_path)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(directory)
    babel = Babel(app, locale_selector=select_locale)
    app.jinja_env.globals["LANGUAGES"] = LANGUAGES
    return babel
