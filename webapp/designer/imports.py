"""Importing a .bpmn file drawn elsewhere (another modeler, the BPMN MIWG reference diagrams):
the file becomes the draft of one process key and opens in the modeler.

The key is the id of the file's one executable top-level process (what a deploy would use), or
the process or collaboration the designer chooses when the file holds several. A file with no
executable process is imported all the same, so it can be viewed, edited and downloaded;
validation then says it cannot run. An existing draft of someone else is never overwritten.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user
from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage

from engine.workflow.drafts import DraftConflict, ProcessDraft, get_draft, save_draft
from engine.workflow.history import latest_per_key, versions
from webapp.context import db_session
from webapp.designer.api import MAX_DIAGRAM_CHARS
from webapp.designer.blueprint import bp
from webapp.designer.template import KEY_PATTERN
from webapp.transactions import run_command

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
# the same limit as the modeler's JSON endpoints: a file the modeler could not save is refused here
MAX_IMPORT_BYTES = MAX_DIAGRAM_CHARS


class ImportRefused(Exception):
    """The upload cannot become a draft; the message says what to fix (already translated)."""


@dataclass
class Candidate:
    """A process or collaboration of the file that can name the draft."""

    id: str
    name: str
    kind: str  # "process" or "collaboration"
    executable: bool = False


@dataclass
class BpmnFile:
    xml: str
    processes: list[Candidate]
    collaborations: list[Candidate]
    called: set[str] = field(default_factory=set)

    @property
    def executable(self) -> list[Candidate]:
        return [p for p in self.processes if p.executable]

    @property
    def candidates(self) -> list[Candidate]:
        return self.processes + self.collaborations


def read_bpmn(data: bytes) -> BpmnFile:
    """The processes and collaborations of an uploaded file, or :class:`ImportRefused`."""
    if not data.strip():
        raise ImportRefused(_("The file is empty: choose a .bpmn file."))
    if len(data) > MAX_IMPORT_BYTES:
        raise ImportRefused(_("The file is larger than %(mb)s MB: a diagram is much smaller; check that you "
                              "chose the right file.", mb=MAX_IMPORT_BYTES // 1_000_000))
    try:
        root = etree.fromstring(data, parser=etree.XMLParser(resolve_entities=False, no_network=True,
                                                             huge_tree=False))
    except etree.XMLSyntaxError as exc:
        raise ImportRefused(_("The file is not well-formed XML (line %(line)s: %(error)s): export it again as "
                              "BPMN 2.0 XML.", line=exc.lineno, error=exc.msg)) from exc
    if root.tag != f"{{{BPMN}}}definitions":
        found = etree.QName(root).localname if isinstance(root.tag, str) else "?"
        raise ImportRefused(_("The file is XML but not BPMN 2.0: its root element is %(found)s instead of "
                              "bpmn:definitions. Export the diagram as BPMN 2.0 XML.", found=found))
    encoding = (root.getroottree().docinfo.encoding or "utf-8").lower().replace("_", "-")
    if give_pools_to_drawn_processes(root) or encoding not in ("utf-8", "utf8"):
        # stored as text, so re-serialised without the declaration of another encoding
        xml = etree.tostring(root, encoding="unicode")
    else:
        xml = data.decode("utf-8-sig")
    processes = [
        Candidate(p.get("id") or "", p.get("name") or "", "process",
                  (p.get("isExecutable") or "").strip().lower() == "true")
        for p in root.iter(f"{{{BPMN}}}process")
    ]
    collaborations = [Candidate(c.get("id") or "", c.get("name") or "", "collaboration")
                      for c in root.iter(f"{{{BPMN}}}collaboration")]
    called = {a.get("calledElement") for a in root.iter(f"{{{BPMN}}}callActivity") if a.get("calledElement")}
    return BpmnFile(xml, processes, collaborations, called)


def give_pools_to_drawn_processes(root: Any) -> list[str]:
    """Some modelers draw the elements of a process that no pool shows on a collaboration's
    diagram. bpmn-js opens such a diagram but, unless the process has lanes, leaves those shapes
    out and so drops them when it saves: a download would lose them (MIWG B.1.0, B.2.0). Each such
    process gets a participant (without a shape of its own, so nothing moves on the canvas).
    Returns the ids of the participants added."""
    collaborations = {c.get("id"): c for c in root.iter(f"{{{BPMN}}}collaboration")}
    plane = next((p for p in root.iter(f"{{{BPMNDI}}}BPMNPlane") if p.get("bpmnElement") in collaborations), None)
    if plane is None:
        return []
    shown = collaborations[plane.get("bpmnElement")]
    in_pools = {p.get("processRef") for c in collaborations.values() for p in c.iter(f"{{{BPMN}}}participant")}
    drawn = {s.get("bpmnElement") for s in plane.iter(f"{{{BPMNDI}}}BPMNShape", f"{{{BPMNDI}}}BPMNEdge")}
    ids = {e.get("id") for e in root.iter() if isinstance(e.tag, str) and e.get("id")}
    added = []
    for process in root.iter(f"{{{BPMN}}}process"):
        pid = process.get("id")
        if (not pid or pid in in_pools or process.find(f"{{{BPMN}}}laneSet") is not None
                or not any(child.get("id") in drawn for child in process)):
            continue
        new_id = f"Participant_{pid}"
        while new_id in ids:
            new_id += "_"
        participant = etree.Element(f"{{{BPMN}}}participant", id=new_id, processRef=pid)
        if process.get("name"):
            participant.set("name", process.get("name"))
        existing = shown.findall(f"{{{BPMN}}}participant")
        heads = [c for c in shown if etree.QName(c).localname in ("documentation", "extensionElements")]
        shown.insert(shown.index(existing[-1]) + 1 if existing else len(heads), participant)
        ids.add(new_id)
        added.append(new_id)
    return added


def choose_key(bpmn: BpmnFile, chosen: str | None) -> str | list[Candidate]:
    """The key to import under, or the candidates to choose from. Without a choice: the one
    executable process no call activity of the file calls (what a deploy would use); for a file
    that runs nothing, its one process, else its one collaboration."""
    if chosen:
        if chosen not in {c.id for c in bpmn.candidates}:
            raise ImportRefused(_("The file has no process or collaboration %(key)s.", key=chosen))
        return chosen
    top = [p for p in bpmn.executable if p.id not in bpmn.called]
    if len(top) == 1:
        return top[0].id
    if top:
        return top + bpmn.collaborations
    if len(bpmn.processes) == 1:
        return bpmn.processes[0].id
    if not bpmn.processes and len(bpmn.collaborations) == 1:
        return bpmn.collaborations[0].id
    if not bpmn.candidates:
        raise ImportRefused(_("The file holds neither a process nor a collaboration: there is nothing to open."))
    if len(bpmn.collaborations) == 1:
        return bpmn.collaborations[0].id
    return bpmn.candidates


def check_key(key: str) -> None:
    if not KEY_PATTERN.match(key):
        raise ImportRefused(_(
            "The id %(key)s cannot be a process key in Guichet: a key starts with a letter or _ and holds only "
            "letters, digits, - and _ (at most 100). Rename the process in the file and import it again.",
            key=key))


def import_draft(session: Session, key: str, xml: str, user_id: int) -> ProcessDraft:
    """The draft of ``key`` holding ``xml``: a new process, a draft over the deployed process, or
    the designer's own draft replaced. Someone else's draft raises :class:`DraftConflict`."""
    draft = get_draft(session, key)
    if draft is not None:
        if draft.saved_by_id != user_id:
            raise DraftConflict(key, draft.saved_by.name if draft.saved_by else None, draft.saved_at)
        return save_draft(session, key, xml, lock_version=draft.lock_version, user_id=user_id)
    rows = versions(session, key)
    return save_draft(session, key, xml, lock_version=None, user_id=user_id,
                      base_version=rows[0].version if rows else None)


def _upload() -> FileStorage | None:
    upload = request.files.get("file")
    return upload if upload is not None and upload.filename else None


def _index_again(message: str, choices: list[Candidate] | None = None, status: int = 400) -> Any:
    """The designer's index with the import form showing what to fix (the file must be chosen again:
    a browser never fills a file field by itself)."""
    session = db_session()
    drafts = {d.key: d for d in session.scalars(select(ProcessDraft))}
    deployed = latest_per_key(session)
    new_only = sorted(k for k in drafts if k not in {v.key for v, _who in deployed})
    return render_template("designer/index.html", deployed=deployed, drafts=drafts, new_only=new_only,
                           form={}, import_error=message, import_choices=choices or []), status


@bp.post("/import")
def import_file() -> Any:
    upload = _upload()
    if upload is None:
        return _index_again(_("Choose a .bpmn file to import."))
    data = upload.stream.read(MAX_IMPORT_BYTES + 1)
    chosen = (request.form.get("process") or "").strip() or None
    try:
        bpmn = read_bpmn(data)
        key = choose_key(bpmn, chosen)
        if isinstance(key, list):
            return _index_again(_("%(file)s holds several processes: choose the one to import and choose the "
                                  "file again.", file=upload.filename), key, status=200)
        check_key(key)
    except ImportRefused as exc:
        return _index_again(str(exc))
    try:
        run_command(lambda s: import_draft(s, key, bpmn.xml, current_user.id))
    except DraftConflict as exc:
        when = format_datetime(exc.saved_at, "short") if exc.saved_at else _("just now")
        return _index_again(_("%(who)s has a draft of %(key)s saved at %(when)s: nothing was imported. Ask them "
                              "to deploy or discard it, or open it from the list.",
                              who=exc.saved_by or _("someone else"), key=key, when=when), status=409)
    flash(_("%(file)s imported as a draft of %(key)s.", file=upload.filename, key=key), "success")
    if not bpmn.executable:
        flash(_("No process of this file is marked executable: you can view, edit and download it, and "
                "Validate says what must change before it can run."), "info")
    return redirect(url_for("designer.modeler", key=key))
