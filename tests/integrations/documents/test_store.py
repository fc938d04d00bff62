"""The content-addressed store and the upload rules: one blob per content, refused uploads keep
nothing, a blob goes when the last file using it is deleted."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.cases.models import Dossier
from engine.db import Database
from engine.documents import files
from engine.documents.models import DossierFile
from integrations.documents.store import DiskStore, TooLarge
from integrations.documents.upload import Incoming, UploadLimits, UploadRefused, clean_name, delete, upload

LIMITS = UploadLimits(max_bytes=1000, extensions=frozenset({"pdf", "txt", "png"}))


@pytest.fixture
def store(tmp_path: Path) -> DiskStore:
    return DiskStore(tmp_path / "files")


def make_dossier(db: Database, journey_id: int | None = None) -> int:
    with db.transaction() as session:
        number = session.scalar(select(func.count()).select_from(Dossier)) or 0
        dossier = Dossier(number=f"DOC-{number + 1:05d}", type="information", title="t", journey_id=journey_id)
        session.add(dossier)
        session.flush()
        return dossier.id


def send(db: Database, store: DiskStore, dossier_id: int, *items: tuple[str, bytes]) -> list[int]:
    with db.transaction() as session:
        rows = upload(session, store, session.get(Dossier, dossier_id),
                      [Incoming(name, io.BytesIO(content)) for name, content in items], None, LIMITS, user_id=None)
        return [row.id for row in rows]


def test_the_blob_path_is_content_addressed(store: DiskStore) -> None:
    sha = store.put_bytes(b"hello")
    assert sha == "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
    assert store.path_for(sha) == store.root / "2c" / "f2" / sha
    assert store.path_for(sha).read_bytes() == b"hello"
    with pytest.raises(ValueError):
        store.path_for("../../etc/passwd")


def test_too_large_content_leaves_nothing(store: DiskStore) -> None:
    with pytest.raises(TooLarge):
        store.stage(io.BytesIO(b"x" * 11), max_bytes=10)
    assert list((store.root / "tmp").iterdir()) == []


def test_the_same_content_twice_is_one_blob(db: Database, store: DiskStore) -> None:
    dossier_id = make_dossier(db)
    send(db, store, dossier_id, ("quote.pdf", b"%PDF-1.4 quote"), ("copy of quote.pdf", b"%PDF-1.4 quote"))
    send(db, store, dossier_id, ("again.pdf", b"%PDF-1.4 quote"))
    with db.transaction() as session:
        rows = list(session.scalars(select(DossierFile)))
    assert len(rows) == 3 and len({row.sha256 for row in rows}) == 1
    assert rows[0].content_type == "application/pdf" and rows[0].size == 14
    assert store.count() == 1


def test_one_refused_file_refuses_the_upload(db: Database, store: DiskStore) -> None:
    dossier_id = make_dossier(db)
    with pytest.raises(UploadRefused) as refused:
        send(db, store, dossier_id, ("ok.pdf", b"%PDF fine"), ("big.pdf", b"x" * 1001), ("run.exe", b"MZ"),
             ("empty.txt", b""))
    assert [(r.name, r.reason) for r in refused.value.refusals] == [
        ("big.pdf", "too_large"), ("run.exe", "type"), ("empty.txt", "empty")]
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(DossierFile)) == 0
    assert store.count() == 0
    assert list((store.root / "tmp").iterdir()) == []


def test_names_lose_their_folders() -> None:
    assert clean_name("C:\\Users\\me\\quote.pdf") == "quote.pdf"
    assert clean_name("../../etc/passwd") == "passwd"
    assert clean_name("a" * 300 + ".pdf").endswith(".pdf") and len(clean_name("a" * 300 + ".pdf")) == 255


def test_the_blob_goes_with_the_last_file_using_it(db: Database, store: DiskStore) -> None:
    root = make_dossier(db)
    follow_up = make_dossier(db, journey_id=root)
    first, second = send(db, store, follow_up, ("a.png", b"\x89PNG same"), ("b.png", b"\x89PNG same"))
    with db.transaction() as session:
        assert [row.dossier_id for row in session.scalars(select(DossierFile))] == [root, root]
        delete(session, store, session.get(DossierFile, first), user_id=None)
    assert store.count() == 1
    with db.transaction() as session:
        delete(session, store, session.get(DossierFile, second), user_id=None)
    assert store.count() == 0


def test_folders_and_moves(db: Database, store: DiskStore) -> None:
    root = make_dossier(db)
    (file_id,) = send(db, store, root, ("plan.pdf", b"%PDF plan"))
    with db.transaction() as session:
        dossier = session.get(Dossier, root)
        quotes = files.create_folder(session, dossier, "  Quotes  ", None, user_id=None)
        with pytest.raises(files.FolderProblem):
            files.create_folder(session, dossier, "quotes", None, user_id=None)
        roof = files.create_folder(session, dossier, "Roof", quotes, user_id=None)
        files.move_file(session, session.get(DossierFile, file_id), roof, user_id=None)
        assert [f.name for f in files.folder_path(session, roof)] == ["Quotes", "Roof"]
        assert [f.name for f in files.files_in(session, dossier, roof)] == ["plan.pdf"]
        assert files.files_in(session, dossier, None) == []


def test_limits_from_the_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from engine.config import Settings

    monkeypatch.setenv("GUICHET_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("GUICHET_UPLOAD_MAX_MB", "2.5")
    monkeypatch.setenv("GUICHET_UPLOAD_EXTENSIONS", "PDF, .docx ,")
    settings = Settings.from_env()
    limits = UploadLimits.from_text(settings.upload_max_mb, settings.upload_extensions)
    assert limits == UploadLimits(max_bytes=2621440, extensions=frozenset({"pdf", "docx"}))
    assert settings.files_root == tmp_path / "files"
    assert "pdf" in UploadLimits().extensions and "exe" not in UploadLimits().extensions


def test_deleting_every_file_of_a_journey(db: Database, store: DiskStore) -> None:
    from integrations.documents.upload import delete_all

    root = make_dossier(db)
    other = make_dossier(db)
    send(db, store, root, ("a.pdf", b"%PDF a"), ("shared.pdf", b"%PDF shared"))
    send(db, store, other, ("shared too.pdf", b"%PDF shared"))
    with db.transaction() as session:
        assert delete_all(session, store, root, user_id=None) == 2
    assert store.count() == 1  # the content the other journey uses stays
    assert [row.name for row in files_of_all(db)] == ["shared too.pdf"]


def files_of_all(db: Database) -> list[DossierFile]:
    with db.transaction() as session:
        return list(session.scalars(select(DossierFile)))
