"""Imports every module that registers forms (the composition root imports this module)."""

from forms import information  # noqa: F401
