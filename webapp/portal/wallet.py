"""The portal's wallet page (seed 002 "Wallet"): the balance, the online top-up ("Charger":
Bancontact / Maestro, at least 50.00 EUR), the bank-transfer instructions with the wallet's
structured communication, the transactions table (sort, filter, paging, CSV export) and a PDF
voucher per transaction. Also the payment provider's callback, the only route here that is
not the member's: it is server to server, CSRF-exempt, and trusted only for its HMAC signature.

The structured communication of a wallet is ``communication.make(wallet.id)``: its ten digits
are the wallet id, so the bank-statement import (engine/wallet/statements.py) finds the wallet
from the communication alone."""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
from decimal import Decimal
from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import ValidationError, fields, validate, validates

from engine.parties.models import Organisation
from engine.payments import commands as payments
from engine.payments.models import PaymentIntent, PaymentMethod, PaymentStatus
from engine.portal.models import PortalFunction
from engine.wallet import communication, ledger, transactions, voucher
from engine.wallet.errors import WalletError
from engine.wallet.models import EntryKind, Wallet, WalletEntry
from engine.workflow.errors import NotFound
from forms.base_schema import FormSchema
from integrations.payments import provider_for
from integrations.payments.signature import HEADER, BadCallback, secret, verify
from webapp.context import db_session, services
from webapp.portal.blueprint import bp
from webapp.portal.context import current_access, portal_required
from webapp.security import csrf
from webapp.transactions import run_command

log = logging.getLogger(__name__)
PAGE_SIZE = 25

KIND_LABELS = {
    EntryKind.TOPUP_ONLINE.value: _l("Online top-up"),
    EntryKind.TOPUP_TRANSFER.value: _l("Top-up by bank transfer"),
    EntryKind.FEE.value: _l("Fee"),
    EntryKind.REFUND.value: _l("Refund"),
    EntryKind.CORRECTION.value: _l("Correction"),
}
METHOD_LABELS = {PaymentMethod.BANCONTACT.value: "Bancontact", PaymentMethod.MAESTRO.value: "Maestro"}


class TopUpSchema(FormSchema):
    amount = fields.Decimal(required=True, places=2, as_string=False,
                            error_messages={"invalid": _l("Enter an amount in euro, for example 60.00.")})
    method = fields.String(required=True, validate=validate.OneOf(
        [m.value for m in PaymentMethod], error=_l("Choose Bancontact or Maestro.")))

    @validates("amount")
    def _minimum(self, value: Decimal, **_kwargs: Any) -> None:
        if value < ledger.MIN_ONLINE_TOPUP:
            raise ValidationError(_("The minimum top-up is 50.00 EUR: enter 50.00 or more."))
        if value > Decimal("100000"):
            raise ValidationError(_("Enter at most 100000.00 EUR per payment."))


class FilterSchema(FormSchema):
    start = fields.Date(load_default=None)
    end = fields.Date(load_default=None)
    product = fields.String(load_default=None)
    kind = fields.String(load_default=None, validate=validate.OneOf([k.value for k in EntryKind]))
    sort = fields.String(load_default="date", validate=validate.OneOf(["date", "amount"]))
    order = fields.String(load_default="desc", validate=validate.OneOf(["asc", "desc"]))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))


def local_time(entry: WalletEntry) -> str:
    """The entry's time in Belgium (stored in UTC), as on the bank statements the user compares."""
    return entry.created_at.astimezone(transactions.BRUSSELS).strftime("%Y-%m-%d %H:%M")


def money(value: Decimal | float | int) -> str:
    return f"{format_decimal(Decimal(str(value)).quantize(ledger.CENT), format='#,##0.00')} €"


def _wallet() -> Wallet:
    """The chosen organisation's wallet (created on first visit, in its own transaction)."""
    access = current_access()
    assert access is not None  # portal_required saw to it
    session = db_session()
    wallet = session.query(Wallet).filter(Wallet.organisation_id == access.organisation_id).one_or_none()
    if wallet is None:
        wallet_id = run_command(lambda s: ledger.wallet_for(s, access.organisation_id, user_id=current_user.id).id)
        wallet = db_session().get(Wallet, wallet_id)
        assert wallet is not None
    return wallet


def _filters() -> tuple[transactions.EntryFilter, int, dict[str, list[str]], dict[str, str]]:
    raw = {k: v for k, v in request.args.items() if k in FilterSchema().fields and v.strip()}
    try:
        data = FilterSchema().load(raw)
        errors: dict[str, list[str]] = {}
    except ValidationError as exc:
        errors = exc.messages  # type: ignore[assignment]
        data = FilterSchema().load({k: v for k, v in raw.items() if k not in errors})
    entry_filter = transactions.EntryFilter(start=data["start"], end=data["end"], product=data["product"],
                                            kind=data["kind"], sort=data["sort"], descending=data["order"] == "desc")
    return entry_filter, data["page"], errors, raw


def _page(errors: dict[str, Any] | None = None, values: dict[str, str] | None = None, status: int = 200) -> Any:
    access = current_access()
    assert access is not None
    wallet = _wallet()
    session = db_session()
    entry_filter, page, filter_errors, raw = _filters()
    rows = list(transactions.search(session, wallet.id, entry_filter, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE))
    has_next = len(rows) > PAGE_SIZE
    settings = services().settings
    organisation = session.get(Organisation, access.organisation_id)
    return render_template(
        "portal/wallet/index.html", access=access, wallet=wallet, organisation=organisation,
        balance=ledger.balance(session, wallet.id), rows=rows[:PAGE_SIZE], page=page, has_next=has_next,
        filters=raw, filter_errors=filter_errors, products=transactions.products(session, wallet.id),
        kinds=KIND_LABELS, methods=METHOD_LABELS, money=money, errors=errors or {}, values=values or {},
        structured_communication=communication.make(wallet.id), bank_account=settings.wallet_bank_account,
        bank_name=settings.wallet_bank_name, minimum=money(ledger.MIN_ONLINE_TOPUP),
        query_without=lambda *keys: {k: v for k, v in raw.items() if k not in keys}), status


@bp.get("/wallet")
@portal_required(PortalFunction.WALLET)
def wallet() -> Any:
    return _page()


@bp.post("/wallet/topup")
@portal_required(PortalFunction.WALLET)
def wallet_topup() -> Any:
    access = current_access()
    assert access is not None
    values = {"amount": (request.form.get("amount") or "").strip().replace(",", "."),
              "method": request.form.get("method") or ""}
    try:
        data = TopUpSchema().load(values)
    except ValidationError as exc:
        return _page(exc.messages, values, 400)  # type: ignore[arg-type]
    provider = provider_for(services().settings)
    organisation = db_session().get(Organisation, access.organisation_id)
    description = f"Wallet {organisation.name if organisation else access.organisation_id}"
    checkout = provider.create_payment(data["amount"], data["method"], description,
                                       url_for("portal.wallet", _external=True))
    try:
        run_command(lambda s: payments.start_payment(
            s, access.organisation_id, data["amount"], data["method"], provider=provider.name,
            provider_reference=checkout.reference, user_id=current_user.id))
    except WalletError as exc:
        return _page({"amount": [str(exc)]}, values, 400)
    return redirect(checkout.redirect_url)


@bp.get("/wallet/payments/<reference>/return")
@portal_required(PortalFunction.WALLET)
def wallet_payment_return(reference: str) -> Any:
    """Where the provider sends the payer back: says what happened to the payment."""
    intent = _own_intent(reference)
    if intent.status == PaymentStatus.PAID:
        flash(_("Payment received: %(amount)s was added to your wallet.", amount=money(intent.amount)), "success")
    elif intent.status in (PaymentStatus.CANCELLED, PaymentStatus.FAILED):
        flash(_("Payment cancelled: nothing was charged and your balance is unchanged."), "error")
    else:
        flash(_("The payment is not confirmed yet; your balance will show it once it is."), "info")
    return redirect(url_for("portal.wallet"))


def _own_intent(reference: str) -> PaymentIntent:
    access = current_access()
    assert access is not None
    session = db_session()
    try:
        intent = payments.intent_by_reference(session, reference)
    except NotFound:
        abort(404)
    wallet = session.get(Wallet, intent.wallet_id)
    if wallet is None or wallet.organisation_id != access.organisation_id:
        abort(404)
    return intent


@bp.post("/wallet/payments/callback")
def wallet_payment_callback() -> Any:
    """The provider's confirmation. Trusted only when signed (HMAC-SHA256, constant-time check)
    and recent; books the credit once (a replay answers 200 "already booked")."""
    settings = services().settings
    data = request.get_data(cache=False)
    try:
        callback = verify(secret(settings), data, request.headers.get(HEADER),
                          window_s=settings.payment_callback_window_s)
    except BadCallback as exc:
        log.warning("payment callback refused from %s: %s", request.remote_addr, exc)
        return Response(f"refused: {exc}", status=400, mimetype="text/plain")
    try:
        outcome = run_command(lambda s: payments.confirm_payment(s, callback.reference, callback.amount,
                                                                 callback.status))
    except NotFound:
        log.warning("payment callback for an unknown payment %s", callback.reference)
        return Response("unknown payment", status=404, mimetype="text/plain")
    except WalletError as exc:
        log.warning("payment callback refused for %s: %s", callback.reference, exc)
        return Response(f"refused: {exc}", status=400, mimetype="text/plain")
    return Response(str(outcome), status=200, mimetype="text/plain")


csrf.exempt(wallet_payment_callback)


@bp.get("/wallet/transactions.csv")
@portal_required(PortalFunction.WALLET)
def wallet_export() -> Any:
    wallet = _wallet()
    entry_filter, _page_number, _errors, _raw = _filters()
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow([_("Date"), _("Transaction"), _("Product"), _("Amount (EUR)"), _("Reference"), _("Number")])
    for entry in transactions.export(db_session(), wallet.id, entry_filter):
        writer.writerow([local_time(entry), str(KIND_LABELS.get(entry.kind, entry.kind)),
                         entry.product or "", f"{Decimal(str(entry.amount)).quantize(ledger.CENT)}",
                         entry.reference or "", entry.id])
    name = f"wallet-{dt.date.today().isoformat()}.csv"
    return Response("\ufeff" + buffer.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/wallet/entries/<int:entry_id>/voucher.pdf")
@portal_required(PortalFunction.WALLET)
def wallet_voucher(entry_id: int) -> Any:
    """The voucher of one transaction of THIS organisation's wallet (404 for any other)."""
    access = current_access()
    assert access is not None
    session = db_session()
    entry = session.get(WalletEntry, entry_id)
    wallet = session.get(Wallet, entry.wallet_id) if entry is not None else None
    if entry is None or wallet is None or wallet.organisation_id != access.organisation_id:
        abort(404)
    organisation = session.get(Organisation, access.organisation_id)
    assert organisation is not None
    label = str(KIND_LABELS.get(entry.kind, entry.kind))
    if entry.product:
        label = f"{label}: {entry.product}"
    org_text = organisation.name + (f" ({organisation.enterprise_number})" if organisation.enterprise_number else "")
    text = voucher.VoucherText(
        title=_("Transaction voucher"),
        issuer=services().settings.wallet_bank_name,
        rows=[(_("Date"), local_time(entry)), (_("Transaction"), label),
              (_("Amount"), money(entry.amount)), (_("Reference"), entry.reference or "-"),
              (_("Number"), str(entry.id)), (_("Organisation"), org_text)],
        notice=_("This voucher is not an invoice; an invoice for the product or service is sent periodically."))
    pdf = voucher.render(text, compress=False)  # uncompressed: a few kB, and its text stays searchable
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="voucher-{entry.id}.pdf"'})
