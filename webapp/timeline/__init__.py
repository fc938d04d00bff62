"""The dossier tab "Timeline" (chronologie) and the pages that add a note, log a phone call or
plan an appointment on a dossier."""

from webapp.timeline import sections  # noqa: F401 - registers the dossier tab
from webapp.timeline.views import bp

__all__ = ["bp"]
