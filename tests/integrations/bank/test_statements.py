"""Bank-statement import: CODA and CSV files read (good and broken), matching lines booked on the
wallet named by the structured communication, others kept with their reason, a statement
imported twice books nothing twice."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.db import Database
from engine.wallet import ledger
from engine.wallet.models import EntryKind, WalletEntry
from engine.wallet.statements import BankStatementLine, LineStatus, book_statement
from integrations.bank import StatementError, parse_statement
from tests.integrations.bank.builders import Movement, coda, csv_text, digits_of
from tests.portal_support import organisation

DATA = Path(__file__).resolve().parents[2] / "data" / "bank"


def _wallet(db: Database) -> int:
    with db.transaction() as session:
        return ledger.wallet_for(session, organisation(session).id).id


def _import(db: Database, text: str, filename: str) -> dict[str, tuple[str, str | None]]:
    parsed = parse_statement(filename, text.encode("latin-1"))
    with db.transaction() as session:
        report = book_statement(session, parsed, filename=filename)
        return {line.line_reference: (line.status, line.reason) for line in report.lines}


def _ob(wallet_id: int) -> str:
    d = digits_of(wallet_id)
    return f"+++{d[:3]}/{d[3:7]}/{d[7:]}+++"


def test_sample_files_parse() -> None:
    statement = parse_statement("statement.cod", (DATA / "statement.cod").read_bytes())
    assert statement.format == "coda" and statement.statement_id == "CODA:BE68539007547034:2026:001"
    assert [line.amount for line in statement.lines] == [Decimal("120.00"), Decimal("75.50"), Decimal("30.00"),
                                                         Decimal("-12.00"), Decimal("60.00")]
    first = statement.lines[0]
    assert first.structured and first.communication == "+++000/0000/00101+++"
    assert first.counterparty_name == "Syndic Dijle SRL" and first.counterparty_account == "BE71096123456769"
    assert statement.lines[2].communication == "Facture 2026-014" and not statement.lines[2].structured
    csv_statement = parse_statement("statement.csv", (DATA / "statement.csv").read_bytes())
    assert csv_statement.format == "csv" and csv_statement.lines[0].reference == "B2026030201"
    assert csv_statement.lines[1].currency == "USD" and csv_statement.lines[2].amount == Decimal("-8.00")


@pytest.mark.parametrize("name,line,words", [
    ("broken_length.cod", 3, "128 characters"),
    ("truncated.cod", 13, "trailer"),
    ("broken_amount.csv", 3, "not a number"),
])
def test_broken_files_name_the_line(name: str, line: int, words: str) -> None:
    with pytest.raises(StatementError) as problem:
        parse_statement(name, (DATA / name).read_bytes())
    assert problem.value.line == line and words in str(problem.value) and f"line {line}" in str(problem.value)


def test_csv_without_the_columns_is_refused() -> None:
    with pytest.raises(StatementError, match="bank_reference"):
        parse_statement("x.csv", b"date;amount\n2026-01-01;10\n")


def test_coda_lines_are_matched_with_their_reasons(db: Database) -> None:
    wallet_id = _wallet(db)
    good = digits_of(wallet_id)
    wrong = good[:10] + f"{(int(good[10:]) % 97) + 1:02d}"
    text = coda([Movement("120.00", good), Movement("75.50", wrong), Movement("30.00", "Facture 14"),
                 Movement("-12.00", good), Movement("60.00", digits_of(9_999_999))])
    result = _import(db, text, "march.cod")
    assert result == {
        "00010000": ("booked", None),
        "00020000": ("unmatched", "wrong_check_digits"),
        "00030000": ("unmatched", "no_communication"),
        "00040000": ("unmatched", "debit"),
        "00050000": ("unmatched", "unknown_wallet"),
    }
    with db.transaction() as session:
        assert ledger.balance(session, wallet_id) == Decimal("120.00")
        entry = session.scalars(select(WalletEntry)).one()
        assert entry.kind == EntryKind.TOPUP_TRANSFER
        assert entry.reference == "CODA:BE68539007547034:2026:001/00010000"


def test_same_statement_twice_books_nothing_twice(db: Database) -> None:
    wallet_id = _wallet(db)
    text = coda([Movement("120.00", digits_of(wallet_id)), Movement("80.00", digits_of(wallet_id))])
    _import(db, text, "march.cod")
    again = _import(db, text, "march-copy.cod")
    assert {status for status, _reason in again.values()} == {LineStatus.ALREADY_BOOKED.value}
    next_statement = coda([Movement("120.00", digits_of(wallet_id))], sequence=2)
    assert _import(db, next_statement, "april.cod") == {"00010000": ("booked", None)}
    with db.transaction() as session:
        assert ledger.balance(session, wallet_id) == Decimal("320.00")
        assert session.scalar(select(func.count()).select_from(WalletEntry)) == 3


def test_csv_lines_and_overlapping_exports(db: Database) -> None:
    wallet_id = _wallet(db)
    rows = [
        {"booking_date": "2026-03-02", "amount": "120,00", "currency": "EUR", "communication": _ob(wallet_id),
         "bank_reference": "B1"},
        {"booking_date": "02/03/2026", "amount": "45.00", "currency": "USD", "communication": _ob(wallet_id),
         "bank_reference": "B2"},
        {"booking_date": "2026-03-02", "amount": "50.00", "currency": "EUR", "communication": "",
         "bank_reference": "B3"},
    ]
    assert _import(db, csv_text(rows), "export.csv") == {"B1": ("booked", None), "B2": ("unmatched", "not_eur"),
                                                         "B3": ("unmatched", "no_communication")}
    overlapping = [rows[0], {"booking_date": "2026-03-04", "amount": "1.234,50", "currency": "EUR",
                             "communication": digits_of(wallet_id), "bank_reference": "B4"}]
    assert _import(db, csv_text(overlapping), "export2.csv") == {"B1": ("already_booked", None),
                                                                 "B4": ("booked", None)}
    with db.transaction() as session:
        assert ledger.balance(session, wallet_id) == Decimal("1354.50")
        assert session.scalar(select(func.count()).select_from(BankStatementLine)) == 5
