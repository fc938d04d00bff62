"""The ``guichet`` command line: a Flask CLI group around :func:`webapp.create_app`.

    guichet db upgrade                  apply the Alembic migrations to GUICHET_DATABASE_URL
    guichet db check                    fail when the models differ from the migrations
    guichet db revision -m "add x"      autogenerate the next migration from the models
    guichet users create EMAIL ...      create a back-office account
    guichet tokens create EMAIL ...     issue an API token (printed once)
    guichet bpmn deploy [PATHS...]      validate and deploy diagrams (default: every .bpmn under bpmn/)
    guichet seed-subtypes               add the dossier subtypes of the manual that are missing
    guichet demo                        migrate, deploy, load demo data, serve with a worker and beat
    guichet worker                      a Celery worker (with beat by default) for this app
    guichet serve                       the web app under gunicorn (production; several processes)
    guichet beat                        Celery beat alone (production: exactly one, workers --no-beat)
    guichet mail fetch                  read new mail (maildir or IMAP) into the central queue, once
    guichet monitoring rebuild-dwell    recompute the dwell-time histogram (after an upgrade or a backfill)
    guichet backup [-o FILE]            database, file store and mail folders in one checked archive
    guichet restore FILE [--force]      restore such an archive (into an empty database unless --force)

Every command reads its configuration from the GUICHET_* environment variables
(:meth:`engine.config.Settings.from_env`), through the app's services.
"""

from __future__ import annotations

import gc
import sys
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import click
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from flask.cli import FlaskGroup
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from engine.access.models import Role, User
from engine.db import Base, make_engine
from webapp import create_app
from webapp.bootstrap import Services
from webapp.mail.cli import mail_group

ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS = ROOT / "migrations"
BPMN_ROOT = ROOT / "bpmn"

# Tables in the application database that the models do not own: the embedded broker's and
# Celery result tables when someone points them at the same database.
FOREIGN_TABLE_PREFIXES = ("kombu_", "celery_", "alembic_")
# Tables that are not models but part of a trigger's DDL (engine/privacy/append_only.py)
DDL_TABLES = frozenset({"access_log_purge_permit"})


# --------------------------------------------------------------------------- migrations


@cache
def _dialect_specific_indexes() -> frozenset[str]:
    return frozenset(str(index.name) for table in Base.metadata.tables.values() for index in table.indexes
                     if getattr(getattr(index, "_ddl_if", None), "dialect", None))


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Alembic filter shared by ``migrations/env.py`` and :func:`schema_differences`.

    Indexes declared for one database only (``Index(...).ddl_if(dialect=...)``, e.g. the pg_trgm
    indexes of engine/views/indexes.py) are written by hand in a migration: autogenerate, which
    compares on SQLite, would otherwise create them everywhere. tests/migrations checks that the
    migrations create them where they belong."""
    if type_ == "table" and name and (name.startswith(FOREIGN_TABLE_PREFIXES) or name in DDL_TABLES):
        return False
    if type_ == "index" and name in _dialect_specific_indexes():
        return False
    table = getattr(obj, "table", None)
    return not (table is not None and type_ != "table" and str(table.name).startswith(FOREIGN_TABLE_PREFIXES))


def alembic_config(database_url: str | None = None, connection: Connection | None = None) -> Config:
    """An Alembic configuration for ``migrations/``, built in code so that the CLI works from any
    directory. ``alembic.ini`` at the top of the repository gives the same to the plain
    ``alembic`` command."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    if database_url:
        cfg.attributes["database_url"] = database_url
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade_database(database_url: str, revision: str = "head") -> None:
    _refuse_unversioned(database_url)
    command.upgrade(alembic_config(database_url), revision)


def _refuse_unversioned(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
    finally:
        engine.dispose()
    ours = tables & set(Base.metadata.tables)
    if ours and "alembic_version" not in tables:
        raise click.ClickException(
            "The database already has Guichet tables but no migration history (it was made with "
            "create_all). If it matches the current models, record that with `guichet db stamp head`; "
            "otherwise start from an empty database."
        )


def schema_differences(connection: Connection) -> list[Any]:
    """What ``alembic check`` would report: differences between the migrated database and the
    models. Empty when the migrations are complete."""
    context = MigrationContext.configure(
        connection,
        opts={"compare_type": True, "include_object": include_object, "target_metadata": Base.metadata},
    )
    return list(compare_metadata(context, Base.metadata))


def next_revision_id(cfg: Config) -> str:
    script = ScriptDirectory.from_config(cfg)
    numbers = [int(rev.revision) for rev in script.walk_revisions() if rev.revision.isdigit()]
    return f"{max(numbers, default=0) + 1:04d}"


def autogenerate_revision(message: str, rev_id: str | None = None) -> list[Path]:
    """Write the next migration by comparing the models with a throwaway SQLite database
    migrated to head. The operations come from the models, so they run on PostgreSQL too;
    ``tests/migrations`` checks both."""
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'autogenerate.db'}"
        cfg = alembic_config(url)
        command.upgrade(cfg, "head")
        result = command.revision(cfg, message=message, autogenerate=True, rev_id=rev_id or next_revision_id(cfg))
    scripts = result if isinstance(result, list) else [result] if result is not None else []
    return [Path(s.path) for s in scripts if s is not None]


# --------------------------------------------------------------------------- the group


def _services() -> Services:
    return current_app.extensions["guichet"]


@contextmanager
def _database_errors() -> Iterator[None]:
    """A missing table or an unreachable database is a set-up problem: say what to do."""
    from sqlalchemy.exc import OperationalError, ProgrammingError

    try:
        yield
    except (OperationalError, ProgrammingError) as exc:
        detail = str(exc.orig if exc.orig is not None else exc).strip().splitlines()[0]
        url = _safe_url(_services().settings.database_url)
        raise click.ClickException(
            f"Database problem on {url}: {detail}. Check GUICHET_DATABASE_URL; a missing table "
            "means `guichet db upgrade` has not been run."
        ) from exc


@contextmanager
def _transaction() -> Iterator[Any]:
    with _database_errors(), _services().db.transaction() as session:
        yield session


cli = FlaskGroup(
    name="guichet",
    create_app=create_app,
    add_version_option=False,
    load_dotenv=False,
    set_debug_flag=False,
    help="Guichet: BPMN-driven case management. Configuration comes from GUICHET_* variables.",
)
cli.add_command(mail_group)  # guichet mail fetch


# --------------------------------------------------------------------------- db


@cli.group("db", help="Database migrations (Alembic) on GUICHET_DATABASE_URL.")
def db_group() -> None:
    pass


@db_group.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Apply the migrations up to REVISION (default: head)."""
    url = _services().settings.database_url
    with _database_errors():
        upgrade_database(url, revision)
    click.echo(f"Database at {revision}: {_safe_url(url)}")


@db_group.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Undo migrations down to REVISION ('base' empties the database)."""
    with _database_errors():
        command.downgrade(alembic_config(_services().settings.database_url), revision)


@db_group.command("stamp")
@click.argument("revision", default="head")
def db_stamp(revision: str) -> None:
    """Record REVISION as applied without running anything."""
    with _database_errors():
        command.stamp(alembic_config(_services().settings.database_url), revision)


@db_group.command("current")
def db_current() -> None:
    """Show the revision the database is at."""
    with _database_errors():
        command.current(alembic_config(_services().settings.database_url), verbose=False)


@db_group.command("check")
def db_check() -> None:
    """Exit 1 when the models and the migrated database differ (a model change lacks a migration)."""
    engine = make_engine(_services().settings.database_url)
    try:
        with _database_errors(), engine.connect() as conn:
            diffs = schema_differences(conn)
    finally:
        engine.dispose()
    if diffs:
        for diff in diffs:
            click.echo(f"  {diff}", err=True)
        raise click.ClickException(
            "The models differ from the migrated database: write a migration (`make migration m=\"...\"`)."
        )
    click.echo("The database matches the models.")


@db_group.command("revision")
@click.option("-m", "--message", required=True, help="What the migration does, e.g. 'add meters'.")
@click.option("--rev-id", default=None, help="Revision id (default: the next number, 0002, 0003, …).")
def db_revision(message: str, rev_id: str | None) -> None:
    """Autogenerate the next migration from the models (review it before committing)."""
    paths = autogenerate_revision(message, rev_id)
    if not paths:
        click.echo("The models match the migrations: nothing to write.")
        return
    for path in paths:
        click.echo(f"Wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}; review it.")


# --------------------------------------------------------------------------- users & tokens


@cli.group("users", help="Back-office accounts.")
def users_group() -> None:
    pass


@users_group.command("create")
@click.argument("email")
@click.option("--name", required=True, help="Full name shown in the application.")
@click.option(
    "--role", "roles", multiple=True, required=True,
    type=click.Choice([r.value for r in Role]), help="A role; repeat for several.",
)
@click.option(
    "--password", prompt=True, hide_input=True, confirmation_prompt=True,
    help="Asked for (hidden, twice) when not given.",
)
@click.option("--locale", type=click.Choice(["fr", "nl", "en"]), default=None, help="Preferred language.")
def users_create(email: str, name: str, roles: tuple[str, ...], password: str, locale: str | None) -> None:
    """Create an account with a local password."""
    from engine.access.users import AccountError, create_user

    try:
        with _transaction() as session:
            user = create_user(session, email, name, password, {Role(r) for r in roles}, locale=locale)
            summary = f"Created user {user.email} (id {user.id}) with roles {', '.join(sorted(user.roles))}."
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(summary)


@cli.command("seed-subtypes")
def seed_subtypes_command() -> None:
    """Add the dossier subtypes of the manual that are missing (idempotent)."""
    from engine.cases.subtypes import seed_subtypes

    with _transaction() as session:
        added = seed_subtypes(session)
    click.echo(f"{added} dossier subtype(s) added.")


@cli.group("monitoring", help="Managers' monitoring: the figures' rollups.")
def monitoring_group() -> None:
    pass


@monitoring_group.command("rebuild-dwell")
@click.option("--month", "months", multiple=True, metavar="YYYY-MM",
              help="Only this month (repeat for several); default: all of history.")
def rebuild_dwell_command(months: tuple[str, ...]) -> None:
    """Recompute the dwell-time histogram from the phase history (after an upgrade, a backfill
    or a correction of history; the nightly job does the last two months)."""
    import datetime as dt

    from engine.monitoring.dwell_rollup import rebuild_dwell_histograms

    chosen: list[dt.date] = []
    for value in months:
        try:
            chosen.append(dt.date.fromisoformat(f"{value.strip()}-01"))
        except ValueError:
            raise click.BadParameter(f"{value!r} is not a month: write it as 2026-01.", param_hint="--month") from None
    with _transaction() as session:
        written = rebuild_dwell_histograms(session, chosen or None)
    where = ", ".join(m.strftime("%Y-%m") for m in sorted(set(chosen))) if chosen else "all months"
    click.echo(f"Dwell histogram rebuilt for {where}: {written} row(s).")


@cli.group("wallet", help="Organisation wallets: bank-statement import.")
def wallet_group() -> None:
    pass


@wallet_group.command("import-statement")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def wallet_import_statement(file: Path) -> None:
    """Import a CODA or CSV bank statement: credit the wallets named by structured communications."""
    from engine.wallet.statements import LineStatus, book_statement
    from integrations.bank import StatementError, parse_statement

    try:
        parsed = parse_statement(file.name, file.read_bytes())
    except StatementError as exc:
        raise click.ClickException(f"{file}: not imported, nothing booked: {exc}") from exc
    with _transaction() as session:
        report = book_statement(session, parsed, filename=file.name)
        click.echo(f"{file.name} ({parsed.statement_id}): {report.count(LineStatus.BOOKED)} booked, "
                   f"{report.count(LineStatus.ALREADY_BOOKED)} already booked, "
                   f"{report.count(LineStatus.UNMATCHED)} not booked")
        for line in report.lines:
            if line.status == LineStatus.UNMATCHED:
                click.echo(f"  line {line.line_reference}: {line.amount} {line.currency} "
                           f"{line.communication or '-'}: {line.reason}")


@cli.group("tokens", help="API tokens for integration clients.")
def tokens_group() -> None:
    pass


@tokens_group.command("create")
@click.argument("email")
@click.option("--name", required=True, help="What the token is for, e.g. 'KBO import job'.")
def tokens_create(email: str, name: str) -> None:
    """Issue an API token for the user EMAIL; it is printed once and never stored in clear."""
    from sqlalchemy import select

    from engine.access.users import issue_token

    with _transaction() as session:
        user = session.scalar(select(User).where(User.email == email.strip().lower()))
        if user is None:
            raise click.ClickException(f"No user with e-mail {email}; create it with `guichet users create`.")
        if not user.active:
            raise click.ClickException(f"The user {email} is deactivated.")
        token = issue_token(session, user, name)
    click.echo(f"Token {name!r} for {user.email} (shown once; send it as 'Authorization: Bearer …'):", err=True)
    click.echo(token)


# --------------------------------------------------------------------------- bce


@cli.group("meters", help="Meter readings: import reading files (docs/meter-readings.md).")
def meters_group() -> None:
    pass


@meters_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "file_format", type=click.Choice(["csv", "xlsx", "wmbus"]), default=None,
              help="Default: from the file name (.csv, .xlsx, .jsonl).")
@click.option("--received-at", type=click.DateTime(), default=None,
              help="wmbusmeters output: when the telegrams were received (for those without a date of their own).")
def meters_import(file: Path, file_format: str | None, received_at: datetime | None) -> None:
    """Import the readings of FILE; rejected rows are listed with their line and reason, the good
    ones are kept, and importing the same file again adds nothing."""
    from integrations.meters.importer import estimate_rows, format_of, import_file

    with _database_errors():
        try:
            kind = file_format or format_of(file)
            with click.progressbar(length=estimate_rows(file, kind), label=f"Importing {file.name}",
                                   file=sys.stderr, show_pos=True) as bar:
                done = import_file(_services().db, file, file_format=kind,
                                   received_at=received_at.replace(tzinfo=UTC) if received_at else None,
                                   progress=bar.update)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"{file.name}: {done.rows_read} read, {done.rows_imported} imported, {done.rows_duplicate} already "
               f"known, {done.rows_rejected} rejected")
    for problem in done.problems:
        click.echo(f"  line {problem['line']}: {problem['reason']}")


@cli.group("bce", help="The BCE / KBO enterprise register: open-data import and lookup (docs/kbo.md).")
def bce_group() -> None:
    pass


@bce_group.command("import")
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@click.option("--resume", is_flag=True, help="Continue the unfinished import of this same set.")
@click.option("--batch-size", type=click.IntRange(100, 1_000_000), default=20_000, show_default=True)
def bce_import(source: Path, resume: bool, batch_size: int) -> None:
    """Import a KBO open-data set: a folder of its CSV files or a KboOpenData_…_Full.zip / _Update.zip."""
    from integrations.bce.kbo.importer import KboImporter, NothingToResume
    from integrations.bce.kbo.reader import KboFormatError

    with _database_errors():
        try:
            total = KboImporter(_services().db).bytes_to_read(source, resume=resume)
            with click.progressbar(length=total, label=f"Importing {source.name}", file=sys.stderr) as bar:
                importer = KboImporter(_services().db, batch_size=batch_size, on_bytes=bar.update)
                summary = importer.run(source, resume=resume)
        except (KboFormatError, NothingToResume) as exc:
            raise click.ClickException(str(exc)) from exc
        except KeyboardInterrupt:
            raise click.ClickException(f"Interrupted: what was imported is kept; continue with "
                                       f"`guichet bce import {source} --resume`.") from None
    for line in summary.lines():
        click.echo(line)


@bce_group.command("lookup")
@click.argument("number")
def bce_lookup(number: str) -> None:
    """Show the BCE record of an enterprise NUMBER (any spelling: 0850.412.361, BE0850412361…)."""
    from engine.parties.enterprise_number import EnterpriseNumberError
    from integrations.bce import LocalDatabaseLookup

    with _database_errors():
        try:
            record = LocalDatabaseLookup(_services().db).lookup(number)
        except EnterpriseNumberError as exc:
            raise click.ClickException(f"{number!r} is not a valid enterprise number ({exc.code}); expected "
                                       "0123.456.789 — add a leading 0 to a 9-digit number") from exc
    if record is None:
        raise click.ClickException(f"{number} is not in the local BCE data (import a KBO set first).")
    for key, value in record.as_json().items():
        click.echo(f"{key}: {'' if value is None else value}")


# --------------------------------------------------------------------------- bpmn


def _display(path: Path) -> str:
    path = path.resolve()
    for base in (Path.cwd(), ROOT):
        if path.is_relative_to(base):
            return path.relative_to(base).as_posix()
    return str(path)


def collect_diagrams(paths: Sequence[str | Path]) -> list[Path]:
    """The .bpmn files named, or found under the folders named (default: bpmn/)."""
    if not paths:
        local = Path.cwd() / "bpmn"
        paths = [local if local.is_dir() else BPMN_ROOT]
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(sorted(path.rglob("*.bpmn")))
        elif path.is_file() and path.suffix == ".bpmn":
            found.append(path)
        elif path.is_file() and path.suffix == ".dmn":
            raise click.ClickException(f"{path}: deploy the .bpmn that uses it; DMN files beside a diagram go with it.")
        else:
            raise click.ClickException(f"{path}: no such .bpmn file or folder.")
    return found


def deploy_files(services: Services, files: Iterable[Path], *, user_id: int | None = None,
                 echo: Any = click.echo) -> int:
    """Deploy each file in its own transaction; returns how many were refused."""
    from engine.workflow.errors import DeploymentError, EngineError

    refused = 0
    for path in files:
        name = _display(path)
        dmn_files = {p.name: p.read_text(encoding="utf-8") for p in sorted(path.parent.glob("*.dmn"))}
        try:
            with services.db.transaction() as session:
                result = services.engine.deploy(
                    session, path.read_text(encoding="utf-8"), name, dmn_files=dmn_files or None, user_id=user_id
                )
                key, version = result.version.key, result.version.version
        except DeploymentError as exc:
            refused += 1
            echo(f"{name}: refused ({len(exc.problems)} problem{'s' if len(exc.problems) != 1 else ''})", err=True)
            for problem in exc.problems:
                element = problem.element_id or "-"
                line = f" line {problem.line}" if problem.line else ""
                echo(f"  {problem.file}{line} [{element}]: {problem.message}", err=True)
            continue
        except (EngineError, OSError, UnicodeDecodeError) as exc:
            refused += 1
            echo(f"{name}: refused: {exc}", err=True)
            continue
        state = "created" if result.created else "unchanged"
        echo(f"{name}: {state} ({key} v{version})")
    return refused


@cli.group("bpmn", help="Process diagrams.")
def bpmn_group() -> None:
    pass


@bpmn_group.command("deploy")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--user", "user_email", default=None, help="Record this user (e-mail) as the deployer.")
def bpmn_deploy(paths: tuple[Path, ...], user_email: str | None) -> None:
    """Validate and deploy diagrams as new process versions (an unchanged file keeps its version).

    PATHS are .bpmn files or folders (default: every .bpmn under bpmn/); the .dmn files beside a
    diagram are deployed with it. Exits 1 when any diagram is refused."""
    from sqlalchemy import select

    services = _services()
    files = collect_diagrams(paths)
    if not files:
        raise click.ClickException("No .bpmn file found.")
    user_id = None
    if user_email:
        with _transaction() as session:
            user_id = session.scalar(select(User.id).where(User.email == user_email.strip().lower()))
        if user_id is None:
            raise click.ClickException(f"No user with e-mail {user_email}.")
    with _database_errors():
        refused = deploy_files(services, files, user_id=user_id)
    if refused:
        click.echo(f"{refused} of {len(files)} diagram(s) refused; nothing was stored for them.", err=True)
        sys.exit(1)


# --------------------------------------------------------------------------- demo & worker


@cli.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--serve/--no-serve", default=True, help="--no-serve: set up and load the data, then exit.")
@click.option("--loglevel", default="WARNING", show_default=True, help="Celery worker log level.")
def demo_command(host: str, port: int, serve: bool, loglevel: str) -> None:
    """Migrate, deploy bpmn/, load demo data (idempotent), then serve the web app with an
    in-process Celery worker and beat until Ctrl-C."""
    from webapp import demo

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    services = _services()
    click.echo(f"Database: {_safe_url(services.settings.database_url)}")
    with _database_errors():
        upgrade_database(services.settings.database_url)
    click.echo("Migrations applied.")
    refused = deploy_files(services, collect_diagrams([]))
    if refused:
        click.echo(f"Warning: {refused} diagram(s) refused (see above); the demo goes on without them.", err=True)
    logins = demo.load_demo_data(services, echo=click.echo)
    demo.print_logins(logins, echo=click.echo)
    if serve:
        sys.exit(demo.serve(app, services, host=host, port=port, loglevel=loglevel))


def default_pool(broker_url: str) -> str:
    """The embedded SQLite broker and database are happiest with one process."""
    return "solo" if broker_url.startswith(("sqla+sqlite", "memory")) else "prefork"


@cli.command("worker")
@click.option("-c", "--concurrency", type=int, default=None, help="Worker processes/threads (default: CPUs).")
@click.option("-P", "--pool", type=click.Choice(["prefork", "solo", "threads"]), default=None,
              help="Execution pool (default: solo on the embedded SQLite broker, else prefork).")
@click.option("--beat/--no-beat", default=True, show_default=True,
              help="Run the periodic jobs (timers, lost-call sweep) in this worker. Exactly one worker "
                   "in a deployment should have beat.")
@click.option("-Q", "--queues", default=None, help="Comma-separated queues to consume (default: celery).")
@click.option("-l", "--loglevel", default="INFO", show_default=True)
@click.option("-n", "--hostname", default=None, help="Node name, e.g. worker1@%h.")
def worker_command(concurrency: int | None, pool: str | None, beat: bool, queues: str | None,
                   loglevel: str, hostname: str | None) -> None:
    """Start a Celery worker that runs service calls, with beat firing due timers."""
    from celery.signals import worker_process_init

    from engine.jobs import celery

    services = _services()
    settings = services.settings
    pool = pool or default_pool(settings.broker_url)

    @worker_process_init.connect(weak=False)
    def _fresh_connections(**_kwargs: Any) -> None:  # a forked child must not share the parent's sockets
        services.db.engine.dispose(close=False)

    settings.instance_path.mkdir(parents=True, exist_ok=True)
    options: dict[str, Any] = {
        "pool_cls": pool,
        "loglevel": loglevel.upper(),
        "beat": beat,
        "schedule_filename": str(settings.instance_path / "celerybeat-schedule"),
    }
    if concurrency:
        options["concurrency"] = concurrency
    elif pool == "solo":
        options["concurrency"] = 1
    if queues:
        options["queues"] = [q.strip() for q in queues.split(",") if q.strip()]
    if hostname:
        options["hostname"] = hostname
    worker = celery.Worker(**options)
    # Everything loaded so far lives as long as the process: keep it out of the garbage
    # collector's full passes, which otherwise pause a job for 50-65 ms (docs/benchmarks.md).
    gc.freeze()
    worker.start()
    sys.exit(worker.exitcode or 0)


# --------------------------------------------------------------------------- production: serve & beat


@cli.command("serve", with_appcontext=False)
@click.option("-b", "--bind", default="127.0.0.1:8000", show_default=True,
              help="Address to listen on (host:port, or unix:/path); repeatable in gunicorn's sense via commas.")
@click.option("-w", "--workers", type=int, default=None,
              help="Web processes (default: GUICHET_WEB_CONCURRENCY, else 2 x CPUs + 1).")
@click.option("--threads", type=int, default=1, show_default=True, help="Threads per web process.")
@click.option("--timeout", type=int, default=60, show_default=True,
              help="Seconds before a stuck request's process is replaced.")
@click.option("--access-log/--no-access-log", default=False, show_default=True,
              help="gunicorn's own access log (Guichet already logs every request with its id).")
def serve_command(bind: str, workers: int | None, threads: int, timeout: int, access_log: bool) -> None:
    """Serve the web app under gunicorn with several worker processes (production).

    Run `guichet db upgrade` and `guichet bpmn deploy` first; background jobs need `guichet worker
    --no-beat` and exactly one `guichet beat` (docs/deployment.md)."""
    from engine.config import Settings
    from webapp.ops.gunicorn_app import GuichetServer, default_workers, gunicorn_options, prepare_metrics_dir

    settings = Settings.from_env()
    prepare_metrics_dir(settings.instance_path)  # before any process imports prometheus_client
    options = gunicorn_options(bind.split(",") if "," in bind else bind, workers or default_workers(), threads,
                               timeout, settings.log_format, access_log)
    GuichetServer(options).run()


@cli.command("beat")
@click.option("-l", "--loglevel", default="INFO", show_default=True)
def beat_command(loglevel: str) -> None:
    """Celery beat alone: sends the periodic jobs (timers, lost-call sweep, heartbeat, nightly
    rollups). Run exactly one per deployment, with workers started with --no-beat."""
    from engine.jobs import celery

    settings = _services().settings
    settings.instance_path.mkdir(parents=True, exist_ok=True)
    beat = celery.Beat(loglevel=loglevel.upper(), schedule=str(settings.instance_path / "celerybeat-schedule"))
    beat.run()


# --------------------------------------------------------------------------- backup & restore


def _backup_folders(settings: Any) -> dict[str, Path]:
    """The folders a backup holds besides the database (docs/backup.md)."""
    return {"files": settings.files_root, "maildir": settings.maildir_root, "outbox": settings.outbox_root}


@cli.command("backup", with_appcontext=False)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Archive to write (.tar, or .tar.gz to compress); default: guichet-backup-<UTC time>.tar.")
def backup_command(output: Path | None) -> None:
    """Back up the database and the file folders into one archive with a checked manifest
    (safe while Guichet runs)."""
    from engine.config import Settings
    from integrations.backup import BackupError, create_backup, default_output

    settings = Settings.from_env()
    target = output or default_output()
    try:
        manifest = create_backup(settings.database_url, _backup_folders(settings), target, echo=click.echo)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    rows = sum(manifest.row_counts.values())
    click.echo(f"Backed up {_safe_url(settings.database_url)} ({manifest.database_kind}, migration "
               f"{manifest.alembic_revision or 'none'}, {len(manifest.row_counts)} tables, {rows} rows) and "
               f"{len(manifest.files)} file(s) into {target}.")


@cli.command("restore", with_appcontext=False)
@click.argument("archive", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, default=False,
              help="Replace a database and folders that are not empty (drops their current contents).")
def restore_command(archive: Path, force: bool) -> None:
    """Restore a `guichet backup` archive into GUICHET_DATABASE_URL and the file folders, after
    checking every file of it. Refuses a non-empty target unless --force."""
    from engine.config import Settings
    from integrations.backup import BackupError, restore_backup

    settings = Settings.from_env()
    settings.instance_path.mkdir(parents=True, exist_ok=True)  # staging beside the folders: moves are renames
    try:
        report = restore_backup(archive, settings.database_url, _backup_folders(settings), migrations=MIGRATIONS,
                                force=force, workdir=settings.instance_path)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    manifest = report.manifest
    click.echo(f"Restored the backup of {manifest.created_at} (Guichet {manifest.guichet_version}): "
               f"{len(manifest.row_counts)} tables with the expected row counts, {report.files} file(s), "
               f"into {_safe_url(settings.database_url)}.")
    for note in report.notes:
        click.echo(note)


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url


def main() -> None:
    cli.main(prog_name="guichet")


if __name__ == "__main__":
    main()
