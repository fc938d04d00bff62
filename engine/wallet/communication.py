"""Belgian structured communication (OGM / VCS): ``+++123/4567/89002+++``.

Ten digits followed by their mod-97 remainder (97 when the remainder is 0). A bank transfer
carrying the wallet's communication is credited automatically. python-stdnum is not installed in
this project, so the few lines are here.
"""

from __future__ import annotations

import re

_MAX = 9_999_999_999
# +++123/4567/89002+++, ***123/4567/89002***, 123/4567/89002, 123456789002, with spaces anywhere
_WRAPPED = re.compile(r"^(\+{3}|\*{3})?(?P<body>[\d/ ]+)(\+{3}|\*{3})?$")


def check_digits(number: int) -> int:
    return number % 97 or 97


def make(number: int) -> str:
    """``make(1234567890) == '+++123/4567/89002+++'``."""
    if isinstance(number, bool) or not isinstance(number, int) or not 0 < number <= _MAX:
        raise ValueError(f"a structured communication carries a number from 1 to {_MAX}, not {number!r}")
    digits = f"{number:010d}{check_digits(number):02d}"
    return f"+++{digits[:3]}/{digits[3:7]}/{digits[7:]}+++"


def parse(text: str) -> int | None:
    """The 10-digit number of a structured communication, or None when the text is not one or its
    check digits are wrong (a typo in a bank line must not credit another wallet)."""
    match = _WRAPPED.match(text.strip())
    if match is None:
        return None
    if (match.group(1) is None) != (match.group(3) is None) or (match.group(1) and match.group(1) != match.group(3)):
        return None
    digits = re.sub(r"[/ ]", "", match.group("body"))
    if len(digits) != 12 or not digits.isdigit():
        return None
    number, check = int(digits[:10]), int(digits[10:])
    if number == 0 or check != check_digits(number):
        return None
    return number


def is_valid(text: str) -> bool:
    return parse(text) is not None
