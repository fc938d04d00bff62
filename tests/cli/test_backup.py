"""`guichet backup` and `guichet restore`, on SQLite and always on PostgreSQL (databases of their
own next to GUICHET_TEST_DATABASE_URL's, created and dropped here): a database with a dossier and
its file, a mail read from the maildir, a portal organisation with a member and a wallet entry is
backed up, restored into an empty database and empty folders, and compared table by table and
file by file; tampered archives, newer migrations, other database kinds and non-empty targets are
refused before anything is touched."""

from __future__ import annotations

import io
import json
import os
import tarfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from click.testing import CliRunner, Result
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.engine import make_url

import engine.models  # noqa: F401 - every table
from engine.cases.models import Dossier
from engine.config import Settings
from engine.db import Base, Database
from engine.documents.files import add_file
from engine.portal.models import MemberRole
from engine.wallet.ledger import credit, wallet_for
from engine.wallet.models import EntryKind
from engine.workflow.models import InstanceStatus, ProcessInstance, ProcessVersion
from integrations.documents.store import DiskStore
from integrations.mail.fetch import fetch
from tests.portal_support import member, organisation, portal_account
from webapp.cli import MIGRATIONS, cli

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/guichet_test"
FOLDERS = ("files", "mail", "outbox")  # under the instance folder: the store, the maildir, the outbox


# --------------------------------------------------------------------------- databases


def _pg_url(suffix: str) -> str:
    base = os.environ.get("GUICHET_TEST_DATABASE_URL", "")
    u = make_url(base if base.startswith("postgresql") else PG_DEFAULT)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    name = f"{u.database}_backup_{suffix}{'_' + worker if worker else ''}"
    return u.set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)


def _pg_admin(url: str, statement: str) -> None:
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(statement))
    finally:
        admin.dispose()


@dataclass
class Site:
    """One installation: its database URL and its instance folder (store, maildir, outbox)."""

    url: str
    instance: Path

    def env(self) -> dict[str, str]:
        return {"GUICHET_DATABASE_URL": self.url, "GUICHET_INSTANCE_PATH": str(self.instance),
                "GUICHET_SECRET_KEY": "backup-test-secret"}

    def settings(self) -> Settings:
        return Settings(instance_path=self.instance, database_url=self.url, broker_url="memory://",
                        secret_key="backup-test-secret", jobs_eager=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def sites(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Site, Site]]:
    """A source and an empty target of the same kind."""
    if request.param == "sqlite":
        yield (Site(f"sqlite:///{tmp_path / 'source' / 'guichet.db'}", tmp_path / "source"),
               Site(f"sqlite:///{tmp_path / 'target' / 'guichet.db'}", tmp_path / "target"))
        return
    urls = [_pg_url("source"), _pg_url("target")]
    for url in urls:
        name = make_url(url).database
        _pg_admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _pg_admin(url, f'CREATE DATABASE "{name}"')
    try:
        yield Site(urls[0], tmp_path / "source"), Site(urls[1], tmp_path / "target")
    finally:
        for url in urls:
            _pg_admin(url, f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


# --------------------------------------------------------------------------- a demo-like installation


MAIL = (b"From: Marie Dupont <marie@example.be>\r\nTo: loket@guichet.local\r\nSubject: Renovation premium\r\n"
        b"Message-ID: <%s@example.be>\r\nDate: Mon, 02 Feb 2026 10:00:00 +0100\r\n\r\nHello, my file.\r\n")


def _drop_mail(maildir: Path, n: int) -> None:
    (maildir / "new").mkdir(parents=True, exist_ok=True)
    for sub in ("cur", "tmp"):
        (maildir / sub).mkdir(exist_ok=True)
    (maildir / "new" / f"1770000000.M{n}P1.test").write_bytes(MAIL % f"m{n}".encode())


def populate(site: Site) -> None:
    """Migrated-like schema (create_all stamped at the code's head) with rows of every kind."""
    settings = site.settings()
    site.instance.mkdir(parents=True, exist_ok=True)
    db = Database(site.url)
    try:
        Base.metadata.create_all(db.engine)
        head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
        with db.engine.begin() as conn:
            conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)"))
            conn.execute(text("INSERT INTO alembic_version VALUES (:v)"), {"v": head})
        store = DiskStore(settings.files_root)
        content = b"%PDF-1.4 the energy audit\n" * 50
        sha = store.put_bytes(content)
        with db.transaction() as session:
            version = ProcessVersion(key="information", version=1, name="Information", source_name="i.bpmn",
                                     bpmn_xml="<definitions/>", checksum="0" * 64)
            session.add(version)
            session.flush()
            instance = ProcessInstance(process_version_id=version.id, process_key="information",
                                       status=InstanceStatus.WAITING)
            session.add(instance)
            session.flush()
            dossier = Dossier(number="I-2026-00001", type="information", title="Roof insulation",
                              process_instance_id=instance.id)
            session.add(dossier)
            session.flush()
            add_file(session, dossier, name="audit.pdf", size=len(content), content_type="application/pdf",
                     sha256=sha, folder=None, user_id=None)
            org = organisation(session, name="Syndic Backup SRL", enterprise_number="0123456749",
                               client_number="C900100")
            member(session, org, portal_account(session, username="backup.manager"), MemberRole.MANAGER)
            credit(session, wallet_for(session, org.id).id, "75.50", kind=EntryKind.TOPUP_TRANSFER,
                   reference="+++090/9337/55493+++ line 1")
        _drop_mail(settings.maildir_root, 1)
        assert fetch(settings, db).stored == 1  # a Mail row and its raw .eml in the store, maildir cur/
        _drop_mail(settings.maildir_root, 2)  # not read yet: waits in new/
        settings.outbox_root.mkdir(parents=True, exist_ok=True)
        (settings.outbox_root / "reply-1.eml").write_bytes(b"Subject: sent\r\n\r\nDone.\r\n")
    finally:
        db.dispose()


def table_rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows, ordered by primary key (or by every column)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            names = sorted(inspect(conn).get_table_names())
            result = {}
            for name in names:
                table = Base.metadata.tables.get(name)
                if table is None:
                    result[name] = sorted(tuple(r) for r in conn.execute(text(f'SELECT * FROM "{name}"')))
                    continue
                order = list(table.primary_key.columns) or list(table.columns)
                result[name] = [tuple(r) for r in conn.execute(select(table).order_by(*order))]
            return result
    finally:
        engine.dispose()


def folder_files(instance: Path) -> dict[str, bytes]:
    return {p.relative_to(instance).as_posix(): p.read_bytes()
            for folder in FOLDERS for p in sorted((instance / folder).rglob("*"))
            if p.is_file() and not p.relative_to(instance).as_posix().startswith("files/tmp/")}


def run(site: Site, *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env=site.env(), catch_exceptions=False)


def rewrite(archive: Path, target: Path, change: Callable[[str, bytes], bytes]) -> None:
    """Copy an archive, passing every member's content through ``change``."""
    with tarfile.open(archive) as source, tarfile.open(target, "w") as out:
        for info in source:
            data = source.extractfile(info).read()  # type: ignore[union-attr]
            data = change(info.name, data)
            info.size = len(data)
            out.addfile(info, io.BytesIO(data))


# --------------------------------------------------------------------------- tests


def test_backup_then_restore_gives_the_same_rows_and_files(sites: tuple[Site, Site], tmp_path: Path) -> None:
    source, target = sites
    populate(source)
    archive = tmp_path / "backup.tar.gz"
    result = run(source, "backup", "--output", str(archive))
    assert result.exit_code == 0, result.output
    assert "Backed up" in result.output and archive.is_file()
    assert not list(tmp_path.glob("*.partial"))

    with tarfile.open(archive) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
        names = set(tar.getnames())
    assert manifest["database_kind"] == make_url(source.url).get_backend_name()
    assert manifest["alembic_revision"] == ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert manifest["guichet_version"] and manifest["created_at"]
    for table in ("dossiers", "dossier_files", "mails", "organisations", "memberships", "wallet_entries"):
        assert manifest["row_counts"][table] >= 1, table
    assert {m["path"] for m in manifest["files"]} | {manifest["database"]["path"], "manifest.json"} == names
    originals = folder_files(source.instance)
    assert {m["path"].replace("maildir/", "mail/", 1) for m in manifest["files"]} == set(originals)
    assert any(p.startswith("mail/new/") for p in originals) and any(p.startswith("mail/cur/") for p in originals)
    assert sum(p.startswith("files/") for p in originals) == 2  # the dossier's PDF and the mail's raw .eml

    result = run(target, "restore", str(archive))
    assert result.exit_code == 0, result.output
    assert "expected row counts" in result.output

    before, after = table_rows(source.url), table_rows(target.url)
    assert set(before) == set(after)
    for name in before:
        assert after[name] == before[name], name
    assert folder_files(target.instance) == originals


def test_a_tampered_or_newer_archive_is_refused_before_anything_is_touched(sites: tuple[Site, Site],
                                                                          tmp_path: Path) -> None:
    source, target = sites
    populate(source)
    archive = tmp_path / "backup.tar"
    assert run(source, "backup", "-o", str(archive)).exit_code == 0

    def flip_a_byte(name: str, data: bytes) -> bytes:
        return data[:-2] + b"X" + data[-1:] if name.startswith("files/") else data

    def newer_migration(name: str, data: bytes) -> bytes:
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        manifest["alembic_revision"] = "9999"
        return json.dumps(manifest).encode()

    def escaping_path(name: str, data: bytes) -> bytes:
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        manifest["files"][0]["path"] = "files/../../escaped"
        return json.dumps(manifest).encode()

    cases = {"tampered.tar": (flip_a_byte, "does not match its checksum"),
             "escaping.tar": (escaping_path, "unsafe path 'files/../../escaped'"),
             "newer.tar": (newer_migration, "migration 9999, which this version of Guichet")}
    for filename, (change, message) in cases.items():
        rewrite(archive, tmp_path / filename, change)
        result = run(target, "restore", str(tmp_path / filename))
        assert result.exit_code != 0 and message in result.output, result.output
    with tarfile.open(archive) as tar, tarfile.open(tmp_path / "extra.tar", "w") as out:
        for info in tar:
            out.addfile(info, tar.extractfile(info))
        extra = tarfile.TarInfo("files/evil")
        extra.size = 4
        out.addfile(extra, io.BytesIO(b"evil"))
    result = run(target, "restore", str(tmp_path / "extra.tar"))
    assert result.exit_code != 0 and "does not list" in result.output
    (tmp_path / "truncated.tar").write_bytes(archive.read_bytes()[:4096])
    assert run(target, "restore", str(tmp_path / "truncated.tar")).exit_code != 0

    target.instance.mkdir(parents=True, exist_ok=True)  # SQLite: the file must be openable to be inspected
    engine = create_engine(target.url)
    try:
        assert inspect(engine).get_table_names() == []
    finally:
        engine.dispose()
    assert folder_files(target.instance) == {}


def test_a_non_empty_target_needs_force(sites: tuple[Site, Site], tmp_path: Path) -> None:
    source, target = sites
    populate(source)
    archive = tmp_path / "backup.tar"
    assert run(source, "backup", "-o", str(archive)).exit_code == 0

    # The target already holds other rows (in a table of the backup and in one it lacks) and files.
    (target.instance / "files").mkdir(parents=True)
    engine = create_engine(target.url)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE dossiers (id INTEGER PRIMARY KEY, title VARCHAR(50))"))
            conn.execute(text("INSERT INTO dossiers VALUES (1, 'Changed since')"))
            conn.execute(text("CREATE TABLE leftover (id INTEGER)"))
    finally:
        engine.dispose()
    stray = target.instance / "files" / "stray.bin"
    stray.write_bytes(b"not in the backup")

    result = run(target, "restore", str(archive))
    assert result.exit_code != 0
    assert "--force" in result.output and "table(s)" in result.output
    assert stray.exists()

    result = run(target, "restore", str(archive), "--force")
    assert result.exit_code == 0, result.output
    assert table_rows(target.url) == table_rows(source.url)
    assert folder_files(target.instance) == folder_files(source.instance)


def test_a_backup_goes_back_into_the_same_kind_of_database_only(tmp_path: Path) -> None:
    sqlite = Site(f"sqlite:///{tmp_path / 'source' / 'guichet.db'}", tmp_path / "source")
    populate(sqlite)
    archive = tmp_path / "backup.tar"
    assert run(sqlite, "backup", "-o", str(archive)).exit_code == 0
    postgres = Site(_pg_url("kind"), tmp_path / "pg")
    result = run(postgres, "restore", str(archive))
    assert result.exit_code != 0
    assert "holds a sqlite database and GUICHET_DATABASE_URL is postgresql" in result.output
    assert run(sqlite, "restore", str(tmp_path / "missing.tar")).exit_code != 0


def test_pg_dump_and_pg_restore_versions_are_checked_against_the_server(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import integrations.backup.database as database

    site = Site(_pg_url("versions"), tmp_path / "pg")
    name = make_url(site.url).database
    _pg_admin(site.url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _pg_admin(site.url, f'CREATE DATABASE "{name}"')
    try:
        real = database.tool_version("pg_dump")
        assert real.split(".")[0].isdigit()
        monkeypatch.setattr(database, "tool_version", lambda program: "9.6")
        result = run(site, "backup", "-o", str(tmp_path / "old.tar"))
        assert result.exit_code != 0 and "is older than the PostgreSQL server" in result.output
        assert not (tmp_path / "old.tar").exists() and not (tmp_path / "old.tar.partial").exists()

        monkeypatch.setattr(database, "tool_version", lambda program: "99.0")
        result = run(site, "backup", "-o", str(tmp_path / "new.tar"))
        assert result.exit_code == 0 and "pg_dump 99.0 differs from the server" in result.output

        monkeypatch.setattr(database, "tool_version", lambda program: real)
        result = run(site, "restore", str(tmp_path / "new.tar"))
        assert result.exit_code != 0 and "written by pg_dump 99.0" in result.output
    finally:
        _pg_admin(site.url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
