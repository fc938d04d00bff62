"""Administration pages: accounts (administrators) and deployed processes (process designers)."""

from webapp.admin.views import bp

__all__ = ["bp"]
