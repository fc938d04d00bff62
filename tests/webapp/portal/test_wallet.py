"""The portal's wallet page: balance, top-up through the simulated provider (full round trip
through the test client), transfer instructions, the transactions table (filters, sort, paging,
CSV) and the PDF voucher; other organisations' entries answer 404, a member without the WALLET
function 403."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

from flask.testing import FlaskClient
from sqlalchemy import select

from engine.db import Database
from engine.payments.models import PaymentIntent
from engine.portal.models import Membership, PortalFunction
from engine.wallet import communication, ledger
from engine.wallet.models import EntryKind, WalletEntry
from tests.portal_support import PortalWorld
from tests.webapp.portal.helpers import accept_terms, sign_in, world
from tests.webapp.support import page_text


def pdf_text(data: bytes) -> str:
    """The text shown by an uncompressed PDF with the core font: the ``(...) Tj`` strings."""
    strings = re.findall(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", data)
    text = " ".join(re.sub(rb"\\(.)", rb"\1", s).decode("latin-1") for s in strings)
    return re.sub(r"\s+", " ", text)


def _wallet_with_entries(db: Database, w: PortalWorld) -> tuple[int, list[int]]:
    with db.transaction() as session:
        wallet = ledger.wallet_for(session, w.org.id)
        ids = [ledger.credit(session, wallet.id, "100.00", kind=EntryKind.TOPUP_TRANSFER, reference="T1").id,
               ledger.debit(session, wallet.id, "12.50", product="syndic_filing", reference="F1").id,
               ledger.debit(session, wallet.id, "30.00", product="energy_report", reference="F2").id]
        return wallet.id, ids


def _manager(client: FlaskClient, db: Database) -> PortalWorld:
    w = world(db)
    accept_terms(db, w.manager)
    sign_in(client, w.manager, w.org.id)
    return w


def test_page_shows_balance_transfer_instructions_and_transactions(client: FlaskClient, db: Database) -> None:
    w = _manager(client, db)
    wallet_id, _ids = _wallet_with_entries(db, w)
    response = client.get("/portal/wallet")
    assert response.status_code == 200
    text = page_text(response)
    assert "57,50" in text  # 100.00 - 12.50 - 30.00
    assert communication.make(wallet_id) in text
    assert "BE68 5390 0754 7034" in text
    html = response.get_data(as_text=True)
    assert html.count("data-entry=") == 3


def test_filters_sort_and_paging(client: FlaskClient, db: Database) -> None:
    w = _manager(client, db)
    _wallet_id, (credit_id, fee_id, report_id) = _wallet_with_entries(db, w)
    html = client.get("/portal/wallet?kind=fee").get_data(as_text=True)
    assert re.findall(r'data-entry="(\d+)"', html) == [str(report_id), str(fee_id)]
    html = client.get("/portal/wallet?product=syndic_filing").get_data(as_text=True)
    assert re.findall(r'data-entry="(\d+)"', html) == [str(fee_id)]
    html = client.get("/portal/wallet?sort=amount&order=asc").get_data(as_text=True)
    assert re.findall(r'data-entry="(\d+)"', html) == [str(report_id), str(fee_id), str(credit_id)]
    html = client.get("/portal/wallet?start=2000-01-01&end=2000-12-31").get_data(as_text=True)
    assert "data-entry=" not in html
    with db.transaction() as session:
        wallet = ledger.wallet_for(session, w.org.id)
        for n in range(30):
            ledger.credit(session, wallet.id, "1.00", kind=EntryKind.CORRECTION, reference=f"C{n}")
    first = client.get("/portal/wallet").get_data(as_text=True)
    assert first.count("data-entry=") == 25 and 'rel="next"' in first
    second = client.get("/portal/wallet?page=2").get_data(as_text=True)
    assert second.count("data-entry=") == 8 and 'rel="next"' not in second


def test_csv_export_uses_the_filters(client: FlaskClient, db: Database) -> None:
    w = _manager(client, db)
    _wallet_with_entries(db, w)
    response = client.get("/portal/wallet/transactions.csv?kind=fee&sort=amount&order=asc")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    assert len(rows) == 3
    assert [r[3] for r in rows[1:]] == ["-30.00", "-12.50"]
    assert [r[2] for r in rows[1:]] == ["energy_report", "syndic_filing"]


def test_voucher_pdf_says_it_is_not_an_invoice(client: FlaskClient, db: Database) -> None:
    w = _manager(client, db)
    _wallet_id, (_credit_id, fee_id, _report) = _wallet_with_entries(db, w)
    response = client.get(f"/portal/wallet/entries/{fee_id}/voucher.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    data = response.get_data()
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    assert "Syndic Dijle SRL" in text and "syndic_filing" in text and "F1" in text and "12,50" in text
    # the manager's language is French (portal_account locale="fr")
    assert "Ce bon n'est pas une facture" in text, text


def test_voucher_of_another_organisation_is_404(client: FlaskClient, db: Database) -> None:
    w = _manager(client, db)
    with db.transaction() as session:
        other = ledger.wallet_for(session, w.other_org.id)
        foreign = ledger.credit(session, other.id, "60.00", kind=EntryKind.TOPUP_TRANSFER, reference="X").id
    assert client.get(f"/portal/wallet/entries/{foreign}/voucher.pdf").status_code == 404
    assert client.get("/portal/wallet/entries/999999/voucher.pdf").status_code == 404


def test_member_without_the_wallet_function_is_refused(client: FlaskClient, db: Database) -> None:
    w = world(db)
    with db.transaction() as session:
        membership = session.scalar(select(Membership).where(Membership.user_id == w.technical.id))
        membership.denied_functions = [PortalFunction.WALLET.value]
    accept_terms(db, w.technical)
    sign_in(client, w.technical, w.org.id)
    assert client.get("/portal/wallet").status_code == 403
    assert client.post("/portal/wallet/topup", data={"amount": "60", "method": "bancontact"}).status_code == 403
    assert client.get("/portal/wallet/transactions.csv").status_code == 403


def test_minimum_top_up_is_50_euro(client: FlaskClient, db: Database) -> None:
    _manager(client, db)
    response = client.post("/portal/wallet/topup", data={"amount": "49.99", "method": "bancontact"})
    assert response.status_code == 400
    assert "50.00" in page_text(response)
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    with db.transaction() as session:
        assert session.scalars(select(PaymentIntent)).all() == []


def test_simulated_payment_round_trip(client: FlaskClient, db: Database) -> None:
    w = _manager(client, db)
    started = client.post("/portal/wallet/topup", data={"amount": "60,00", "method": "bancontact"})
    assert started.status_code == 302
    checkout = started.headers["Location"]
    assert checkout.startswith("/payments/simulated/SIM-")
    page = client.get(checkout)
    assert page.status_code == 200 and "SIMULATION" in page_text(page)
    paid = client.post(checkout + "/pay")
    assert paid.status_code == 302
    back = client.get(paid.headers["Location"], follow_redirects=True)
    text = page_text(back)
    assert "Paiement reçu" in text or "Payment received" in text
    assert "60,00" in text
    with db.transaction() as session:
        wallet = ledger.wallet_for(session, w.org.id)
        assert ledger.balance(session, wallet.id) == Decimal("60.00")
        entry = session.scalars(select(WalletEntry)).one()
        assert entry.kind == EntryKind.TOPUP_ONLINE and entry.reference == checkout.rsplit("/", 1)[1]
    # paying again (a second click, a replayed form) books nothing
    client.post(checkout + "/pay")
    with db.transaction() as session:
        assert ledger.balance(session, ledger.wallet_for(session, w.org.id).id) == Decimal("60.00")


def test_simulated_payment_cancelled(client: FlaskClient, db: Database) -> None:
    w = _manager(client, db)
    checkout = client.post("/portal/wallet/topup", data={"amount": "75", "method": "maestro"}).headers["Location"]
    back = client.post(checkout + "/cancel", follow_redirects=True)
    text = page_text(back)
    assert "annulé" in text or "cancelled" in text
    with db.transaction() as session:
        assert ledger.balance(session, ledger.wallet_for(session, w.org.id).id) == Decimal("0.00")
        assert session.scalars(select(PaymentIntent)).one().status == "cancelled"


def test_checkout_of_someone_else_is_404(client: FlaskClient, db: Database) -> None:
    w = _manager(client, db)
    checkout = client.post("/portal/wallet/topup", data={"amount": "75", "method": "maestro"}).headers["Location"]
    client.get("/logout")
    accept_terms(db, w.outsider)
    sign_in(client, w.outsider, w.other_org.id)
    assert client.get(checkout).status_code == 404
    assert client.post(checkout + "/pay").status_code == 404
    reference = checkout.rsplit("/", 1)[1]
    assert client.get(f"/portal/wallet/payments/{reference}/return").status_code == 404
