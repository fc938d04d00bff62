"""The CSV bank statement: one header row, then one movement a row; ``;`` or ``,`` separated.

Columns (by header name, any order; extra columns ignored):

``booking_date``  YYYY-MM-DD or DD/MM/YYYY
``amount``        signed, ``1234.50`` or ``1234,50`` (negative: money going out)
``currency``      ISO code, e.g. EUR
``communication`` the structured communication (+++123/4567/89002+++) or free text
``counterparty_name``, ``counterparty_account``
``bank_reference`` the bank's unique reference of the movement

A CSV export has no statement number and two exports may overlap, so the statement id is ``CSV``
and the line reference is the bank reference: a movement exported twice is booked once."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal, InvalidOperation

from engine.wallet.statements import ParsedLine, ParsedStatement
from integrations.bank import StatementError

COLUMNS = ("booking_date", "amount", "currency", "communication", "counterparty_name", "counterparty_account",
           "bank_reference")
STATEMENT_ID = "CSV"


def _date(value: str, number: int) -> dt.date:
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(value.strip(), pattern).date()
        except ValueError:
            continue
    raise StatementError(number, f"booking_date {value!r} is not a date (YYYY-MM-DD or DD/MM/YYYY)")


def _amount(value: str, number: int) -> Decimal:
    text = value.strip().replace(" ", "")
    if "," in text and "." in text:  # 1.234,50
        text = text.replace(".", "").replace(",", ".")
    text = text.replace(",", ".")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise StatementError(number, f"amount {value!r} is not a number") from None
    if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
        raise StatementError(number, f"amount {value!r} is not an amount in cents")
    return amount


def parse(text: str) -> ParsedStatement:
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise StatementError(None, "the file is empty")
    header = text.splitlines()[0]
    delimiter = ";" if header.count(";") >= header.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    names = [name.strip().lower() for name in next(reader)]
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise StatementError(1, f"the header lacks the column(s) {', '.join(missing)}; expected {', '.join(COLUMNS)}")
    index = {name: names.index(name) for name in COLUMNS}
    lines: list[ParsedLine] = []
    seen: set[str] = set()
    for row in reader:
        number = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < len(names):
            raise StatementError(number, f"{len(row)} columns where the header has {len(names)}")
        cell = {name: row[i].strip() for name, i in index.items()}
        reference = cell["bank_reference"]
        if not reference:
            raise StatementError(number, "bank_reference is empty")
        if reference in seen:
            raise StatementError(number, f"bank_reference {reference!r} appears twice in the file")
        seen.add(reference)
        currency = cell["currency"].upper()
        if len(currency) != 3 or not currency.isalpha():
            raise StatementError(number, f"currency {cell['currency']!r} is not an ISO code such as EUR")
        lines.append(ParsedLine(reference=reference, booking_date=_date(cell["booking_date"], number),
                                amount=_amount(cell["amount"], number), currency=currency,
                                communication=cell["communication"], structured=False,
                                counterparty_name=cell["counterparty_name"],
                                counterparty_account=cell["counterparty_account"]))
    return ParsedStatement(statement_id=STATEMENT_ID, format="csv", lines=lines)
