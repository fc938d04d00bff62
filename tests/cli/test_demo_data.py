"""The realistic demo set of ``guichet demo`` (webapp/demo_data): ≥300 dossiers of the seven
types in many phases, journeys, parties, site addresses, details, EPC records and works, tasks
for the demo users, dates over the last 18 months — and a second load adds nothing."""

from __future__ import annotations

import datetime as dt
import time

from sqlalchemy import func, select

from engine.access.models import User
from engine.cases.models import Dossier, DossierPhase, DossierSubtype, DossierType, NumberSequence
from engine.cases.rmp_financing import RmpFinancing
from engine.cases.works import Works
from engine.config import Settings
from engine.db import Database, utcnow
from engine.parties.models import Contact, InvolvedParty, Organisation
from engine.places.models import Address, AddressDetails, DossierSite, EpcRecord
from engine.workflow.models import AuditEvent, HumanTask, HumanTaskState, InstanceStatus, ProcessInstance
from webapp.bootstrap import build_services
from webapp.cli import BPMN_ROOT, deploy_files
from webapp.demo import DEMO_DOSSIERS, load_demo_data
from webapp.demo_data.loader import MARKER


def _count(session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_realistic_demo_set(settings: Settings, db: Database) -> None:
    services = build_services(settings, db)
    lines: list[str] = []

    def echo(message: str = "", **_kwargs: object) -> None:
        lines.append(message)

    assert deploy_files(services, sorted(BPMN_ROOT.rglob("*.bpmn")), echo=echo) == 0, lines
    started = time.perf_counter()
    load_demo_data(services, echo=echo)
    elapsed = time.perf_counter() - started
    assert not [line for line in lines if "do not validate" in line or "not created" in line], lines
    assert elapsed < 60, f"loading the demo took {elapsed:.1f} s"

    with db.transaction() as session:
        total = _count(session, Dossier)
        assert total >= 300
        by_type = dict(session.execute(select(Dossier.type, func.count()).group_by(Dossier.type)).all())
        assert set(by_type) == {t.value for t in DossierType}
        phases = {(t, p) for t, p in session.execute(
            select(Dossier.type, ProcessInstance.phase).join(ProcessInstance,
                                                             ProcessInstance.id == Dossier.process_instance_id))}
        for dossier_type in DossierType:
            assert len({p for t, p in phases if t == dossier_type.value}) >= 3, dossier_type
        statuses = set(session.scalars(select(ProcessInstance.status)))
        assert {InstanceStatus.COMPLETED, InstanceStatus.WAITING} <= statuses
        # every active subtype is used
        active = set(session.scalars(select(DossierSubtype.id).where(DossierSubtype.active.is_(True))))
        assert active <= set(session.scalars(select(Dossier.subtype_id).where(Dossier.subtype_id.is_not(None))))
        # journeys: ~30 % follow-ups, of other types than their first dossier too
        follow_ups = _count(session, Dossier, Dossier.journey_id.is_not(None))
        assert 0.2 * total <= follow_ups <= 0.45 * total
        root = Dossier.__table__.alias("root")
        assert session.scalar(select(func.count()).select_from(Dossier).join(root, root.c.id == Dossier.journey_id)
                              .where(root.c.type != Dossier.type)) > 0
        # parties, places, works
        assert _count(session, Contact) >= 200
        assert _count(session, Contact, Contact.email.like("%@%")) >= 150
        # contacts' addresses come from the register (the Mechelen sample), never typed
        with_address = _count(session, Contact, Contact.address_id.is_not(None))
        assert with_address >= 0.7 * _count(session, Contact)
        assert _count(session, Contact, Contact.address_id.is_not(None),
                      ~Contact.address_id.in_(select(Address.id))) == 0
        assert _count(session, Organisation, Organisation.enterprise_number.is_not(None)) >= 10
        assert {"co_ownership_association", "syndic", "contractor"} <= set(
            session.scalars(select(Organisation.kind).distinct()))
        roots = _count(session, Dossier, Dossier.journey_id.is_(None))
        assert _count(session, InvolvedParty) >= roots
        assert _count(session, InvolvedParty, InvolvedParty.is_main.is_(True)) >= 0.9 * (roots - len(DEMO_DOSSIERS))
        assert _count(session, DossierSite) >= roots - len(DEMO_DOSSIERS)
        assert _count(session, AddressDetails) >= 30 and _count(session, EpcRecord) >= 30
        assert _count(session, Works) >= 30 and _count(session, Works, Works.investment_decided.is_(True)) >= 10
        assert _count(session, RmpFinancing) >= 5  # simulations on RMP and collective-renovation dossiers
        # real processes: phase history, audit trails, open tasks for the demo users and in queues
        assert _count(session, DossierPhase) >= total * 2
        assert _count(session, AuditEvent) >= total * 5
        assignees = dict(session.execute(
            select(User.email, func.count()).select_from(HumanTask).outerjoin(User, User.id == HumanTask.assignee_id)
            .where(HumanTask.state == HumanTaskState.READY).group_by(User.email)).all())
        assert assignees.get("caseworker@guichet.local", 0) >= 20
        assert assignees.get("dispatcher@guichet.local", 0) >= 10
        assert assignees.get(None, 0) >= 10  # left in the queues
        # dates spread over the last 18 months
        oldest = session.scalar(select(func.min(Dossier.created_at)))
        assert utcnow() - oldest.replace(tzinfo=dt.UTC) > dt.timedelta(days=365)
        counts = {model: _count(session, model) for model in (Dossier, Contact, Organisation, AuditEvent, Works)}
        assert session.get(NumberSequence, MARKER) is not None

    load_demo_data(services, echo=echo)  # a second `make demo` adds nothing
    with db.transaction() as session:
        assert {model: _count(session, model) for model in counts} == counts
