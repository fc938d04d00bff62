"""Dossier facts: the few figures managers report on, copied out of the task forms.

What a person types in a task form lives in the instance's serialized workflow data, which no
report can read at scale. The forms declare which of their fields are *facts* (field metadata
``{"fact": "request_date"}``); when a human task of a dossier completes, :class:`FactRecorder`
(an ``engine.on_task_completed`` listener installed by the composition root, which reads the
mapping form key -> {field: fact name} from the forms registry) writes them to
``dossier_facts``, one row per (dossier, fact name), in the completion's transaction. A later
completion of the same fact wins (an upsert on both databases), so the table always holds the
dossier's current value.

engine/ knows no forms: the recorder only receives the mapping.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from sqlalchemy import ForeignKey, Index, Numeric, String, UniqueConstraint, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine.cases.models import Dossier
from engine.db import Base, utcnow
from engine.workflow.models import HumanTask, ProcessInstance
from engine.workflow.runtime import WorkflowEngine

NAME_MAX = 60
TEXT_MAX = 200

# form key -> {form field: fact name}
FactMapping = Mapping[str, Mapping[str, str]]


class DossierFact(Base):
    """One reported figure of a dossier: a number, a date or a short text (exactly one is set)."""

    __tablename__ = "dossier_facts"
    __table_args__ = (
        UniqueConstraint("dossier_id", "name", name="uq_dossier_facts_dossier_id_name"),
        Index("ix_dossier_facts_name_value_date", "name", "value_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    value_number: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    value_date: Mapped[dt.date | None]
    value_text: Mapped[str | None] = mapped_column(String(TEXT_MAX))
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


def fact_columns(value: Any) -> dict[str, Any] | None:
    """The three value columns for ``value``; None when the value says nothing (empty, a list…).

    Dates stay dates, amounts and counts become numbers (to the cent), text is cut to fit."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        value = value.astimezone(dt.UTC).date() if value.tzinfo else value.date()
    if isinstance(value, dt.date):
        return {"value_number": None, "value_date": value, "value_text": None}
    if isinstance(value, bool):
        return {"value_number": Decimal(int(value)), "value_date": None, "value_text": None}
    if isinstance(value, int | float | Decimal):
        try:
            number = Decimal(str(value)).quantize(Decimal("0.01"))
        except InvalidOperation:
            return None
        return {"value_number": number, "value_date": None, "value_text": None}
    if isinstance(value, str):
        return {"value_number": None, "value_date": None, "value_text": value.strip()[:TEXT_MAX]}
    return None


@lru_cache(maxsize=4)
def _upsert(dialect: str) -> Any:
    """The fact upsert of one dialect, built once: building an ON CONFLICT statement (its
    ``excluded`` alias copies every column) costs more than running it."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(DossierFact)
    return statement.on_conflict_do_update(
        index_elements=[DossierFact.dossier_id, DossierFact.name],
        set_={key: statement.excluded[key] for key in ("value_number", "value_date", "value_text", "recorded_at")},
    )


def record_facts(session: Session, dossier_id: int, values: Mapping[str, Any]) -> int:
    """Upsert ``{fact name: value}`` for the dossier; returns how many facts were written.

    INSERT … ON CONFLICT (dossier_id, name) DO UPDATE with all the rows in one execution, on
    SQLite and PostgreSQL alike, so two completions never leave two rows and the later one wins."""
    rows = []
    now = utcnow()
    for name, value in values.items():
        if not name or len(name) > NAME_MAX:
            raise ValueError(f"fact name {name!r} must have 1 to {NAME_MAX} characters")
        columns = fact_columns(value)
        if columns is not None:
            rows.append({"dossier_id": dossier_id, "name": name, "recorded_at": now, **columns})
    if not rows:
        return 0
    # Core, not the ORM's bulk insert (which splits the rows by the columns they leave NULL)
    session.connection().execute(_upsert(session.get_bind().dialect.name), rows)
    return len(rows)


class FactRecorder:
    """``WorkflowEngine.on_task_completed`` listener: keep the declared facts of a completed
    task of a dossier."""

    def __init__(self, mapping: FactMapping) -> None:
        self.mapping = {key: dict(fields) for key, fields in mapping.items() if fields}

    def __call__(self, session: Session, instance: ProcessInstance, human_task: HumanTask,
                 cleaned_data: Mapping[str, Any]) -> None:
        fields = self.mapping.get(human_task.form_key or "")
        if not fields or instance.subject_type != "dossier" or instance.subject_id is None:
            return
        dossier = session.get(Dossier, instance.subject_id)
        if dossier is None:
            return  # the subject is only a label for the engine: no dossier, no facts
        # the identity map holds objects weakly: keep the dossier for this transaction, so that
        # the phase listener that runs at the save finds it without a second SELECT
        session.info.setdefault("loaded_dossiers", []).append(dossier)
        values = {fact: cleaned_data.get(field) for field, fact in fields.items() if field in cleaned_data}
        record_facts(session, instance.subject_id, values)


def install_fact_recorder(engine: WorkflowEngine, mapping: FactMapping) -> FactRecorder:
    """Add a recorder for ``mapping`` to the engine's task-completion listeners (once)."""
    listeners = engine.on_task_completed
    for listener in listeners:
        if isinstance(listener, FactRecorder):
            listener.mapping = FactRecorder(mapping).mapping
            return listener
    recorder = FactRecorder(mapping)
    listeners.append(recorder)
    return recorder


def facts_of(session: Session, dossier_id: int) -> dict[str, Any]:
    """The dossier's facts as {name: value} (for tests and the dossier page)."""
    out: dict[str, Any] = {}
    for fact in session.scalars(select(DossierFact).where(DossierFact.dossier_id == dossier_id)):
        out[fact.name] = next((v for v in (fact.value_date, fact.value_number, fact.value_text) if v is not None),
                              None)
    return out
