"""A natural person's identification number on a syndic request: the national register number
(rijksregisternummer / numéro de registre national) or, for someone not in that register, the
social-security identification number of the BCSS / KSZ (the BIS number).

Both have 11 digits ``yymmddsssc c``: birth date, serial number, and a modulo-97 check (on the
number itself, or with a ``2`` in front for people born from 2000 on). A BIS number adds 20 or 40
to the month. python-stdnum implements both checks; this module only says which one matched and
turns its exceptions into a ``code`` the form translates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from stdnum.be import bis, nn
from stdnum.exceptions import InvalidChecksum, ValidationError

_SEPARATORS = re.compile(r"[\s.\-/]+")


class PersonNumberError(ValueError):
    """``code`` is ``empty``, ``format`` (not 11 digits, or not a possible birth date) or
    ``checksum`` (the two check digits do not match)."""

    MESSAGES = {
        "empty": "enter the national register number or the BIS number (11 digits)",
        "format": "a national register or BIS number has 11 digits, e.g. 85.07.30-033.28",
        "checksum": "the check digits (the last two) do not match: look at the number again",
    }

    def __init__(self, code: str, given: str) -> None:
        super().__init__(f"invalid person number {given!r}: {self.MESSAGES[code]}")
        self.code = code
        self.given = given


@dataclass(frozen=True)
class PersonNumber:
    digits: str
    kind: str  # "nn" (national register) | "bis" (BCSS / KSZ identification number)

    @property
    def formatted(self) -> str:
        """``yy.mm.dd-sss.cc``, the way it is printed on an identity card."""
        d = self.digits
        return f"{d[:2]}.{d[2:4]}.{d[4:6]}-{d[6:9]}.{d[9:]}"


def parse_person_number(raw: str) -> PersonNumber:
    """The 11 digits of a valid national register or BIS number, or :class:`PersonNumberError`."""
    given = (raw or "").strip()
    digits = _SEPARATORS.sub("", given)
    if not digits:
        raise PersonNumberError("empty", given)
    if not digits.isdigit() or len(digits) != 11:
        raise PersonNumberError("format", given)
    checksum_failed = False
    for kind, module in (("nn", nn), ("bis", bis)):
        try:
            return PersonNumber(module.validate(digits), kind)
        except InvalidChecksum:
            checksum_failed = True
        except ValidationError:
            continue
    raise PersonNumberError("checksum" if checksum_failed else "format", given)
