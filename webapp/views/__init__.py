"""List views (seed 001 §1.2 "Affichage", §4.1): columns, filters, search, keyset paging and
exports for every list, and the saved views people make of them."""

from webapp.views.blueprint import bp

__all__ = ["bp"]
