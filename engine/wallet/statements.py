"""Bank-statement import: the credit lines of a statement that carry a wallet's structured
communication top the wallet up (kind ``topup_transfer``); every other line is kept with the
reason it was not booked, for a back-office user to handle.

The parsers (integrations/bank: CODA, CSV) turn a file into a :class:`ParsedStatement`; this
module only books it. The wallet is found from the communication: its 10-digit number is the
wallet id (``communication.make(wallet.id)`` is what the portal shows). The ledger reference of a
booked line is ``<statement id>/<line reference>``, so a statement imported twice books nothing
the second time (its lines are reported as "already booked")."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine.db import Base, utcnow
from engine.wallet import communication, ledger
from engine.wallet.models import EntryKind, Wallet
from engine.workflow.models import AuditEvent


class LineStatus(enum.StrEnum):
    BOOKED = "booked"
    ALREADY_BOOKED = "already_booked"
    UNMATCHED = "unmatched"


class UnmatchedReason(enum.StrEnum):
    NO_COMMUNICATION = "no_communication"  # free text or empty: a person must look at it
    WRONG_CHECK_DIGITS = "wrong_check_digits"  # looks structured, the mod-97 check fails (a typo)
    UNKNOWN_WALLET = "unknown_wallet"  # a valid communication of no wallet of ours
    DEBIT = "debit"  # money going out: not a top-up
    NOT_EUR = "not_eur"  # wallets are in euro


@dataclass(frozen=True)
class ParsedLine:
    reference: str  # unique within the statement (CODA sequence number, CSV bank reference)
    booking_date: dt.date
    amount: Decimal  # > 0 credit, < 0 debit
    currency: str
    communication: str
    structured: bool  # the bank flagged the communication as structured (CODA type 101)
    counterparty_name: str = ""
    counterparty_account: str = ""


@dataclass(frozen=True)
class ParsedStatement:
    statement_id: str  # stable for the same statement: a re-import is recognised by it
    format: str  # coda | csv
    lines: list[ParsedLine]


class BankStatement(Base):
    """One import of a statement file (a re-import is a new row whose lines are already booked)."""

    __tablename__ = "bank_statements"

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[str] = mapped_column(String(80), index=True)
    format: Mapped[str] = mapped_column(String(10))
    filename: Mapped[str] = mapped_column(String(200))
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    imported_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class BankStatementLine(Base):
    __tablename__ = "bank_statement_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("bank_statements.id"), index=True)
    line_reference: Mapped[str] = mapped_column(String(60))
    booking_date: Mapped[dt.date]
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2, asdecimal=True))
    currency: Mapped[str] = mapped_column(String(3))
    communication: Mapped[str] = mapped_column(String(140), default="")
    counterparty_name: Mapped[str] = mapped_column(String(140), default="")
    counterparty_account: Mapped[str] = mapped_column(String(40), default="")
    status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(30))
    wallet_id: Mapped[int | None] = mapped_column(ForeignKey("wallets.id"))
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("wallet_entries.id"))


@dataclass(frozen=True)
class ImportReport:
    statement: BankStatement
    lines: list[BankStatementLine]

    def count(self, status: LineStatus) -> int:
        return sum(1 for line in self.lines if line.status == status)


def _match(session: Session, line: ParsedLine) -> tuple[int | None, UnmatchedReason | None]:
    if line.amount <= 0:
        return None, UnmatchedReason.DEBIT
    if line.currency.upper() != "EUR":
        return None, UnmatchedReason.NOT_EUR
    text = line.communication.strip()
    if not text:
        return None, UnmatchedReason.NO_COMMUNICATION
    number = communication.parse(text)
    if number is None:
        digits = "".join(c for c in text if c.isdigit())
        looks_structured = line.structured or (len(digits) == 12 and not any(c.isalpha() for c in text))
        return None, UnmatchedReason.WRONG_CHECK_DIGITS if looks_structured else UnmatchedReason.NO_COMMUNICATION
    if session.get(Wallet, number) is None:
        return None, UnmatchedReason.UNKNOWN_WALLET
    return number, None


def book_statement(session: Session, parsed: ParsedStatement, *, filename: str,
                   user_id: int | None = None) -> ImportReport:
    """Record the import and book its matching credit lines, all in the caller's transaction."""
    statement = BankStatement(statement_id=parsed.statement_id, format=parsed.format, filename=filename[:200],
                              imported_by_id=user_id, imported_at=utcnow())
    session.add(statement)
    session.flush()
    rows: list[BankStatementLine] = []
    for line in parsed.lines:
        wallet_id, reason = _match(session, line)
        row = BankStatementLine(statement_id=statement.id, line_reference=line.reference[:60],
                                booking_date=line.booking_date, amount=line.amount, currency=line.currency[:3],
                                communication=line.communication[:140],
                                counterparty_name=line.counterparty_name[:140],
                                counterparty_account=line.counterparty_account[:40],
                                status=LineStatus.UNMATCHED.value, reason=reason.value if reason else None,
                                wallet_id=wallet_id)
        if wallet_id is not None:
            reference = f"{parsed.statement_id}/{line.reference}"
            already = ledger._existing(session, wallet_id, EntryKind.TOPUP_TRANSFER, reference)
            entry = ledger.credit(session, wallet_id, line.amount, kind=EntryKind.TOPUP_TRANSFER,
                                  reference=reference, user_id=user_id)
            row.entry_id = entry.id
            row.status = (LineStatus.ALREADY_BOOKED if already is not None else LineStatus.BOOKED).value
        session.add(row)
        rows.append(row)
    session.flush()
    report = ImportReport(statement, rows)
    session.add(AuditEvent(instance_id=None, subject_type="bank_statement", subject_id=statement.id,
                           actor_id=user_id, kind="bank_statement_imported", at=utcnow(),
                           detail={"statement_id": parsed.statement_id, "format": parsed.format,
                                   "booked": report.count(LineStatus.BOOKED),
                                   "already_booked": report.count(LineStatus.ALREADY_BOOKED),
                                   "unmatched": report.count(LineStatus.UNMATCHED)}))
    return report
