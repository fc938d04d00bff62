"""Works on a dossier (quotes, decision, permits, execution, follow-up) and the financing
simulation of a renovation master plan: the dossier tabs and the pages that change them."""

from webapp.works import sections  # noqa: F401 - registers the dossier tabs
from webapp.works.views import bp

__all__ = ["bp"]
