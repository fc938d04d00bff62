"""Alembic environment for Guichet.

The target is ``engine.db.Base.metadata`` with every table (``engine.models``). The database URL
comes, in order, from ``-x url=...``, from the configuration built by ``guichet db ...``
(``webapp.cli.alembic_config``), or from GUICHET_DATABASE_URL / the embedded default
(``engine.config.Settings.from_env``). Migrations are rendered in batch mode so that the same
files alter tables on SQLite (which cannot ALTER most things) and on PostgreSQL.
"""

from __future__ import annotations

import logging
from logging.config import fileConfig
from typing import Any

from alembic import context
from sqlalchemy import JSON
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection

import engine.models  # noqa: F401 - registers every table on Base.metadata
from engine.db import Base, UTCDateTime, make_engine
from webapp.cli import include_object

config = context.config
target_metadata = Base.metadata
log = logging.getLogger("alembic.env")

if config.config_file_name is not None and config.attributes.get("configure_logging", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def database_url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.attributes.get("database_url")
    if url:
        return url
    from engine.config import Settings

    return Settings.from_env().database_url


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Render the project's column types with plain SQLAlchemy ones, so migrations do not
    depend on application code that may change later."""
    if type_ != "type":
        return False
    if isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if isinstance(obj, JSON) and isinstance(getattr(obj, "_variant_mapping", {}).get("postgresql"), JSONB):
        # engine.db.JSONDoc; Alembic's own rendering of this variant forgets the ``sa.`` prefix
        autogen_context.imports.add("from sqlalchemy.dialects import postgresql")
        return "sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')"
    return False


def process_revision_directives(context_: Any, revision: Any, directives: list[Any]) -> None:
    """An autogenerate run that finds nothing to do writes no empty file (env.py only runs for
    ``revision`` when autogenerating)."""
    script = directives[0] if directives else None
    if script is not None and script.upgrade_ops is not None and script.upgrade_ops.is_empty():
        directives[:] = []
        log.info("No changes in the models; no migration written.")


def configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        render_as_batch=True,
        include_object=include_object,
        render_item=render_item,
        process_revision_directives=process_revision_directives,
        transaction_per_migration=True,
    )


def run_migrations_offline() -> None:
    context.configure(
        url=database_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=True,
        include_object=include_object,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(database_url())
    try:
        with engine.connect() as conn:
            configure(conn)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
