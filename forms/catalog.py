"""Imports every module that registers forms (the composition root imports this module)."""

from forms import advice, information, loans, premiums, projects, requests_loans, rmp  # noqa: F401
