"""``guichet mail fetch``: read the configured mail source once (what the periodic job
``guichet.fetch_mail`` does), printing how many mails were stored and skipped."""

from __future__ import annotations

import os

import click
from flask import current_app
from flask.cli import AppGroup

from integrations.mail.fetch import SourceProblem, fetch
from integrations.mail.imap import ImapProblem

mail_group = AppGroup("mail", help="E-mail intake (GUICHET_MAIL_SOURCE: maildir, imap or none).")


@mail_group.command("fetch")
def fetch_command() -> None:
    """Read new mail from the configured source into the central queue, once."""
    services = current_app.extensions["guichet"]
    try:
        # a large backlog is parsed in one process per CPU while the database is written
        result = fetch(services.settings, services.db, workers=min(4, os.cpu_count() or 1))
    except (SourceProblem, ImapProblem) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Mail: {result.summary()}")
