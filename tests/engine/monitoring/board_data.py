"""Hand-built dossiers for the phase board and dwell-time tests: each dossier gets a process
instance with a chosen status and ``dossier_phases`` rows at chosen times, each row left when
the next one is reached and counted in the dwell-time histogram, and the current row of an open
dossier marked with its type (as engine/cases/phases.py does), so the expected figures can be computed by hand."""

from __future__ import annotations

import datetime as dt
import itertools

from sqlalchemy.orm import Session

from engine.cases.models import Dossier, DossierPhase, DossierSubtype
from engine.cases.phases import refresh_open_rows
from engine.monitoring.dwell_rollup import count_left_phases
from engine.workflow.models import InstanceStatus, ProcessInstance, ProcessVersion

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)


def days_ago(days: float) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


class BoardData:
    """``data.dossier("loan", [("request", t0), ("analysis", t1)], status=..., ...)``."""

    _numbers = itertools.count(1)

    def __init__(self, session: Session) -> None:
        self.session = session
        self.version = ProcessVersion(key="monitoring_test", version=1, name="Test", source_name="test.bpmn",
                                      bpmn_xml="<definitions/>", checksum="0" * 64)
        session.add(self.version)
        session.flush()

    def subtype(self, dossier_type: str, code: str) -> DossierSubtype:
        subtype = DossierSubtype(type=dossier_type, code=code, name_fr=f"Sous-type {code}", name_nl=f"Subtype {code}",
                                 name_en=f"Subtype {code}")
        self.session.add(subtype)
        self.session.flush()
        return subtype

    def dossier(self, dossier_type: str, phases: list[tuple[str, dt.datetime]], *,
                status: str = InstanceStatus.WAITING, active: bool = True, subtype: DossierSubtype | None = None,
                project: str | None = None, title: str | None = None) -> Dossier:
        number = f"TST-{next(self._numbers):05d}"
        instance = ProcessInstance(process_version_id=self.version.id, process_key=dossier_type, subject_type="dossier",
                                   status=status, phase=phases[-1][0] if phases else None)
        self.session.add(instance)
        self.session.flush()
        dossier = Dossier(number=number, type=dossier_type, title=title or number, process_instance_id=instance.id,
                          active=active, subtype_id=subtype.id if subtype else None, main_project=project,
                          created_at=phases[0][1] if phases else NOW)
        self.session.add(dossier)
        self.session.flush()
        instance.subject_id = dossier.id
        for index, (phase, reached_at) in enumerate(phases):
            left_at = phases[index + 1][1] if index + 1 < len(phases) else None
            self.session.add(DossierPhase(dossier_id=dossier.id, phase=phase, reached_at=reached_at, left_at=left_at))
            if left_at is not None:  # the dwell-time histogram, as record_phase keeps it
                count_left_phases(self.session, dossier, [(phase, reached_at)], left_at)
        self.session.flush()
        refresh_open_rows(self.session, [dossier.id])  # the current row's open_type, as the engine keeps it
        return dossier
