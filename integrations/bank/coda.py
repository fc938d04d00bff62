"""CODA (Coded statement of account, Febelfin, version 2): 128-character records, one a line.

The records we read (positions 1-based, inclusive):

* ``0`` header: 6-11 creation date (DDMMYY); 128 version ``2``.
* ``1`` old balance: 2 account structure (0 Belgian number: currency 19-21; 2 / 3 IBAN: currency
  40-42), 6-39 the account, 126-128 the statement sequence number, 59-64 the old balance date.
  The statement id is ``CODA:<account>:<year>:<sequence>``, stable for the same statement.
* ``21`` movement: 3-6 sequence number and 7-10 detail number (together the line reference),
  11-31 bank reference, 32 sign (0 credit, 1 debit), 33-47 amount (12 + 3 decimals),
  62 communication type (1 structured), 63-115 communication: when structured, 63-65 the type
  ``101`` and 66-77 the 12 digits of the Belgian structured communication; 116-121 entry date.
* ``22`` / ``23`` the same movement continued: 22 11-63 free communication continued;
  23 11-44 counterparty account, 48-82 counterparty name, 83-125 communication continued.
* ``8`` new balance and ``9`` trailer: checked to be present (the file is complete).

Records ``3x`` (information) and ``4`` (free messages) are allowed and ignored; globalised
movements are read as their record 21, without expanding the details."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from engine.wallet.statements import ParsedLine, ParsedStatement
from integrations.bank import StatementError

RECORD_LENGTH = 128
_KNOWN = {"0", "1", "21", "22", "23", "31", "32", "33", "4", "8", "9"}


def _field(record: str, start: int, end: int) -> str:
    """Positions as in the standard: 1-based, both ends inclusive."""
    return record[start - 1:end]


def _date(value: str, number: int, what: str) -> dt.date:
    try:
        return dt.datetime.strptime(value, "%d%m%y").date()
    except ValueError:
        raise StatementError(number, f"the {what} {value!r} is not a date DDMMYY") from None


def _amount(value: str, sign: str, number: int) -> Decimal:
    if not value.isdigit() or sign not in "01":
        raise StatementError(number, f"the amount {sign}{value!r} is not a CODA amount (sign 0/1 and 15 digits)")
    amount = Decimal(value) / 1000
    if amount != amount.quantize(Decimal("0.01")):
        raise StatementError(number, f"the amount {amount} has more than two decimals")
    return (-amount if sign == "1" else amount).quantize(Decimal("0.01"))


def _kind(record: str) -> str:
    return record[:2] if record[:1] in "23" else record[:1]


def parse(text: str) -> ParsedStatement:
    records = [line.rstrip("\r\n") for line in text.lstrip("\ufeff").splitlines()]
    while records and not records[-1].strip():
        records.pop()
    if not records:
        raise StatementError(None, "the file is empty")
    for number, record in enumerate(records, start=1):
        if len(record) != RECORD_LENGTH:
            raise StatementError(number, f"a CODA record has {RECORD_LENGTH} characters, this one has {len(record)}")
        if _kind(record) not in _KNOWN:
            raise StatementError(number, f"unknown CODA record type {record[:2]!r}")
    if _kind(records[0]) != "0":
        raise StatementError(1, "a CODA file starts with a header record (type 0)")
    if _kind(records[-1]) != "9":
        raise StatementError(len(records), "a CODA file ends with a trailer record (type 9): is it complete?")
    if not any(_kind(r) == "8" for r in records):
        raise StatementError(len(records), "the new balance record (type 8) is missing")
    _date(_field(records[0], 6, 11), 1, "creation date")

    statement_id = ""
    currency = "EUR"
    lines: list[ParsedLine] = []
    current: dict[str, object] | None = None

    def close() -> None:
        if current is not None:
            lines.append(ParsedLine(**current))  # type: ignore[arg-type]

    for number, record in enumerate(records, start=1):
        kind = _kind(record)
        if kind == "1":
            structure = record[1]
            account = _field(record, 6, 39).strip() if structure in "23" else _field(record, 6, 17).strip()
            currency = (_field(record, 40, 42) if structure in "23" else _field(record, 19, 21)).strip() or "EUR"
            balance_date = _date(_field(record, 59, 64), number, "old balance date")
            statement_id = f"CODA:{account}:{balance_date.year}:{_field(record, 126, 128).strip()}"
        elif kind == "21":
            if not statement_id:
                raise StatementError(number, "a movement (type 21) before the old balance record (type 1)")
            close()
            structured = _field(record, 62, 62) == "1"
            if structured and _field(record, 63, 65) == "101":
                digits = _field(record, 66, 77)  # checked when booked: wrong check digits are reported
                text_value = f"+++{digits[:3]}/{digits[3:7]}/{digits[7:]}+++"
            else:
                text_value = _field(record, 63, 115).strip()
            current = {"reference": f"{_field(record, 3, 6)}{_field(record, 7, 10)}",
                       "booking_date": _date(_field(record, 116, 121), number, "entry date"),
                       "amount": _amount(_field(record, 33, 47), _field(record, 32, 32), number),
                       "currency": currency, "communication": text_value, "structured": structured,
                       "counterparty_name": "", "counterparty_account": ""}
        elif kind in ("22", "23"):
            if current is None:
                raise StatementError(number, f"a record {kind} must follow its movement record 21")
            if kind == "22" and not current["structured"]:
                current["communication"] = f"{current['communication']} {_field(record, 11, 63).strip()}".strip()
            if kind == "23":
                current["counterparty_account"] = _field(record, 11, 44).strip()
                current["counterparty_name"] = _field(record, 48, 82).strip()
                if not current["structured"]:
                    current["communication"] = f"{current['communication']} {_field(record, 83, 125).strip()}".strip()
        else:
            close()
            current = None
    close()
    if not statement_id:
        raise StatementError(None, "the old balance record (type 1) is missing")
    return ParsedStatement(statement_id=statement_id, format="coda", lines=lines)
