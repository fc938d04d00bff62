"""The version history of a process: who deployed which version when and why, and what changed
against the version before (elements added, removed, changed), so a designer can tell versions
apart without reading XML. Old versions can be opened and deployed again as a new version.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from sqlalchemy import func, select
from sqlalchemy.orm import Session, defer

from engine.access.models import User
from engine.workflow.deploy import DeployResult, deploy
from engine.workflow.errors import NotFound
from engine.workflow.forms_protocol import FormValidator
from engine.workflow.models import ProcessVersion
from engine.workflow.operators import OperatorRegistry

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
# References that only repeat what the sequence flows and lanes already say: a new flow should
# show as one added flow, not also as a "changed" task at each end.
_REDUNDANT = {f"{{{BPMN}}}incoming", f"{{{BPMN}}}outgoing", f"{{{BPMN}}}flowNodeRef"}


@dataclass(frozen=True)
class ElementRef:
    id: str
    kind: str
    name: str | None


@dataclass
class VersionDiff:
    added: list[ElementRef] = field(default_factory=list)
    removed: list[ElementRef] = field(default_factory=list)
    changed: list[ElementRef] = field(default_factory=list)

    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed)

    def as_dict(self) -> dict[str, list[dict[str, Any]]]:
        return {
            part: [{"id": e.id, "kind": e.kind, "name": e.name} for e in getattr(self, part)]
            for part in ("added", "removed", "changed")
        }


@dataclass
class HistoryEntry:
    version: ProcessVersion
    deployed_by: str | None
    diff: VersionDiff | None  # None for the first version


def _local(tag: Any) -> str:
    return tag.split("}", 1)[1] if isinstance(tag, str) and "}" in tag else str(tag)


def _fingerprint(element: Any) -> str:
    """What an element says by itself: its attributes, text and id-less children (extension
    properties, conditions, scripts, timer values); children with their own id count separately."""
    parts = [_local(element.tag), repr(sorted(element.attrib.items())), (element.text or "").strip()]
    for child in element:
        if not isinstance(child.tag, str) or child.tag in _REDUNDANT or child.get("id"):
            continue
        parts.append(_fingerprint(child))
    return "\x1f".join(parts)


def elements(bpmn_xml: str) -> dict[str, tuple[ElementRef, str]]:
    """The model elements of a diagram (not its drawing) by id, with their fingerprints."""
    root = etree.fromstring(bpmn_xml.encode(), parser=etree.XMLParser(resolve_entities=False, no_network=True))
    out: dict[str, tuple[ElementRef, str]] = {}
    for element in root.iter():
        if not isinstance(element.tag, str) or not element.tag.startswith(f"{{{BPMN}}}"):
            continue  # the diagram interchange (positions) and extension children
        element_id = element.get("id")
        if not element_id or element is root:
            continue
        out[element_id] = (ElementRef(element_id, _local(element.tag), element.get("name")), _fingerprint(element))
    return out


def diff(old_xml: str, new_xml: str) -> VersionDiff:
    old, new = elements(old_xml), elements(new_xml)
    result = VersionDiff()
    for element_id, (ref, print_) in new.items():
        if element_id not in old:
            result.added.append(ref)
        elif old[element_id][1] != print_:
            result.changed.append(ref)
    result.removed = [ref for element_id, (ref, _) in old.items() if element_id not in new]
    return result


def versions(session: Session, key: str) -> list[ProcessVersion]:
    return list(session.scalars(
        select(ProcessVersion).where(ProcessVersion.key == key).order_by(ProcessVersion.version.desc())
    ))


def get_version(session: Session, key: str, number: int) -> ProcessVersion:
    version = session.scalar(
        select(ProcessVersion).where(ProcessVersion.key == key, ProcessVersion.version == number)
    )
    if version is None:
        raise NotFound(f"{key} has no version {number}.")
    return version


def history(session: Session, key: str) -> list[HistoryEntry]:
    """Newest first; each entry with its summary against the version before it."""
    rows = versions(session, key)
    if not rows:
        raise NotFound(f"No process {key!r} is deployed.")
    names = dict(session.execute(
        select(User.id, User.name).where(User.id.in_({v.deployed_by_id for v in rows if v.deployed_by_id}))
    ).all())
    entries = []
    for index, version in enumerate(rows):
        previous = rows[index + 1] if index + 1 < len(rows) else None
        entries.append(HistoryEntry(
            version=version,
            deployed_by=names.get(version.deployed_by_id) if version.deployed_by_id else None,
            diff=diff(previous.bpmn_xml, version.bpmn_xml) if previous is not None else None,
        ))
    return entries


def latest_per_key(session: Session) -> list[tuple[ProcessVersion, str | None]]:
    """The newest version of every deployed process, with who deployed it, by key."""
    newest = (
        select(ProcessVersion.key, func.max(ProcessVersion.version).label("version"))
        .group_by(ProcessVersion.key)
        .subquery()
    )
    rows = session.execute(
        select(ProcessVersion, User.name)
        .join(newest, (newest.c.key == ProcessVersion.key) & (newest.c.version == ProcessVersion.version))
        .outerjoin(User, User.id == ProcessVersion.deployed_by_id)
        .options(defer(ProcessVersion.bpmn_xml), defer(ProcessVersion.dmn_files))
        .order_by(ProcessVersion.key)
    ).all()
    return list(rows)


def redeploy(
    session: Session,
    key: str,
    number: int,
    *,
    forms: FormValidator | None,
    operators: OperatorRegistry,
    user_id: int | None,
    comment: str | None = None,
) -> DeployResult:
    """Deploy an old version's diagram again: it becomes the newest version (running instances
    stay where they are). When it is the newest already, nothing new is created."""
    old = get_version(session, key, number)
    return deploy(
        session, old.bpmn_xml, old.source_name, forms=forms, operators=operators,
        dmn_files=dict(old.dmn_files or {}), user_id=user_id,
        comment=comment or f"Re-deployed version {number}",
    )
