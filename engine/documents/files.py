"""Folders and file rows of a journey (seed 001 §4.2, §4.3). Rows hang on the journey's first
dossier, so follow-up dossiers see the same files. The blob store is the caller's business:
these functions only say which checksums are still referenced."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.cases.models import Dossier
from engine.db import utcnow
from engine.documents.models import DossierFile, FileFolder
from engine.mail.models import Mail, MailAttachment
from engine.places.addresses import audit


class FolderProblem(ValueError):
    """A folder name that is empty, too long or already used, or a folder of another journey."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def folder_of(session: Session, dossier: Dossier, folder_id: object) -> FileFolder | None:
    """The journey's folder ``folder_id`` (None for the top level); a folder of another journey
    or an unknown id raises :class:`FolderProblem`."""
    if folder_id in (None, ""):
        return None
    text = str(folder_id)
    folder = session.get(FileFolder, int(text)) if text.isdigit() and int(text) < 2**31 else None
    if folder is None or folder.dossier_id != dossier.journey_root_id:
        raise FolderProblem("This folder does not exist.", "unknown")
    return folder


def folders(session: Session, dossier: Dossier) -> list[FileFolder]:
    return list(session.scalars(select(FileFolder).where(FileFolder.dossier_id == dossier.journey_root_id)
                                .order_by(func.lower(FileFolder.name), FileFolder.id)))


def folder_path(session: Session, folder: FileFolder | None) -> list[FileFolder]:
    """The folder and its parents, outermost first."""
    path: list[FileFolder] = []
    while folder is not None and len(path) < 50:
        path.insert(0, folder)
        folder = session.get(FileFolder, folder.parent_id) if folder.parent_id else None
    return path


def create_folder(session: Session, dossier: Dossier, name: str, parent: FileFolder | None, *,
                  user_id: int | None) -> FileFolder:
    name = " ".join(name.split())
    if not name:
        raise FolderProblem("Give the folder a name.", "empty")
    if len(name) > 200 or "/" in name or "\\" in name:
        raise FolderProblem("A folder name has at most 200 characters and no slash.", "invalid")
    root_id = dossier.journey_root_id
    same = select(FileFolder.id).where(
        FileFolder.dossier_id == root_id, func.lower(FileFolder.name) == name.lower(),
        FileFolder.parent_id == parent.id if parent is not None else FileFolder.parent_id.is_(None),
    )
    if session.scalar(same) is not None:
        raise FolderProblem("A folder with this name already exists here.", "duplicate")
    folder = FileFolder(dossier_id=root_id, parent_id=parent.id if parent else None, name=name,
                        created_by_id=user_id)
    session.add(folder)
    session.flush()
    audit(session, root_id, "folder_created", user_id, folder_id=folder.id, name=name)
    return folder


def files_in(session: Session, dossier: Dossier, folder: FileFolder | None, *, active: bool = True
             ) -> list[DossierFile]:
    query = select(DossierFile).where(DossierFile.dossier_id == dossier.journey_root_id,
                                      DossierFile.active.is_(active))
    if active:  # deactivated files are listed together, whatever their folder
        query = query.where(DossierFile.folder_id == folder.id if folder is not None
                            else DossierFile.folder_id.is_(None))
    return list(session.scalars(query.order_by(func.lower(DossierFile.name), DossierFile.id)))


def file_of(session: Session, dossier: Dossier, file_id: int) -> DossierFile | None:
    """The file ``file_id`` when it belongs to the dossier's journey, else None."""
    row = session.get(DossierFile, file_id)
    return row if row is not None and row.dossier_id == dossier.journey_root_id else None


def add_file(session: Session, dossier: Dossier, *, name: str, size: int, content_type: str, sha256: str,
             folder: FileFolder | None, user_id: int | None) -> DossierFile:
    row = DossierFile(dossier_id=dossier.journey_root_id, folder_id=folder.id if folder else None, name=name,
                      size=size, content_type=content_type, sha256=sha256, uploaded_by_id=user_id)
    session.add(row)
    session.flush()
    audit(session, dossier.journey_root_id, "file_uploaded", user_id, file_id=row.id, name=name, sha256=sha256)
    return row


def move_file(session: Session, row: DossierFile, folder: FileFolder | None, *, user_id: int | None) -> None:
    row.folder_id = folder.id if folder is not None else None
    audit(session, row.dossier_id, "file_moved", user_id, file_id=row.id, name=row.name,
          folder_id=row.folder_id)


def set_active(session: Session, row: DossierFile, active: bool, *, user_id: int | None) -> None:
    """Deactivate (hide, keep) or reactivate a file."""
    if row.active == active:
        return
    row.active = active
    row.deactivated_by_id, row.deactivated_at = (None, None) if active else (user_id, utcnow())
    audit(session, row.dossier_id, "file_reactivated" if active else "file_deactivated", user_id,
          file_id=row.id, name=row.name)


def delete_file(session: Session, row: DossierFile, *, user_id: int | None) -> bool:
    """Delete the row for good. True when no other row uses its content, so the caller removes
    the blob once the transaction is committed."""
    audit(session, row.dossier_id, "file_deleted", user_id, file_id=row.id, name=row.name, sha256=row.sha256)
    sha256 = row.sha256
    session.delete(row)
    session.flush()
    return not is_referenced(session, sha256)


def is_referenced(session: Session, sha256: str) -> bool:
    """Whether any row still needs the blob: a dossier file, a mail attachment or a stored .eml
    (a linked mail's attachments share their blob with the dossier's file rows)."""
    return any(
        session.scalar(select(column).where(column == sha256).limit(1)) is not None
        for column in (DossierFile.sha256, MailAttachment.sha256, Mail.raw_sha256)
    )
