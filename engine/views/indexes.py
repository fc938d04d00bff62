"""Indexes the list views need, declared on the tables of other areas (so that those models stay
about their domain): btree indexes for the sort columns (keyset paging walks them) and, on
PostgreSQL only, pg_trgm GIN indexes for the ``*`` (contains) and begins-with search.

``create_all`` creates the pg_trgm extension first; a migration must do the same
(``CREATE EXTENSION IF NOT EXISTS pg_trgm``) before these indexes."""

from __future__ import annotations

from sqlalchemy import DDL, Index, event, func

from engine.cases.models import Dossier
from engine.db import Base
from engine.mail.models import Mail
from engine.parties.models import Contact, Organisation
from engine.places.models import Address
from engine.workflow.models import HumanTask

event.listen(Base.metadata, "before_create",
             DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql"))

# "My tasks": a person's open tasks are few even when their completed ones are many. Per-column
# statistics cannot tell (state and assignee are counted apart), and the planner then walks every
# open task in due order looking for the person's; a two-column MCV list tells it.
event.listen(HumanTask.__table__, "after_create", DDL(
    "CREATE STATISTICS IF NOT EXISTS st_views_human_tasks_state_assignee (mcv) ON state, assignee_id "
    "FROM human_tasks").execute_if(dialect="postgresql"))

CONTACT_NAME = Contact.first_name + " " + Contact.last_name  # the "name" column of the views


def _trgm(name: str, expression: object) -> Index:
    """A GIN trigram index, created on PostgreSQL only (SQLite searches by scanning)."""
    key = getattr(expression, "key", None) or name
    labelled = expression if getattr(expression, "key", None) else expression.label(name)  # type: ignore[attr-defined]
    return Index(name, labelled, postgresql_using="gin", postgresql_ops={key: "gin_trgm_ops"}).ddl_if(
        dialect="postgresql")


SORT_INDEXES = [
    Index("ix_views_dossiers_title", Dossier.title, Dossier.id),
    # a type's dossiers in title order (a common view, and the benchmark's two-filter view)
    Index("ix_views_dossiers_type_title", Dossier.type, Dossier.title, Dossier.id),
    Index("ix_views_dossiers_created", Dossier.created_at, Dossier.id),
    # the journey's first dossier: contacts and site address hang on it
    Index("ix_views_dossiers_journey_root", func.coalesce(Dossier.journey_id, Dossier.id)),
    Index("ix_views_contacts_last_name", Contact.last_name, Contact.id),
    Index("ix_views_organisations_name", Organisation.name, Organisation.id),
    Index("ix_views_addresses_street", Address.street, Address.id),
    Index("ix_views_mails_received", Mail.received_at, Mail.id),
    Index("ix_views_human_tasks_open_due", HumanTask.due_at, HumanTask.id,
          postgresql_where=HumanTask.state == "ready", sqlite_where=HumanTask.state == "ready"),
    # "my tasks", most urgent first (the dashboard's first list)
    Index("ix_views_human_tasks_open_assignee_due", HumanTask.assignee_id, HumanTask.due_at, HumanTask.id,
          postgresql_where=HumanTask.state == "ready", sqlite_where=HumanTask.state == "ready"),
]

TRIGRAM_INDEXES = [
    _trgm("ix_views_dossiers_number_trgm", Dossier.number),
    _trgm("ix_views_dossiers_title_trgm", Dossier.title),
    _trgm("ix_views_contacts_name_trgm", CONTACT_NAME),
    _trgm("ix_views_contacts_email_trgm", Contact.email),
    _trgm("ix_views_organisations_name_trgm", Organisation.name),
    _trgm("ix_views_addresses_street_trgm", Address.street),
    _trgm("ix_views_addresses_municipality_trgm", Address.municipality),
    _trgm("ix_views_mails_subject_trgm", Mail.subject),
    _trgm("ix_views_mails_sender_trgm", Mail.sender),
    _trgm("ix_views_mails_sender_name_trgm", Mail.sender_name),
    _trgm("ix_views_human_tasks_name_trgm", HumanTask.name),
]
