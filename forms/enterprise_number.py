"""The seed's message for a wrong enterprise number (expected format, add a leading 0), with
what exactly is wrong, in the reader's language: one wording for every form that asks for one
(organisations, the portal, syndic requests)."""

from __future__ import annotations

from flask_babel import gettext as _

from engine.parties.enterprise_number import EnterpriseNumberError


def enterprise_number_message(error: EnterpriseNumberError) -> str:
    if error.code == "empty":
        return _("Enter the enterprise number.")
    base = _("This enterprise number is not correct (format: 0123.456.789). Add a 0 at the start if needed.")
    if error.code == "leading_zero" and error.suggestion:
        return base + " " + _("It has 9 digits: did you mean %(number)s?", number=error.suggestion)
    if error.code == "checksum":
        return base + " " + _("Still wrong? Look the correct number up in the public search of the "
                              "Crossroads Bank for Enterprises (kbopub.economie.fgov.be).")
    return base
