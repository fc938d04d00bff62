"""The KBO open-data tables: one table per file of the public dump (integrations/bce/kbo imports
them) and the import runs that make an import resumable.

The dump lists active entities only and keeps no history, so these tables are a plain copy of the
last set applied: a full set replaces them, an update set deletes then inserts per entity number.
``bce_enterprises`` (engine/parties/models.py) stays the denormalised row the lookup reads; the
importer rebuilds it from these tables for the enterprises a run touched.

Entity numbers are stored as 10 digits without dots (``0200065765``), dates as dates, codes as the
file gives them. The multi-row tables (denominations, addresses, contacts, activities) have a
surrogate key and an index on the entity number: updates delete by entity number.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base, UTCDateTime


class KboMeta(Base):
    """meta.csv: SnapshotDate, ExtractTimestamp, ExtractType, ExtractNumber, Version."""

    __tablename__ = "kbo_meta"

    variable: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[str | None] = mapped_column(String(100))


class KboCode(Base):
    """code.csv: the descriptions of every code, per category and language (FR, NL, DE, EN)."""

    __tablename__ = "kbo_codes"

    category: Mapped[str] = mapped_column(String(50), primary_key=True)
    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    language: Mapped[str] = mapped_column(String(2), primary_key=True)
    description: Mapped[str] = mapped_column(Text)


class KboEnterprise(Base):
    __tablename__ = "kbo_enterprises"

    enterprise_number: Mapped[str] = mapped_column(String(10), primary_key=True)
    status: Mapped[str] = mapped_column(String(2))
    juridical_situation: Mapped[str | None] = mapped_column(String(3))
    type_of_enterprise: Mapped[str | None] = mapped_column(String(1))
    juridical_form: Mapped[str | None] = mapped_column(String(3))
    juridical_form_cac: Mapped[str | None] = mapped_column(String(3))
    start_date: Mapped[dt.date | None]


class KboEstablishment(Base):
    __tablename__ = "kbo_establishments"

    establishment_number: Mapped[str] = mapped_column(String(10), primary_key=True)
    start_date: Mapped[dt.date | None]
    enterprise_number: Mapped[str] = mapped_column(String(10), index=True)


class KboBranch(Base):
    __tablename__ = "kbo_branches"

    id: Mapped[str] = mapped_column(String(20), primary_key=True)
    start_date: Mapped[dt.date | None]
    enterprise_number: Mapped[str] = mapped_column(String(10), index=True)


class KboDenomination(Base):
    __tablename__ = "kbo_denominations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity_number: Mapped[str] = mapped_column(String(20), index=True)
    language: Mapped[str] = mapped_column(String(1))
    type_of_denomination: Mapped[str] = mapped_column(String(3))
    denomination: Mapped[str] = mapped_column(Text)


class KboAddress(Base):
    __tablename__ = "kbo_addresses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity_number: Mapped[str] = mapped_column(String(20), index=True)
    type_of_address: Mapped[str] = mapped_column(String(4))
    country_nl: Mapped[str | None] = mapped_column(String(100))
    country_fr: Mapped[str | None] = mapped_column(String(100))
    zipcode: Mapped[str | None] = mapped_column(String(20))
    municipality_nl: Mapped[str | None] = mapped_column(String(200))
    municipality_fr: Mapped[str | None] = mapped_column(String(200))
    street_nl: Mapped[str | None] = mapped_column(String(200))
    street_fr: Mapped[str | None] = mapped_column(String(200))
    house_number: Mapped[str | None] = mapped_column(String(50))
    box: Mapped[str | None] = mapped_column(String(50))
    extra_address_info: Mapped[str | None] = mapped_column(Text)
    date_striking_off: Mapped[dt.date | None]


class KboContact(Base):
    __tablename__ = "kbo_contacts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity_number: Mapped[str] = mapped_column(String(20), index=True)
    entity_contact: Mapped[str] = mapped_column(String(3))
    contact_type: Mapped[str] = mapped_column(String(5))
    value: Mapped[str] = mapped_column(Text)


class KboActivity(Base):
    __tablename__ = "kbo_activities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity_number: Mapped[str] = mapped_column(String(20), index=True)
    activity_group: Mapped[str] = mapped_column(String(3))
    nace_version: Mapped[str] = mapped_column(String(4))
    nace_code: Mapped[str] = mapped_column(String(10))
    classification: Mapped[str] = mapped_column(String(4))


class KboTouched(Base):
    """Enterprise numbers an update run changed, kept until their ``bce_enterprises`` rows are
    rebuilt (a table, not a Python set: memory stays flat and a resumed run still knows them)."""

    __tablename__ = "kbo_touched"

    enterprise_number: Mapped[str] = mapped_column(String(10), primary_key=True)


class KboImportRun(Base):
    """One import of a full or update set. ``source`` is the folder or zip as given; a run that
    did not finish is the one ``--resume`` continues."""

    __tablename__ = "kbo_import_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(10))  # full | update
    extract_number: Mapped[str | None] = mapped_column(String(20))
    snapshot_date: Mapped[str | None] = mapped_column(String(20))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    lookup_rebuilt: Mapped[bool] = mapped_column(Boolean, default=False)


class KboImportFile(Base):
    """Progress per file of a run, written in the same transaction as each batch of rows: after a
    crash the rows counted here are exactly the rows in the tables."""

    __tablename__ = "kbo_import_files"
    __table_args__ = (Index("ix_kbo_import_files_run_name", "run_id", "name", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("kbo_import_runs.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    lines_done: Mapped[int] = mapped_column(Integer, default=0)  # data lines read (good + bad)
    rows_imported: Mapped[int] = mapped_column(Integer, default=0)
    bad_rows: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    seconds: Mapped[float] = mapped_column(default=0.0)


class KboImportProblem(Base):
    """A bad row: file, line (1 = the header) and reason. The first 1,000 per file are kept."""

    __tablename__ = "kbo_import_problems"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("kbo_import_runs.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    line: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
