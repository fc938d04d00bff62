"""List views: the journey-root expression index everywhere; on PostgreSQL the pg_trgm extension,
its GIN indexes for ``*`` search and the "my tasks" statistics (engine/views/indexes.py).

Written by hand: autogenerate compares on SQLite, which cannot reflect expression indexes and has
no pg_trgm (webapp/cli.py include_object leaves dialect-specific indexes to this file).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 14:45:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (index, table, column or SQL expression)
TRIGRAM_INDEXES = [
    ("ix_views_dossiers_number_trgm", "dossiers", "number"),
    ("ix_views_dossiers_title_trgm", "dossiers", "title"),
    ("ix_views_contacts_name_trgm", "contacts", "(first_name || ' ' || last_name)"),
    ("ix_views_contacts_email_trgm", "contacts", "email"),
    ("ix_views_organisations_name_trgm", "organisations", "name"),
    ("ix_views_addresses_street_trgm", "addresses", "street"),
    ("ix_views_addresses_municipality_trgm", "addresses", "municipality"),
    ("ix_views_mails_subject_trgm", "mails", "subject"),
    ("ix_views_mails_sender_trgm", "mails", "sender"),
    ("ix_views_mails_sender_name_trgm", "mails", "sender_name"),
    ("ix_views_human_tasks_name_trgm", "human_tasks", "name"),
]


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    op.create_index("ix_views_dossiers_journey_root", "dossiers", [sa.text("coalesce(journey_id, id)")])
    if not _postgresql():
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, expression in TRIGRAM_INDEXES:
        op.execute(f"CREATE INDEX {name} ON {table} USING gin ({expression} gin_trgm_ops)")
    op.execute("CREATE STATISTICS IF NOT EXISTS st_views_human_tasks_state_assignee (mcv) "
               "ON state, assignee_id FROM human_tasks")


def downgrade() -> None:
    if _postgresql():
        op.execute("DROP STATISTICS IF EXISTS st_views_human_tasks_state_assignee")
        for name, _table, _expression in TRIGRAM_INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {name}")
    op.drop_index("ix_views_dossiers_journey_root", table_name="dossiers")
