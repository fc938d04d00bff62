"""Contacts, organisations (with the BCE lookup) and the dossier tab "Contacts"."""

from webapp.parties import dossier_section  # noqa: F401 - registers the dossier tab and its routes
from webapp.parties.views import bp

__all__ = ["bp"]
