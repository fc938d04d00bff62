"""The portal's access terms (seed 000, last part): a gate before any organisation data, and the
page where a member reads the current version in their language and accepts it.

Texts live in webapp/portal/terms/<version>/{fr,nl,en}.md; the current version is
``GUICHET_PORTAL_TERMS_VERSION`` when configured, else the newest folder (names sort by date,
e.g. 2026-01), so publishing a new folder asks everyone again."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup, escape

from engine.portal import terms as engine_terms
from webapp.context import db_session
from webapp.i18n import selected_language
from webapp.portal.blueprint import bp
from webapp.portal.context import GATES, account_required
from webapp.transactions import run_command

TERMS_ROOT = Path(__file__).resolve().parent / "terms"
OPERATOR_NAMES = {"fr": "Le Guichet", "nl": "Het Loket", "en": "The one-stop shop"}


def versions(root: Path = TERMS_ROOT) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.is_dir() and (p / "en.md").is_file())


def current_version() -> str:
    return current_app.config.get("GUICHET_PORTAL_TERMS_VERSION") or versions()[-1]


@cache
def _source(version: str, language: str) -> str:
    return (TERMS_ROOT / version / f"{language}.md").read_text(encoding="utf-8")


def render_terms(version: str, language: str, operator: str) -> Markup:
    """A tiny subset of Markdown (headings, paragraphs, "- " lists): the texts need no more, and
    every line is escaped before it becomes HTML."""
    html: list[str] = []
    in_list = False
    for block in _source(version, language).replace("{operator}", operator).split("\n"):
        line = block.strip()
        if line.startswith("- "):
            if not in_list:
                html.append("<ul>")
                in_list = True
            html.append(f"<li>{escape(line[2:])}</li>")
            continue
        if in_list:
            html.append("</ul>")
            in_list = False
        if line.startswith("## "):
            html.append(f"<h3>{escape(line[3:])}</h3>")
        elif line.startswith("# "):
            html.append(f"<h2>{escape(line[2:])}</h2>")
        elif line:
            html.append(f"<p>{escape(line)}</p>")
    if in_list:
        html.append("</ul>")
    return Markup("\n".join(html))


def _operator(language: str) -> str:
    return current_app.config.get("GUICHET_OPERATOR_NAME") or OPERATOR_NAMES[language]


def terms_gate() -> Any:
    """Before any organisation data: the current version must have been accepted."""
    if engine_terms.has_accepted(db_session(), current_user.id, current_version()):
        return None
    return redirect(url_for("portal.terms", next=request.full_path if request.query_string else request.path))


def _safe_next(value: str | None) -> str:
    return value if value and value.startswith("/portal") and not value.startswith("//") else url_for("portal.index")


@bp.route("/terms", methods=["GET", "POST"])
@account_required
def terms() -> Any:
    language = selected_language()
    version = current_version()
    error = None
    if request.method == "POST":
        if request.form.get("accept") == "1":
            run_command(lambda s: engine_terms.accept(s, current_user.id, version, language))
            flash(_("Thank you: you accepted the terms of access to the portal."), "success")
            return redirect(_safe_next(request.form.get("next")))
        error = _("Tick the box to accept the terms: the portal shows personal data only to those who accept them.")
    accepted = engine_terms.has_accepted(db_session(), current_user.id, version)
    return render_template("portal/terms.html", text=render_terms(version, language, _operator(language)),
                           version=version, operator=_operator(language), accepted=accepted, error=error,
                           next=_safe_next(request.values.get("next"))), 400 if error else 200


GATES.append(terms_gate)
