"""Uploads are judged by their content: a program under a harmless name, a file whose content is
not what its extension says, and ZIP bombs (too many entries, too much data, lying headers) are
refused — files crafted here — while real-looking documents of every accepted kind pass."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from engine.access.models import Role
from engine.cases.models import Dossier
from engine.db import Database
from engine.documents.models import DossierFile
from integrations.documents import sniff
from integrations.documents.store import DiskStore
from integrations.documents.upload import Incoming, UploadLimits, UploadRefused, upload
from tests.webapp.support import build_app, login, page_text, use_fast_password_hashing

PE_HEADER = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(48) + b"PE\x00\x00" + bytes(64)
ELF_HEADER = b"\x7fELF\x02\x01\x01" + bytes(57)


def zipped(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


DOCX = zipped({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
XLSX = zipped({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})
ODT = zipped({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<office/>"},
             zipfile.ZIP_STORED)
GOOD = {
    "plan.pdf": b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n",
    "roof.png": b"\x89PNG\r\n\x1a\n" + bytes(16),
    "roof.jpg": b"\xff\xd8\xff\xe0\x00\x10JFIF" + bytes(16),
    "anim.gif": b"GIF89a" + bytes(16),
    "scan.webp": b"RIFF\x10\x00\x00\x00WEBPVP8 " + bytes(8),
    "scan.tiff": b"II*\x00" + bytes(16),
    "photo.heic": b"\x00\x00\x00\x18ftypheic" + bytes(16),
    "old.doc": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(32),
    "mail.msg": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(32),
    "letter.rtf": b"{\\rtf1\\ansi Hello}",
    "notes.txt": "Prière de rappeler — MZ à 14h".encode(),
    "MZ.txt": b"MZ Holdings called back",
    "meters.csv": b"ean;index\n5414;1200\n",
    "mail.eml": b"From: a@example.org\r\nSubject: hi\r\n\r\nbody\r\n",
    "offer.docx": DOCX,
    "budget.xlsx": XLSX,
    "report.odt": ODT,
}


@pytest.mark.parametrize("name", sorted(GOOD))
def test_real_looking_documents_pass(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(GOOD[name])
    assert sniff.check(path, name.rpartition(".")[2]) is None


@pytest.mark.parametrize("name, content, reason", [
    ("invoice.pdf", PE_HEADER, "executable"),
    ("photo.jpg", ELF_HEADER, "executable"),
    ("notes.txt", PE_HEADER, "executable"),
    ("anything.custom", PE_HEADER, "executable"),  # an extension added by configuration
    ("invoice.pdf", DOCX, "mismatch"),
    ("photo.png", b"<html><script>alert(1)</script></html>", "mismatch"),
    ("photo.jpg", b"\x89PNG\r\n\x1a\n" + bytes(8), "mismatch"),
    ("offer.docx", b"%PDF-1.4", "mismatch"),
    ("offer.docx", XLSX, "mismatch"),  # a ZIP, but not a Word document
    ("report.odt", zipped({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet"}), "mismatch"),
    ("offer.docx", b"PK\x03\x04 truncated", "mismatch"),  # damaged
    ("notes.txt", bytes(range(256)) * 4, "mismatch"),  # binary under .txt
])
def test_refused_by_content(tmp_path: Path, name: str, content: bytes, reason: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert sniff.check(path, name.rpartition(".")[2]) == reason


def _ooxml_with(extra: dict[str, bytes]) -> bytes:
    return zipped({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>", **extra})


def test_too_many_entries_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "many.docx"
    path.write_bytes(_ooxml_with({f"word/media/{i}.xml": b"" for i in range(60)}))
    assert sniff.check(path, "docx", sniff.ArchiveLimits(max_entries=50)) == "archive"
    assert sniff.check(path, "docx", sniff.ArchiveLimits(max_entries=100)) is None


def test_too_much_unpacked_data_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bomb.xlsx"
    # 40 MB of zeros compress to about 40 kB: a ratio near 1000
    path.write_bytes(zipped({"[Content_Types].xml": b"<Types/>", "xl/sheet.xml": bytes(40 * 1024 * 1024)}))
    assert path.stat().st_size < 100_000
    assert sniff.check(path, "xlsx") == "archive"  # the ratio
    assert sniff.check(path, "xlsx", sniff.ArchiveLimits(max_total_bytes=10 * 1024 * 1024,
                                                         max_ratio=10_000)) == "archive"  # the total
    assert sniff.check(path, "xlsx", sniff.ArchiveLimits(max_ratio=10_000)) is None


def test_lying_declared_sizes_do_not_fool_the_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The central directory may declare tiny sizes: unpacking stops at the declared size and the
    checksum then fails, so the file is refused as damaged, having read almost nothing."""
    path = tmp_path / "liar.docx"
    path.write_bytes(_ooxml_with({"word/big.xml": bytes(8 * 1024 * 1024)}))
    real_infolist = zipfile.ZipFile.infolist

    def lying_infolist(self: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
        entries = real_infolist(self)
        for entry in entries:
            entry.file_size = 1
        return entries

    read = 0
    real_read = zipfile.ZipExtFile.read

    def counting_read(self: zipfile.ZipExtFile, n: int = -1) -> bytes:
        nonlocal read
        chunk = real_read(self, n)
        read += len(chunk)
        return chunk

    monkeypatch.setattr(zipfile.ZipFile, "infolist", lying_infolist)
    monkeypatch.setattr(zipfile.ZipExtFile, "read", counting_read)
    limits = sniff.ArchiveLimits(max_total_bytes=1024 * 1024)
    assert sniff.check(path, "docx", limits) == "mismatch"
    assert read <= sniff.CHUNK


def test_refused_upload_keeps_nothing(db: Database, tmp_path: Path) -> None:
    store = DiskStore(tmp_path / "files")
    with db.transaction() as session:
        dossier = Dossier(number="SNF-00001", type="information", title="t")
        session.add(dossier)
        session.flush()
        dossier_id = dossier.id
    limits = UploadLimits(max_bytes=10_000)
    with pytest.raises(UploadRefused) as refused, db.transaction() as session:
        upload(session, store, session.get(Dossier, dossier_id),
               [Incoming("plan.pdf", io.BytesIO(GOOD["plan.pdf"])), Incoming("invoice.pdf", io.BytesIO(PE_HEADER)),
                Incoming("offer.docx", io.BytesIO(b"%PDF-1.4"))], None, limits, user_id=None)
    assert [(r.name, r.reason) for r in refused.value.refusals] == [("invoice.pdf", "executable"),
                                                                   ("offer.docx", "mismatch")]
    assert store.count() == 0 and list((store.root / "tmp").iterdir()) == []
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(DossierFile)) == 0


@pytest.fixture
def app(settings, db: Database, monkeypatch: pytest.MonkeyPatch) -> Flask:  # type: ignore[no-untyped-def]
    use_fast_password_hashing(monkeypatch)
    return build_app(settings, db)


def test_the_files_tab_says_why(app: Flask, db: Database) -> None:
    from tests.webapp.support import create_user

    with db.transaction() as session:
        dossier = Dossier(number="SNF-00002", type="information", title="t")
        session.add(dossier)
        session.flush()
        dossier_id = dossier.id
    client: FlaskClient = app.test_client()
    login(client, create_user(db, Role.CASE_WORKER, locale="en"))
    data = {"files": [(io.BytesIO(PE_HEADER), "invoice.pdf"), (io.BytesIO(b"<html>"), "roof.png")]}
    page = page_text(client.post(f"/dossiers/{dossier_id}/files/", data=data, content_type="multipart/form-data",
                                 follow_redirects=True))
    assert "“invoice.pdf” is a program, whatever its name says" in page
    assert "The content of “roof.png” does not match its extension" in page
    assert "Nothing was uploaded" in page
