"""Dossier list, opening a dossier of any type or a follow-up in a journey, the dossier page with
its phases, tabs and audit trail, and the administration of subtypes."""

from webapp.dossiers.views import bp

__all__ = ["bp"]
