"""Back office, finance: bank-statement upload and report (administrators and managers), the
``guichet wallet import-statement`` command; a malformed file names the line and books nothing."""

from __future__ import annotations

import io
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from engine.access.models import Role, User
from engine.db import Database
from engine.wallet import ledger
from engine.wallet.statements import BankStatement
from tests.integrations.bank.builders import Movement, coda, digits_of
from tests.portal_support import organisation
from tests.webapp.support import login, page_text

DATA = Path(__file__).resolve().parents[1] / "data" / "bank"


def _wallet(db: Database) -> int:
    with db.transaction() as session:
        return ledger.wallet_for(session, organisation(session, name="Syndic Senne SRL").id).id


def _upload(client: FlaskClient, name: str, data: bytes) -> object:
    return client.post("/finance/statements", data={"statement": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def test_manager_imports_a_statement_and_reads_the_report(client: FlaskClient, db: Database,
                                                          make_user: Callable[..., User]) -> None:
    wallet_id = _wallet(db)
    login(client, make_user(Role.MANAGER))
    assert client.get("/finance/statements").status_code == 200
    text = coda([Movement("150.00", digits_of(wallet_id)), Movement("20.00", "loyer")])
    response = _upload(client, "march.cod", text.encode())
    assert response.status_code == 302
    report = client.get(response.headers["Location"])
    html = report.get_data(as_text=True)
    assert 'data-status="booked"' in html and 'data-reason="no_communication"' in html
    assert "Syndic Senne SRL" in page_text(report)
    again = client.get(_upload(client, "march.cod", text.encode()).headers["Location"]).get_data(as_text=True)
    assert 'data-status="already_booked"' in again and 'data-status="booked"' not in again
    with db.transaction() as session:
        assert ledger.balance(session, wallet_id) == Decimal("150.00")


def test_malformed_file_names_the_line_and_writes_nothing(client: FlaskClient, db: Database,
                                                          make_user: Callable[..., User]) -> None:
    login(client, make_user(Role.ADMINISTRATOR))
    response = _upload(client, "broken.cod", (DATA / "broken_length.cod").read_bytes())
    assert response.status_code == 400
    assert "line 3" in page_text(response)
    assert _upload(client, "", b"").status_code == 400
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(BankStatement)) == 0


def test_other_roles_and_portal_accounts_are_refused(client: FlaskClient, db: Database,
                                                     make_user: Callable[..., User]) -> None:
    assert client.get("/finance/statements").status_code == 302  # sign in first
    login(client, make_user(Role.CASE_WORKER))
    assert client.get("/finance/statements").status_code == 403
    assert _upload(client, "x.cod", b"0").status_code == 403


def test_cli_import_statement(app: Flask, db: Database, tmp_path: Path) -> None:
    wallet_id = _wallet(db)
    path = tmp_path / "march.cod"
    path.write_text(coda([Movement("99.00", digits_of(wallet_id)), Movement("-5.00", "")]))
    runner = app.test_cli_runner()
    from webapp.cli import cli

    result = runner.invoke(cli, ["wallet", "import-statement", str(path)])
    assert result.exit_code == 0, result.output
    assert "1 booked, 0 already booked, 1 not booked" in result.output and "debit" in result.output
    broken = runner.invoke(cli, ["wallet", "import-statement", str(DATA / "broken_amount.csv")])
    assert broken.exit_code != 0 and "line 3" in broken.output
    with db.transaction() as session:
        assert ledger.balance(session, wallet_id) == Decimal("99.00")
