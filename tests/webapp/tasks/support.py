"""Open tasks written straight into the tables, to test the list's filters and order without
running a process for each one (the in-place completion tests run the real Information process)."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid

from sqlalchemy import select

from engine.cases.models import Dossier
from engine.db import Database
from engine.workflow.models import HumanTask, ProcessInstance, ProcessVersion

_numbers = itertools.count(1)


def make_task(db: Database, *, name: str = "Check the file", dossier_type: str = "information",
              queue: str | None = "frontdesk", phase: str | None = "request", assignee_id: int | None = None,
              due_at: dt.datetime | None = None, created_at: dt.datetime | None = None) -> int:
    """A dossier of ``dossier_type`` with one open task; returns the task id."""
    number = next(_numbers)
    with db.transaction() as session:
        version = session.scalar(select(ProcessVersion).order_by(ProcessVersion.id).limit(1))
        assert version is not None, "the app fixture deploys the Information process"
        instance = ProcessInstance(process_version_id=version.id, process_key=dossier_type, status="waiting",
                                   phase=phase, state="")
        session.add(instance)
        session.flush()
        session.add(Dossier(number=f"T-{number:05d}", type=dossier_type, title=f"Dossier {number}",
                            process_instance_id=instance.id))
        task = HumanTask(instance_id=instance.id, task_guid=str(uuid.uuid4()), process_key=dossier_type,
                         bpmn_id="check", name=name, queue=queue, phase=phase, assignee_id=assignee_id,
                         due_at=due_at, created_at=created_at or dt.datetime.now(dt.UTC))
        session.add(task)
        session.flush()
        return task.id
