"""Dossier list, opening an Information dossier, and the dossier page with its audit trail."""

from webapp.dossiers.views import bp

__all__ = ["bp"]
