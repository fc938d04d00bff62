"""Imports every module that registers forms."""

from forms import information  # noqa: F401
