"""E-mail pages: a mail and its actions (views), the mail parts of the queue pages (queries) and
the dossier tab "E-mails" (dossier_section); ``guichet mail fetch`` (cli)."""

from webapp.mail import dossier_section  # noqa: F401 - registers the dossier tab
from webapp.mail.views import bp

__all__ = ["bp"]
