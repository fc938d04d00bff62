"""The Files tab of a dossier: upload (several files, drag and drop), sub-folders, move, download,
deactivate, and permanent delete (administrators)."""

from webapp.files.views import bp

__all__ = ["bp"]
