"""Builders of CODA and CSV statements for the tests (every CODA record exactly 128 characters)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

ACCOUNT = "BE68539007547034"


@dataclass
class Movement:
    amount: Decimal | str  # signed
    communication: str = ""  # 12 digits: structured (type 101); anything else: free text
    name: str = "Syndic Dijle SRL"
    account: str = "BE71096123456769"
    reference: str = ""


def _record(text: str) -> str:
    assert len(text) <= 128, (len(text), text)
    return text.ljust(128)


def _put(record: list[str], start: int, value: str) -> None:
    record[start - 1:start - 1 + len(value)] = list(value)


def _blank() -> list[str]:
    return [" "] * 128


def coda(movements: list[Movement], *, sequence: int = 1, day: dt.date = dt.date(2026, 3, 2),
         currency: str = "EUR") -> str:
    ddmmyy = day.strftime("%d%m%y")
    records: list[str] = []
    header = _blank()
    _put(header, 1, "00000" + ddmmyy + "725" + "05")
    _put(header, 128, "2")
    records.append("".join(header))
    old = _blank()
    _put(old, 1, "12")
    _put(old, 3, f"{sequence:03d}")
    _put(old, 6, ACCOUNT)
    _put(old, 40, currency)
    _put(old, 43, "0" + "0" * 15 + ddmmyy)
    _put(old, 65, "WONEN EN ENERGIE")
    _put(old, 126, f"{sequence:03d}")
    records.append("".join(old))
    for n, movement in enumerate(movements, start=1):
        amount = Decimal(str(movement.amount))
        r21 = _blank()
        _put(r21, 1, "21")
        _put(r21, 3, f"{n:04d}0000")
        _put(r21, 11, (movement.reference or f"BANKREF{n:04d}").ljust(21)[:21])
        _put(r21, 32, "1" if amount < 0 else "0")
        _put(r21, 33, f"{int(abs(amount) * 1000):015d}")
        _put(r21, 48, ddmmyy)
        _put(r21, 54, "00150000")
        digits = movement.communication
        if len(digits) == 12 and digits.isdigit():
            _put(r21, 62, "1101" + digits)
        else:
            _put(r21, 62, "0" + digits[:53])
        _put(r21, 116, ddmmyy + f"{sequence:03d}" + "0" + "1" + " " + "0")
        records.append("".join(r21))
        r23 = _blank()
        _put(r23, 1, "23")
        _put(r23, 3, f"{n:04d}0000")
        _put(r23, 11, movement.account)
        _put(r23, 48, movement.name[:35])
        _put(r23, 128, "0")
        records.append("".join(r23))
    new = _blank()
    _put(new, 1, "8")
    _put(new, 2, f"{sequence:03d}")
    _put(new, 5, ACCOUNT)
    _put(new, 42, "0" + "0" * 15 + ddmmyy)
    records.append("".join(new))
    trailer = _blank()
    _put(trailer, 1, "9")
    _put(trailer, 17, f"{len(records) - 2:06d}")
    _put(trailer, 128, "2")
    records.append("".join(trailer))
    return "\n".join(_record(r) for r in records) + "\n"


def digits_of(wallet_id: int) -> str:
    from engine.wallet import communication

    return "".join(c for c in communication.make(wallet_id) if c.isdigit())


def csv_text(rows: list[dict[str, str]]) -> str:
    columns = ["booking_date", "amount", "currency", "communication", "counterparty_name", "counterparty_account",
               "bank_reference"]
    lines = [";".join(columns)]
    for row in rows:
        lines.append(";".join(row.get(c, "") for c in columns))
    return "\n".join(lines) + "\n"
