"""Queues: their pages for members and dispatchers, "Items I am working on", and the admin pages."""

from webapp.queues.views import bp

__all__ = ["bp"]
