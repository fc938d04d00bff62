"""Belgian enterprise numbers (BCE / KBO): normalisation and the modulo-97 check.

An enterprise number has 10 digits, written ``0xxx.xxx.xxx`` (the first digit is 0 or 1). People
type it with or without dots, spaces, a ``BE`` prefix (the VAT form) or, for old numbers, as 9
digits without the leading 0. The check: the last two digits equal ``97 - (first 8 digits mod 97)``.

The errors carry a ``code`` (and the suggested number when there is one) instead of a sentence:
the web app shows the seed's message in the reader's language (webapp/parties/messages.py).
"""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[\s.\-/]+")


class EnterpriseNumberError(ValueError):
    """``code`` is one of: ``empty``, ``format`` (not 10 digits), ``leading_zero`` (9 digits: add a
    leading 0; ``suggestion`` holds the padded number when it passes the check), ``first_digit``
    (not 0 or 1), ``checksum`` (the modulo-97 check fails)."""

    def __init__(self, code: str, given: str, suggestion: str | None = None) -> None:
        super().__init__(f"invalid enterprise number {given!r}: {code}")
        self.code = code
        self.given = given
        self.suggestion = suggestion


def compact(raw: str) -> str:
    """Digits only: separators and a leading ``BE`` removed; no validation."""
    text = _SEPARATORS.sub("", raw or "").upper()
    return text[2:] if text.startswith("BE") else text


def checksum_ok(digits: str) -> bool:
    return len(digits) == 10 and digits.isdigit() and 97 - int(digits[:8]) % 97 == int(digits[8:])


def normalise(raw: str) -> str:
    """The 10 digits of a valid enterprise number, or :class:`EnterpriseNumberError`."""
    given = (raw or "").strip()
    digits = compact(given)
    if not digits:
        raise EnterpriseNumberError("empty", given)
    if not digits.isdigit():
        raise EnterpriseNumberError("format", given)
    if len(digits) == 9:
        padded = "0" + digits
        raise EnterpriseNumberError("leading_zero", given, format_number(padded) if checksum_ok(padded) else None)
    if len(digits) != 10:
        raise EnterpriseNumberError("format", given)
    if digits[0] not in "01":
        raise EnterpriseNumberError("first_digit", given)
    if not checksum_ok(digits):
        raise EnterpriseNumberError("checksum", given)
    return digits


def is_valid(raw: str) -> bool:
    try:
        normalise(raw)
    except EnterpriseNumberError:
        return False
    return True


def format_number(digits: str) -> str:
    """``0202239951`` -> ``0202.239.951`` (the way the BCE writes it)."""
    return f"{digits[:4]}.{digits[4:7]}.{digits[7:]}" if len(digits) == 10 else digits
