"""The Files tab: several files at once into folders, one blob per content, size and type
refusals per file, the journey's files on a follow-up dossier, download rights, deactivate and
delete (administrators only)."""

from __future__ import annotations

import io
import itertools

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from engine.access.models import Role
from engine.cases.models import Dossier
from engine.db import Database
from engine.documents.models import DossierFile, FileFolder
from engine.workflow.models import AuditEvent
from integrations.documents.store import DiskStore
from tests.webapp.support import login, page_text

_numbers = itertools.count(1)


def make_dossier(db: Database, journey_id: int | None = None) -> int:
    with db.transaction() as session:
        dossier = Dossier(number=f"FIL-{next(_numbers):05d}", type="information", title="Roof", journey_id=journey_id)
        session.add(dossier)
        session.flush()
        return dossier.id


def store_of(app: Flask) -> DiskStore:
    return DiskStore(app.extensions["guichet"].settings.files_root)


def files_of(db: Database) -> list[DossierFile]:
    with db.transaction() as session:
        return list(session.scalars(select(DossierFile).order_by(DossierFile.id)))


def post_files(client: FlaskClient, dossier_id: int, *items: tuple[str, bytes], folder_id: int | None = None) -> object:
    data = {"files": [(io.BytesIO(content), name) for name, content in items], "folder_id": folder_id or ""}
    return client.post(f"/dossiers/{dossier_id}/files/", data=data, content_type="multipart/form-data",
                       follow_redirects=True)


def test_upload_several_files_same_content_one_blob(app: Flask, client: FlaskClient, make_user, db: Database
                                                    ) -> None:
    dossier_id = make_dossier(db)
    login(client, make_user(Role.CASE_WORKER, locale="en"))

    page = post_files(client, dossier_id, ("quote.pdf", b"%PDF-1.4 quote"), ("photo.jpg", b"\xff\xd8 roof"),
                      ("quote again.pdf", b"%PDF-1.4 quote"))

    assert "3 files uploaded." in page_text(page)
    rows = files_of(db)
    assert [r.name for r in rows] == ["quote.pdf", "photo.jpg", "quote again.pdf"]
    assert rows[0].sha256 == rows[2].sha256
    assert store_of(app).count() == 2
    text = page_text(client.get(f"/dossiers/{dossier_id}?tab=files"))
    assert "quote.pdf" in text and "photo.jpg" in text
    assert "File “photo.jpg” uploaded" in page_text(client.get(f"/dossiers/{dossier_id}"))


def test_refused_files_are_named_and_nothing_is_kept(app: Flask, client: FlaskClient, make_user, db: Database
                                                     ) -> None:
    dossier_id = make_dossier(db)
    app.extensions["guichet"].settings.upload_max_mb = 0.001  # about 1 kB
    login(client, make_user(Role.CASE_WORKER, locale="en"))

    page = post_files(client, dossier_id, ("fine.pdf", b"%PDF ok"), ("scan.pdf", b"x" * 2000),
                      ("setup.exe", b"MZ"))

    text = page_text(page)
    assert "“scan.pdf” is larger than 0.001 MB." in text
    assert "“setup.exe” is not an accepted type of file." in text
    assert "Nothing was uploaded" in text
    assert files_of(db) == []
    assert store_of(app).count() == 0


def test_folders_move_and_follow_up_dossiers(client: FlaskClient, make_user, db: Database) -> None:
    root = make_dossier(db)
    follow_up = make_dossier(db, journey_id=root)
    login(client, make_user(Role.CASE_WORKER, locale="en"))

    client.post(f"/dossiers/{follow_up}/files/folders", data={"name": "Quotes"})
    with db.transaction() as session:
        folder = session.scalars(select(FileFolder)).one()
        assert folder.dossier_id == root
    duplicate = client.post(f"/dossiers/{root}/files/folders", data={"name": "quotes"}, follow_redirects=True)
    assert "A folder with this name already exists here." in page_text(duplicate)
    post_files(client, follow_up, ("roof quote.pdf", b"%PDF roof"), folder_id=folder.id)
    post_files(client, root, ("plan.pdf", b"%PDF plan"))
    rows = files_of(db)
    assert {r.dossier_id for r in rows} == {root} and rows[0].folder_id == folder.id

    top = page_text(client.get(f"/dossiers/{follow_up}?tab=files"))
    assert "plan.pdf" in top and "Quotes" in top and "roof quote.pdf" not in top
    inside = page_text(client.get(f"/dossiers/{follow_up}?tab=files&folder={folder.id}"))
    assert "roof quote.pdf" in inside
    client.post(f"/dossiers/{follow_up}/files/{rows[1].id}/move", data={"folder_id": folder.id})
    assert files_of(db)[1].folder_id == folder.id
    download = client.get(f"/dossiers/{follow_up}/files/{rows[0].id}")
    assert download.status_code == 200 and download.data == b"%PDF roof"
    assert "attachment" in download.headers["Content-Disposition"]
    post_files(client, root, ("offerte dakwerken é.pdf", b"%PDF accent"))
    accent = files_of(db)[-1]
    disposition = client.get(f"/dossiers/{root}/files/{accent.id}").headers["Content-Disposition"]
    assert "filename*=UTF-8''offerte%20dakwerken%20%C3%A9.pdf" in disposition


def test_download_checks_role_and_dossier(app: Flask, client: FlaskClient, make_user, db: Database) -> None:
    mine = make_dossier(db)
    other = make_dossier(db)
    login(client, make_user(Role.CASE_WORKER))
    post_files(client, mine, ("letter.pdf", b"%PDF letter"))
    file_id = files_of(db)[0].id
    assert client.get(f"/dossiers/{other}/files/{file_id}").status_code == 404  # not of that journey
    assert client.get(f"/dossiers/999999/files/{file_id}").status_code == 404

    designer = app.test_client()
    login(designer, make_user(Role.PROCESS_DESIGNER))
    assert designer.get(f"/dossiers/{mine}/files/{file_id}").status_code == 403
    anonymous = app.test_client()
    assert anonymous.get(f"/dossiers/{mine}/files/{file_id}").status_code in (302, 401)


def test_deactivate_keeps_delete_is_for_administrators(app: Flask, client: FlaskClient, make_user, db: Database
                                                       ) -> None:
    dossier_id = make_dossier(db)
    login(client, make_user(Role.CASE_WORKER, locale="en"))
    post_files(client, dossier_id, ("a.pdf", b"%PDF same"), ("b.pdf", b"%PDF same"))
    first, second = (r.id for r in files_of(db))

    client.post(f"/dossiers/{dossier_id}/files/{first}/deactivate")
    assert [r.active for r in files_of(db)] == [False, True]
    assert "a.pdf" not in page_text(client.get(f"/dossiers/{dossier_id}?tab=files"))
    assert "a.pdf" in page_text(client.get(f"/dossiers/{dossier_id}?tab=files&inactive=1"))
    assert client.post(f"/dossiers/{dossier_id}/files/{first}/delete").status_code == 403
    manager = app.test_client()
    login(manager, make_user(Role.MANAGER))
    assert manager.post(f"/dossiers/{dossier_id}/files/{first}/delete").status_code == 403
    assert len(files_of(db)) == 2

    admin = app.test_client()
    login(admin, make_user(Role.ADMINISTRATOR, locale="en"))
    deleted = admin.post(f"/dossiers/{dossier_id}/files/{first}/delete", follow_redirects=True)
    assert "“a.pdf” was deleted for good." in page_text(deleted)
    assert store_of(app).count() == 1  # b.pdf still uses the content
    admin.post(f"/dossiers/{dossier_id}/files/{second}/delete")
    assert files_of(db) == [] and store_of(app).count() == 0
    with db.transaction() as session:
        kinds = list(session.scalars(select(AuditEvent.kind).where(AuditEvent.subject_id == dossier_id)
                                     .order_by(AuditEvent.id)))
        assert kinds.count("file_deleted") == 2 and "file_deactivated" in kinds
        assert session.scalar(select(func.count()).select_from(DossierFile)) == 0


def test_a_folder_of_another_journey_is_refused_and_files_come_back(client: FlaskClient, make_user, db: Database
                                                                    ) -> None:
    mine = make_dossier(db)
    other = make_dossier(db)
    login(client, make_user(Role.CASE_WORKER, locale="en"))
    client.post(f"/dossiers/{other}/files/folders", data={"name": "Theirs"})
    with db.transaction() as session:
        theirs = session.scalars(select(FileFolder)).one().id
    refused = client.post(f"/dossiers/{mine}/files/", data={"files": [(io.BytesIO(b"%PDF"), "x.pdf")],
                                                            "folder_id": theirs}, content_type="multipart/form-data")
    assert refused.status_code == 404
    assert files_of(db) == []
    assert "Choose one or more files to upload." in page_text(
        client.post(f"/dossiers/{mine}/files/", data={}, follow_redirects=True))

    post_files(client, mine, ("kept.pdf", b"%PDF kept"))
    file_id = files_of(db)[0].id
    client.post(f"/dossiers/{mine}/files/{file_id}/deactivate")
    assert client.get(f"/dossiers/{mine}/files/{file_id}").status_code == 200  # hidden, still kept
    client.post(f"/dossiers/{mine}/files/{file_id}/reactivate")
    assert files_of(db)[0].active is True
    assert "kept.pdf" in page_text(client.get(f"/dossiers/{mine}?tab=files"))
