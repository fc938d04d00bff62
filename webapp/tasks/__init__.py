"""The "My tasks" list, claiming and releasing tasks, and the generic task form."""

from webapp.tasks.views import bp

__all__ = ["bp"]
