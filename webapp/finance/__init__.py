"""Back office, finance: import a bank statement (CODA or CSV) and read its report. Lines that
carry a wallet's structured communication top that wallet up; the others are listed with the
reason they were not booked, for a person to handle (engine/wallet/statements.py).
Administrators and managers only."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from engine.access.models import Role
from engine.parties.models import Organisation
from engine.wallet.models import Wallet
from engine.wallet.statements import BankStatement, BankStatementLine, LineStatus, UnmatchedReason, book_statement
from integrations.bank import StatementError, parse_statement
from webapp.auth import roles_guard
from webapp.context import db_session
from webapp.transactions import run_command

bp = Blueprint("finance", __name__, url_prefix="/finance")
bp.before_request(roles_guard(Role.MANAGER))  # administrators always pass

MAX_BYTES = 5 * 1024 * 1024
REASONS = {
    UnmatchedReason.NO_COMMUNICATION.value: _l("No structured communication"),
    UnmatchedReason.WRONG_CHECK_DIGITS.value: _l("Wrong check digits in the structured communication"),
    UnmatchedReason.UNKNOWN_WALLET.value: _l("No wallet has this structured communication"),
    UnmatchedReason.DEBIT.value: _l("Debit line (money going out)"),
    UnmatchedReason.NOT_EUR.value: _l("Not in euro"),
}
STATUSES = {
    LineStatus.BOOKED.value: _l("Booked"),
    LineStatus.ALREADY_BOOKED.value: _l("Already booked"),
    LineStatus.UNMATCHED.value: _l("Not booked"),
}


def _index(error: str | None = None, status: int = 200) -> Any:
    statements = db_session().scalars(select(BankStatement).order_by(BankStatement.id.desc()).limit(50)).all()
    return render_template("finance/statements.html", statements=statements, error=error), status


@bp.get("/statements")
def statements() -> Any:
    return _index()


@bp.post("/statements")
def import_statement() -> Any:
    upload = request.files.get("statement")
    if upload is None or not upload.filename:
        return _index(_("Choose a statement file (CODA or CSV) to import."), 400)
    data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        return _index(_("The file is larger than 5 MB: split the statement."), 400)
    try:
        parsed = parse_statement(upload.filename, data)
    except StatementError as exc:
        return _index(_("The file was not imported, nothing was booked: %(problem)s", problem=str(exc)), 400)
    statement_id = run_command(lambda s: book_statement(s, parsed, filename=upload.filename or "",
                                                        user_id=current_user.id).statement.id)
    return redirect(url_for("finance.statement", statement_id=statement_id))


@bp.get("/statements/<int:statement_id>")
def statement(statement_id: int) -> Any:
    session = db_session()
    row = session.get(BankStatement, statement_id)
    if row is None:
        abort(404)
    lines = session.scalars(select(BankStatementLine).where(BankStatementLine.statement_id == row.id)
                            .order_by(BankStatementLine.id)).all()
    wallet_ids = {line.wallet_id for line in lines if line.wallet_id is not None}
    organisations = {w.id: o for w, o in session.execute(
        select(Wallet, Organisation).join(Organisation, Organisation.id == Wallet.organisation_id)
        .where(Wallet.id.in_(wallet_ids)))} if wallet_ids else {}
    counts = {status: sum(1 for line in lines if line.status == status) for status in STATUSES}
    return render_template("finance/statement.html", statement=row, lines=lines, organisations=organisations,
                           counts=counts, reasons=REASONS, statuses=STATUSES)
