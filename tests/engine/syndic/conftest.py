"""A syndic world: the diagram deployed the way the app deploys it (webapp/cli.deploy_files), the
fee table, a syndic organisation with a portal account, a case worker, and documents in the
file store."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from engine.config import Settings
from engine.db import Database
from engine.queues.commands import seed_queues
from engine.syndic import fees
from engine.syndic.models import MandateRequest
from engine.syndic.requests import Association, submit_request
from engine.wallet import ledger
from engine.wallet.models import EntryKind
from engine.workflow.models import HumanTask, HumanTaskState
from integrations.documents.store import DiskStore
from tests.portal_support import organisation, portal_account
from webapp.bootstrap import Services, build_services
from webapp.cli import deploy_files

ROOT = Path(__file__).resolve().parents[3]
DIAGRAM = ROOT / "bpmn" / "syndic" / "mandate_request.bpmn"
ASSOCIATION = "0417497106"  # a valid enterprise number (modulo 97)
SYNDIC_COMPANY = "0403170701"


@dataclass
class World:
    org: int
    user: int
    staff: int
    documents: dict[str, dict[str, Any]]


@pytest.fixture
def services(settings: Settings, db: Database) -> Services:
    services = build_services(settings, db)
    refused = deploy_files(services, [DIAGRAM], echo=lambda *a, **k: None)
    assert refused == 0
    with db.transaction() as session:
        seed_queues(session)
        fees.ensure_default_rates(session)
    return services


def store_document(settings: Settings, name: str, content: bytes) -> dict[str, Any]:
    sha = DiskStore(settings.files_root).put_bytes(content)
    assert sha == hashlib.sha256(content).hexdigest()
    return {"sha256": sha, "name": name, "size": len(content), "content_type": "application/pdf"}


@pytest.fixture
def world(services: Services, settings: Settings, db: Database) -> World:
    from engine.access.models import Role
    from tests.webapp.support import create_user

    staff = create_user(db, Role.CASE_WORKER).id
    with db.transaction() as session:
        org = organisation(session, name="Syndic Dijle SRL", enterprise_number=SYNDIC_COMPANY)
        user = portal_account(session, first_name="Marie", locale="nl")
        return World(org.id, user.id, staff, {
            "decision_extract": store_document(settings, "pv-ag.pdf", b"%PDF-1.4 extract of the decision"),
            "revocation_proof": store_document(settings, "revocation.pdf", b"%PDF-1.4 revocation"),
        })


def top_up(db: Database, organisation_id: int, amount: str, reference: str) -> None:
    with db.transaction() as session:
        wallet = ledger.wallet_for(session, organisation_id)
        ledger.credit(session, wallet.id, Decimal(amount), kind=EntryKind.TOPUP_TRANSFER, reference=reference)


def registration_data(**over: Any) -> dict[str, Any]:
    data = {
        "kind": "registration", "association_number": ASSOCIATION, "syndic_kind": "natural",
        "syndic_name": "Janssens", "syndic_first_names": "Marie Louise", "syndic_person_number": "85073003328",
        "syndic_profession": "Syndic", "syndic_address": "Grote Markt 1, 2800 Mechelen",
        "syndic_email": "marie@example.be", "provisional": False, "appointed_by": "general_assembly",
        "decision_names_representative": None, "company_has_ipi": None,
        "decision_date": dt.date(2026, 9, 1), "mandate_start": dt.date(2026, 10, 1), "mandate_end": None,
        "effective_date": None,
    }
    data.update(over)
    return data


def submit(services: Services, w: World, data: dict[str, Any] | None = None, *, known: bool = True,
           today: dt.date = dt.date(2026, 9, 10), documents: dict | None = None) -> int:
    with services.db.transaction() as session:
        request = submit_request(
            session, services.engine, data=data or registration_data(),
            association=Association(number=ASSOCIATION, known=known, name="ACP Résidence Dijle"),
            organisation_id=w.org, requester_id=w.user, channel="portal",
            documents=documents if documents is not None else {"decision_extract": w.documents["decision_extract"]},
            today=today)
        return request.id


def review_task(db: Database, request_id: int) -> HumanTask:
    with db.transaction() as session:
        instance_id = session.get(MandateRequest, request_id).process_instance_id
        return session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                       HumanTask.state == HumanTaskState.READY)).one()
