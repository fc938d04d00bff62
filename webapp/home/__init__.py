"""The personal dashboard: what waits for me, and how the dossiers stand."""

from webapp.home.views import bp

__all__ = ["bp"]
