"""Files of a dossier's journey (seed 001 §4.2) and their deactivation or deletion (§4.3).

Files belong to the journey's first dossier: every dossier of the journey shows and adds to the
same files. Viewing and downloading need a back-office role and a dossier of the journey;
uploading, folders, moving and deactivating need a case-handling role; deleting for good is for
administrators only."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy.orm import Session

from engine.access.models import Role
from engine.cases.models import Dossier
from engine.documents import files
from engine.documents.models import DossierFile, FileFolder
from integrations.documents.store import DiskStore
from integrations.documents.upload import Incoming, UploadLimits, UploadRefused, delete, upload
from webapp.auth import BACK_OFFICE, CASE_HANDLERS, require_roles, roles_guard
from webapp.context import db_session, services
from webapp.dossiers.sections import Section, register_section
from webapp.transactions import command_transaction

bp = Blueprint("files", __name__, url_prefix="/dossiers/<int:dossier_id>/files")
bp.before_request(roles_guard(*BACK_OFFICE))


def store() -> DiskStore:
    return DiskStore(services().settings.files_root)


def limits() -> UploadLimits:
    settings = services().settings
    return UploadLimits.from_text(settings.upload_max_mb, settings.upload_extensions)


def _dossier(dossier_id: int) -> Dossier:
    dossier = db_session().get(Dossier, dossier_id)
    if dossier is None:
        abort(404)
    return dossier


def _file(dossier: Dossier, file_id: int) -> DossierFile:
    row = files.file_of(db_session(), dossier, file_id)
    if row is None:
        abort(404)
    return row


def _folder_arg(dossier: Dossier, value: object) -> FileFolder | None:
    try:
        return files.folder_of(db_session(), dossier, value)
    except files.FolderProblem:
        abort(404)


def _back(dossier_id: int, folder_id: int | None = None, **args: Any) -> Any:
    return redirect(url_for("dossiers.show", dossier_id=dossier_id, tab="files", folder=folder_id or None, **args),
                    303)


# --------------------------------------------------------------------------- the dossier tab


def files_section(session: Session, dossier: Dossier) -> dict[str, Any]:
    try:
        folder = files.folder_of(session, dossier, request.args.get("folder"))
    except files.FolderProblem:
        folder = None
    all_folders = files.folders(session, dossier)
    show_inactive = request.args.get("inactive") == "1"
    paths = {f.id: " / ".join(p.name for p in files.folder_path(session, f)) for f in all_folders}
    settings = services().settings
    return {
        "folder": folder,
        "path": files.folder_path(session, folder),
        "subfolders": [f for f in all_folders if f.parent_id == (folder.id if folder else None)],
        "folder_choices": sorted(paths.items(), key=lambda item: item[1].lower()),
        "files": files.files_in(session, dossier, folder),
        "inactive_files": files.files_in(session, dossier, None, active=False) if show_inactive else [],
        "show_inactive": show_inactive,
        "max_mb": settings.upload_max_mb,
        "extensions": ", ".join(sorted(limits().extensions)),
        "journey_root_id": dossier.journey_root_id,
    }


register_section(Section(key="files", label=_l("Files"), template="files/files_tab.html", context=files_section,
                         order=60))


# --------------------------------------------------------------------------- commands

REASONS = {
    "too_large": lambda name, max_mb: _("“%(name)s” is larger than %(max)s MB.", name=name, max=f"{max_mb:g}"),
    "type": lambda name, max_mb: _("“%(name)s” is not an accepted type of file.", name=name),
    "empty": lambda name, max_mb: _("“%(name)s” is empty.", name=name),
    "no_name": lambda name, max_mb: _("A file without a name was sent."),
    # from the content (integrations/documents/sniff.py)
    "executable": lambda name, max_mb: _("“%(name)s” is a program, whatever its name says: programs are "
                                         "never accepted.", name=name),
    "mismatch": lambda name, max_mb: _("The content of “%(name)s” does not match its extension (or the file "
                                       "is damaged): save it again in the format its name says.", name=name),
    "archive": lambda name, max_mb: _("“%(name)s” unpacks to too many files or too much data to be checked "
                                      "safely: send its contents in smaller parts.", name=name),
}


@bp.post("/")
@require_roles(*CASE_HANDLERS)
def upload_files(dossier_id: int) -> Any:
    dossier = _dossier(dossier_id)
    folder = _folder_arg(dossier, request.form.get("folder_id"))
    sent = [Incoming(f.filename or "", f.stream) for f in request.files.getlist("files") if f.filename]
    folder_id = folder.id if folder else None
    if not sent:
        flash(_("Choose one or more files to upload."), "error")
        return _back(dossier_id, folder_id)
    user_id, the_limits, the_store = current_user.id, limits(), store()
    try:
        with command_transaction() as session:
            target = session.get(FileFolder, folder_id) if folder_id else None
            rows = upload(session, the_store, session.get(Dossier, dossier_id), sent, target, the_limits,
                          user_id=user_id)
    except UploadRefused as refused:
        max_mb = services().settings.upload_max_mb
        for refusal in refused.refusals:
            flash(REASONS[refusal.reason](refusal.name, max_mb), "error")
        flash(_("Nothing was uploaded: remove or fix the refused files and try again."), "error")
        return _back(dossier_id, folder_id)
    flash(ngettext("%(num)d file uploaded.", "%(num)d files uploaded.", len(rows)), "success")
    return _back(dossier_id, folder_id)


FOLDER_PROBLEMS = {
    "empty": lambda: _("Give the folder a name."),
    "invalid": lambda: _("A folder name has at most 200 characters and no slash."),
    "duplicate": lambda: _("A folder with this name already exists here."),
    "unknown": lambda: _("This folder does not exist."),
}


@bp.post("/folders")
@require_roles(*CASE_HANDLERS)
def create_folder(dossier_id: int) -> Any:
    dossier = _dossier(dossier_id)
    parent = _folder_arg(dossier, request.form.get("parent_id"))
    parent_id, user_id = (parent.id if parent else None), current_user.id
    try:
        with command_transaction() as session:
            folder = files.create_folder(session, session.get(Dossier, dossier_id), request.form.get("name", ""),
                                         session.get(FileFolder, parent_id) if parent_id else None, user_id=user_id)
    except files.FolderProblem as exc:
        flash(FOLDER_PROBLEMS[exc.reason](), "error")
        return _back(dossier_id, parent_id)
    flash(_("Folder “%(name)s” created.", name=folder.name), "success")
    return _back(dossier_id, folder.id)


@bp.get("/<int:file_id>")
def download(dossier_id: int, file_id: int) -> Any:
    row = _file(_dossier(dossier_id), file_id)
    the_store = store()
    if not the_store.exists(row.sha256):
        abort(410)
    return send_file(the_store.path_for(row.sha256), mimetype=row.content_type, as_attachment=True,
                     download_name=row.name, max_age=0)


@bp.post("/<int:file_id>/move")
@require_roles(*CASE_HANDLERS)
def move(dossier_id: int, file_id: int) -> Any:
    dossier = _dossier(dossier_id)
    row = _file(dossier, file_id)
    folder = _folder_arg(dossier, request.form.get("folder_id"))
    row_id, folder_id, user_id = row.id, (folder.id if folder else None), current_user.id
    with command_transaction() as session:
        files.move_file(session, session.get(DossierFile, row_id),
                        session.get(FileFolder, folder_id) if folder_id else None, user_id=user_id)
    flash(_("File moved."), "success")
    return _back(dossier_id, folder_id)


def _set_active(dossier_id: int, file_id: int, active: bool) -> Any:
    row = _file(_dossier(dossier_id), file_id)
    row_id, folder_id, user_id = row.id, row.folder_id, current_user.id
    with command_transaction() as session:
        files.set_active(session, session.get(DossierFile, row_id), active, user_id=user_id)
    flash(_("File reactivated.") if active else _("File deactivated: it is hidden but kept."), "success")
    return _back(dossier_id, folder_id)


@bp.post("/<int:file_id>/deactivate")
@require_roles(*CASE_HANDLERS)
def deactivate(dossier_id: int, file_id: int) -> Any:
    return _set_active(dossier_id, file_id, False)


@bp.post("/<int:file_id>/reactivate")
@require_roles(*CASE_HANDLERS)
def reactivate(dossier_id: int, file_id: int) -> Any:
    return _set_active(dossier_id, file_id, True)


@bp.post("/<int:file_id>/delete")
@require_roles(Role.ADMINISTRATOR)
def delete_for_good(dossier_id: int, file_id: int) -> Any:
    row = _file(_dossier(dossier_id), file_id)
    row_id, folder_id, name, user_id, the_store = row.id, row.folder_id, row.name, current_user.id, store()
    with command_transaction() as session:
        delete(session, the_store, session.get(DossierFile, row_id), user_id=user_id)
    flash(_("“%(name)s” was deleted for good.", name=name), "success")
    return _back(dossier_id, folder_id)
