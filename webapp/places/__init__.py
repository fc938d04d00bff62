"""The Address tab of a dossier: the journey's site address chosen in the address register, the
address details and EPC records; the register search (pages and JSON); ``guichet addresses import``."""

from webapp.places.views import bp

__all__ = ["bp"]
