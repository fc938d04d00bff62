"""Shared set-up of the syndic-mandate web tests (portal and back office): the diagrams deployed
as the app deploys them, a BCE lookup that knows one association, a portal organisation ready to
file (terms accepted, IPI accreditation recorded, tool enabled), and valid form input."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.access.models import User
from engine.db import Database
from engine.portal import tools
from engine.queues.commands import seed_queues
from engine.syndic import fees
from engine.wallet import ledger
from engine.wallet.models import EntryKind
from integrations.bce.lookup import EnterpriseRecord
from tests.portal_support import PortalWorld
from tests.webapp.portal.helpers import accept_terms, sign_in, world

ROOT = Path(__file__).resolve().parents[3]
BPMN = sorted((ROOT / "bpmn" / "syndic").glob("*.bpmn"))
KNOWN_ASSOCIATION = "0850412361"  # VME Residentie Dijlezicht
UNKNOWN_ASSOCIATION = "0850987136"  # valid, but the fake BCE does not know it
SYNDIC_COMPANY = "0440937551"
PERSON_NUMBER = "85073003328"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


class FakeLookup:
    """The BCE as the tests need it: one association known, every other valid number unknown."""

    def lookup(self, number: str) -> EnterpriseRecord | None:
        from engine.parties.enterprise_number import normalise

        if normalise(number) == KNOWN_ASSOCIATION:
            return EnterpriseRecord(enterprise_number=KNOWN_ASSOCIATION, name="VME Residentie Dijlezicht",
                                    legal_form="Vereniging van mede-eigenaars", street="Haverwerf",
                                    house_number="12", postcode="2800", municipality="Mechelen")
        return None


def deploy_syndic(app: Flask, db: Database) -> Flask:
    """The syndic diagrams deployed (as `guichet bpmn deploy` does), the queues seeded, the fake BCE."""
    from webapp.cli import deploy_files

    services = app.extensions["guichet"]
    assert BPMN, "bpmn/syndic/ holds no diagram"
    problems: list[str] = []
    assert deploy_files(services, BPMN, echo=lambda text, **_k: problems.append(str(text))) == 0, problems
    with db.transaction() as session:
        seed_queues(session)
        fees.ensure_default_rates(session)
    app.extensions["guichet_bce"] = FakeLookup()
    return app


def ready_world(db: Database, *, credit: Decimal | None = Decimal("500.00")) -> PortalWorld:
    """The portal world with the syndic_filing tool usable by its manager (and a credited wallet)."""
    w = world(db)
    accept_terms(db, w.manager)
    accept_terms(db, w.technical)
    accept_terms(db, w.outsider)
    with db.transaction() as session:
        for user in (w.manager, w.technical, w.outsider):  # the assertions read English pages
            session.get(User, user.id).locale = "en"
        tools.ensure_tools(session)
        tools.record_accreditation(session, w.manager.id, kind="ipi_member", reference="IPI 500.001",
                                   organisation_id=w.org.id)
        tools.enable_tool(session, w.manager.id, w.org.id, "syndic_filing")
        if credit:
            wallet = ledger.wallet_for(session, w.org.id)
            ledger.credit(session, wallet.id, credit, kind=EntryKind.TOPUP_TRANSFER, reference="test:credit")
    return w


def credit(db: Database, organisation_id: int, amount: Decimal, reference: str) -> None:
    with db.transaction() as session:
        wallet = ledger.wallet_for(session, organisation_id)
        ledger.credit(session, wallet.id, amount, kind=EntryKind.TOPUP_TRANSFER, reference=reference)


def balance(db: Database, organisation_id: int) -> Decimal:
    with db.transaction() as session:
        return ledger.balance(session, ledger.wallet_for(session, organisation_id).id)


def signed_in_manager(client: FlaskClient, w: PortalWorld) -> FlaskClient:
    sign_in(client, w.manager, w.org.id)
    return client


def registration_form(*, today: dt.date | None = None, association: str = KNOWN_ASSOCIATION,
                      start_in_days: int = 40, decision_days_ago: int = 0, **overrides: Any) -> dict[str, Any]:
    """A valid registration of a company syndic whose decision names a representative, with the
    decision extract attached (a fresh stream each call)."""
    day = today or dt.date.today()
    data: dict[str, Any] = {
        "association_number": association, "syndic_kind": "legal", "syndic_name": "Syndicus Van Rompaey",
        "syndic_enterprise_number": SYNDIC_COMPANY, "syndic_address": "Bruul 10, 2800 Mechelen",
        "syndic_email": "syndic@example.test", "syndic_phone": "+32 15 00 00 00",
        "appointed_by": "general_assembly", "decision_date": (day - dt.timedelta(days=decision_days_ago)).isoformat(),
        "mandate_start": (day + dt.timedelta(days=start_in_days)).isoformat(),
        "decision_names_representative": "true", "representative_name": "Peeters",
        "representative_first_names": "Jan", "representative_person_number": PERSON_NUMBER,
        "decision_extract": (io.BytesIO(PDF), "pv-ag.pdf"),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def the_request(db: Database) -> Any:
    from engine.syndic.models import MandateRequest

    with db.transaction() as session:
        row = session.scalars(select(MandateRequest).order_by(MandateRequest.id.desc())).first()
        session.expunge_all()
    return row
