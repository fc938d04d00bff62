"""Imports every module that registers forms (the composition root imports this module)."""

import forms.portal_access  # noqa: F401 - portal access requests
from forms import advice, information, loans, premiums, projects, requests_loans, rmp, syndic_review  # noqa: F401
