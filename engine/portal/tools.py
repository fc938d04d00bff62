"""Tools of the portal (seed 002): the consumption portal, the syndic-mandate filing... A tool is
enabled per organisation by a manager and granted per employee by a manager; a tool may require
accreditations (IPI membership, ...) that a back-office agent verifies and records. Whatever is
missing is explained by :func:`tool_problems` in plain words, so the member knows whom to ask."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, or_, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine.db import Base, JSONDoc, utcnow
from engine.portal.access import PortalAccess
from engine.portal.audit import audit
from engine.portal.errors import PortalRefused
from engine.portal.members import manager_membership, member_of
from engine.workflow.errors import NotFound


class AccreditationKind(enum.StrEnum):
    IPI_MEMBER = "ipi_member"  # Institut professionnel des agents immobiliers
    FONDS323_VERIFIED = "fonds323_verified"
    CIB_MEMBER = "cib_member"


ACCREDITATION_NAMES = {
    AccreditationKind.IPI_MEMBER: "IPI membership",
    AccreditationKind.FONDS323_VERIFIED: "Fonds 323 verification",
    AccreditationKind.CIB_MEMBER: "CIB membership",
}


class Tool(Base):
    __tablename__ = "portal_tools"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_fr: Mapped[str] = mapped_column(String(200))
    name_nl: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    required_accreditations: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    active: Mapped[bool] = mapped_column(default=True)

    def name(self, language: str | None) -> str:
        return {"nl": self.name_nl, "en": self.name_en}.get(language or "fr", self.name_fr)


class OrganisationTool(Base):
    __tablename__ = "organisation_tools"

    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True)
    tool_id: Mapped[int] = mapped_column(ForeignKey("portal_tools.id", ondelete="CASCADE"), primary_key=True)
    enabled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    enabled_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class MemberTool(Base):
    __tablename__ = "member_tools"

    membership_id: Mapped[int] = mapped_column(ForeignKey("memberships.id", ondelete="CASCADE"), primary_key=True)
    tool_id: Mapped[int] = mapped_column(ForeignKey("portal_tools.id", ondelete="CASCADE"), primary_key=True)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    granted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Accreditation(Base):
    """Verified by a back-office user; held by a portal account or by an organisation."""

    __tablename__ = "accreditations"
    __table_args__ = (
        CheckConstraint("(user_id IS NULL) <> (organisation_id IS NULL)", name="one_holder"),
        Index("ix_accreditations_user", "user_id", "kind"),
        Index("ix_accreditations_organisation", "organisation_id", "kind"),
        UniqueConstraint("kind", "reference", "user_id", "organisation_id", name="uq_accreditations_reference"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    reference: Mapped[str] = mapped_column(String(60))
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    verified_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    valid_until: Mapped[dt.date | None]
    revoked_at: Mapped[dt.datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    def valid_on(self, day: dt.date) -> bool:
        return self.revoked_at is None and (self.valid_until is None or self.valid_until >= day)


TOOLS: tuple[dict[str, object], ...] = (
    {"code": "consumption_portal", "name_fr": "Portail consommations", "name_nl": "Verbruiksportaal",
     "name_en": "Consumption portal", "required_accreditations": []},
    {"code": "syndic_filing", "name_fr": "Dépôt du mandat de syndic", "name_nl": "Neerlegging syndicusmandaat",
     "name_en": "Syndic mandate filing", "required_accreditations": [AccreditationKind.IPI_MEMBER.value]},
)


def ensure_tools(session: Session) -> list[Tool]:
    """The known tools as data rows; running it again changes nothing (names are refreshed)."""
    rows = []
    for spec in TOOLS:
        tool = session.scalar(select(Tool).where(Tool.code == spec["code"]))
        if tool is None:
            tool = Tool(code=spec["code"])
            session.add(tool)
        for key, value in spec.items():
            if key != "code" and getattr(tool, key) != value:
                setattr(tool, key, value)
        rows.append(tool)
    session.flush()
    return rows


def tool_by_code(session: Session, code: str) -> Tool:
    tool = session.scalar(select(Tool).where(Tool.code == code, Tool.active.is_(True)))
    if tool is None:
        raise NotFound(f"no tool {code!r}")
    return tool


def all_tools(session: Session) -> list[Tool]:
    return list(session.scalars(select(Tool).where(Tool.active.is_(True)).order_by(Tool.id)))


def held_kinds(session: Session, *, user_id: int | None = None, organisation_id: int | None = None,
               today: dt.date | None = None) -> set[str]:
    """The accreditation kinds valid today for the account and/or the organisation."""
    holders = []
    if user_id is not None:
        holders.append(Accreditation.user_id == user_id)
    if organisation_id is not None:
        holders.append(Accreditation.organisation_id == organisation_id)
    if not holders:
        return set()
    day = today or dt.date.today()
    rows = session.scalars(select(Accreditation).where(or_(*holders), Accreditation.revoked_at.is_(None)))
    return {row.kind for row in rows if row.valid_on(day)}


class ToolProblem(str):
    """A plain explanation (the string) with its ``code`` and, for a missing accreditation, its
    ``kind``, so a translated interface can say the same thing."""

    code: str
    kind: str | None

    def __new__(cls, code: str, text: str, kind: str | None = None) -> ToolProblem:
        problem = super().__new__(cls, text)
        problem.code, problem.kind = code, kind
        return problem


def is_enabled(session: Session, organisation_id: int, tool_id: int) -> bool:
    return session.get(OrganisationTool, (organisation_id, tool_id)) is not None


def is_granted(session: Session, membership_id: int, tool_id: int) -> bool:
    return session.get(MemberTool, (membership_id, tool_id)) is not None


def tool_problems(session: Session, access: PortalAccess, code: str) -> list[ToolProblem]:
    """What keeps the member of ``access`` from using the tool; empty: they may use it. Managers
    need no grant (they have every right in the organisation) but do need the accreditations."""
    tool = tool_by_code(session, code)
    problems = []
    if not is_enabled(session, access.organisation_id, tool.id):
        problems.append(ToolProblem("not_enabled", "not enabled for your organisation"))
    if not access.is_manager and not is_granted(session, access.membership_id, tool.id):
        problems.append(ToolProblem("not_granted", "not granted to you by a manager"))
    held = held_kinds(session, user_id=access.user_id, organisation_id=access.organisation_id)
    for kind in tool.required_accreditations:
        if kind not in held:
            label = ACCREDITATION_NAMES.get(AccreditationKind(kind), kind)
            problems.append(ToolProblem("missing_accreditation",
                                        f"missing accreditation: {label} — a Guichet agent verifies it", kind))
    return problems


def require_tool(session: Session, access: PortalAccess, code: str) -> Tool:
    problems = tool_problems(session, access, code)
    if problems:
        raise PortalRefused("tool_unavailable", f"the tool {code} cannot be used: " + "; ".join(problems))
    return tool_by_code(session, code)


def enable_tool(session: Session, actor_id: int, organisation_id: int, code: str) -> OrganisationTool:
    """A manager enables a tool for the organisation; its accreditations must be held by the
    organisation or by that manager."""
    manager_membership(session, actor_id, organisation_id)
    tool = tool_by_code(session, code)
    existing = session.get(OrganisationTool, (organisation_id, tool.id))
    if existing is not None:
        return existing
    held = held_kinds(session, user_id=actor_id, organisation_id=organisation_id)
    missing = [k for k in tool.required_accreditations if k not in held]
    if missing:
        names = ", ".join(ACCREDITATION_NAMES.get(AccreditationKind(k), k) for k in missing)
        raise PortalRefused("missing_accreditation", f"missing accreditation: {names} — a Guichet agent verifies it")
    row = OrganisationTool(organisation_id=organisation_id, tool_id=tool.id, enabled_by_id=actor_id)
    session.add(row)
    session.flush()
    audit(session, "organisation", organisation_id, "tool_enabled", actor_id, tool=code)
    return row


def disable_tool(session: Session, actor_id: int, organisation_id: int, code: str) -> None:
    manager_membership(session, actor_id, organisation_id)
    tool = tool_by_code(session, code)
    row = session.get(OrganisationTool, (organisation_id, tool.id))
    if row is not None:
        session.delete(row)
        audit(session, "organisation", organisation_id, "tool_disabled", actor_id, tool=code)


def set_member_tools(session: Session, actor_id: int, organisation_id: int, membership_id: int,
                     codes: Iterable[str]) -> set[str]:
    """The tools granted to one member (replaces the previous grants)."""
    manager_membership(session, actor_id, organisation_id)
    membership = member_of(session, organisation_id, membership_id)
    wanted = {tool_by_code(session, code).id: code for code in codes}
    current = {row.tool_id: row for row in session.scalars(
        select(MemberTool).where(MemberTool.membership_id == membership.id))}
    for tool_id, row in current.items():
        if tool_id not in wanted:
            session.delete(row)
    for tool_id in wanted.keys() - current.keys():
        session.add(MemberTool(membership_id=membership.id, tool_id=tool_id, granted_by_id=actor_id))
    session.flush()
    audit(session, "membership", membership.id, "tools_granted", actor_id, tools=sorted(wanted.values()))
    return set(wanted.values())


def granted_codes(session: Session, membership_id: int) -> set[str]:
    return set(session.scalars(select(Tool.code).join(MemberTool, MemberTool.tool_id == Tool.id)
                               .where(MemberTool.membership_id == membership_id)))


def record_accreditation(session: Session, actor_id: int, *, kind: str, reference: str,
                         user_id: int | None = None, organisation_id: int | None = None,
                         valid_until: dt.date | None = None) -> Accreditation:
    """A back-office agent records an accreditation they verified (e.g. the IPI register)."""
    try:
        kind = AccreditationKind(kind).value
    except ValueError:
        raise PortalRefused("unknown_kind", f"{kind!r} is not an accreditation kind") from None
    if (user_id is None) == (organisation_id is None):
        raise PortalRefused("one_holder", "an accreditation is held by one account or one organisation")
    reference = (reference or "").strip()
    if not reference:
        raise PortalRefused("reference_required", "enter the reference number that was verified")
    if valid_until is not None and valid_until < dt.date.today():
        raise PortalRefused("expired", "the validity date is in the past")
    row = Accreditation(kind=kind, reference=reference[:60], user_id=user_id, organisation_id=organisation_id,
                        verified_by_id=actor_id, verified_at=utcnow(), valid_until=valid_until)
    session.add(row)
    session.flush()
    audit(session, "accreditation", row.id, "accreditation_recorded", actor_id, accreditation=kind,
          reference=row.reference,
          user_id=user_id, organisation_id=organisation_id,
          valid_until=valid_until.isoformat() if valid_until else None)
    return row


def revoke_accreditation(session: Session, actor_id: int, accreditation_id: int) -> Accreditation:
    row = session.get(Accreditation, accreditation_id)
    if row is None:
        raise NotFound(f"no accreditation {accreditation_id}")
    if row.revoked_at is not None:
        raise PortalRefused("already_revoked", "this accreditation was already revoked")
    row.revoked_at, row.revoked_by_id = utcnow(), actor_id
    audit(session, "accreditation", row.id, "accreditation_revoked", actor_id, accreditation=row.kind)
    return row
