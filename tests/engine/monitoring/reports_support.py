"""Hand-built data for the facts, lead-time and report tests: dossiers with a process instance in
a chosen phase and status, created and closed when the test says, a site address and facts."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from engine.cases.models import Dossier, DossierSubtype
from engine.monitoring.facts import DossierFact
from engine.places.models import Address, AddressDetails, DossierSite
from engine.workflow.models import InstanceStatus, ProcessInstance, ProcessVersion

_numbers = itertools.count(1)


def at(day: str) -> dt.datetime:
    """Noon UTC of an ISO date."""
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(12), tzinfo=dt.UTC)


def version(session: Session) -> ProcessVersion:
    existing = session.query(ProcessVersion).filter_by(key="report-test").one_or_none()
    if existing is not None:
        return existing
    row = ProcessVersion(key="report-test", version=1, name="Report test", source_name="report-test.bpmn",
                         bpmn_xml="<definitions/>", dmn_files={}, checksum="0" * 64)
    session.add(row)
    session.flush()
    return row


def subtype(session: Session, dossier_type: str, code: str) -> DossierSubtype:
    row = DossierSubtype(type=dossier_type, code=code, name_fr=code, name_nl=code, name_en=code)
    session.add(row)
    session.flush()
    return row


def address(session: Session, municipality: str, housing_type: str | None = None) -> Address:
    number = next(_numbers)
    row = Address(register_id=f"test-{number}", postcode="2800", municipality=municipality,
                  street="Teststraat", house_number=str(number))
    session.add(row)
    session.flush()
    if housing_type:
        session.add(AddressDetails(address_id=row.id, housing_type=housing_type))
        session.flush()
    return row


def dossier(session: Session, dossier_type: str, *, created: str, phase: str | None = None,
            closed: str | None = None, status: str | None = None, subtype_id: int | None = None,
            project: str | None = None, site: Address | None = None, journey: Dossier | None = None,
            active: bool = True, facts: dict[str, Any] | None = None, process: bool = True) -> Dossier:
    """``process=False``: a dossier whose process was never started (no instance row)."""
    number = next(_numbers)
    instance = ProcessInstance(
        process_version_id=version(session).id, process_key=dossier_type, subject_type="dossier",
        status=status or (InstanceStatus.COMPLETED if closed else InstanceStatus.WAITING),
        phase=phase, state="", started_at=at(created), updated_at=at(created),
        completed_at=at(closed) if closed else None)
    if process:
        session.add(instance)
        session.flush()
    row = Dossier(number=f"T-{number:05d}", type=dossier_type, title=f"Dossier {number}", subtype_id=subtype_id,
                  main_project=project, process_instance_id=instance.id if process else None,
                  created_at=at(created),
                  journey_id=journey.id if journey else None, active=active)
    session.add(row)
    session.flush()
    if process:
        instance.subject_id = row.id
    if site is not None:
        session.add(DossierSite(dossier_id=row.id, address_id=site.id))
    for name, value in (facts or {}).items():
        recorded = None
        if isinstance(value, tuple):  # (value, recorded on)
            value, recorded = value
        fact = DossierFact(dossier_id=row.id, name=name, recorded_at=at(recorded or created))
        if isinstance(value, dt.date):
            fact.value_date = value
        elif isinstance(value, int | float | Decimal):
            fact.value_number = Decimal(str(value))
        else:
            fact.value_text = value
        session.add(fact)
    session.flush()
    return row


def information(session: Session, requested: str, acted: str | None, **kwargs: Any) -> Dossier:
    """An Information dossier whose request and first action were on those dates."""
    facts = {"request_date": dt.date.fromisoformat(requested)}
    if acted:
        facts["first_action_date"] = dt.date.fromisoformat(acted)
    kwargs.setdefault("created", requested)
    return dossier(session, "information", facts=facts, **kwargs)
