"""Demo data of the portal (issue 7), so ``make demo`` shows a syndic's side ready to try: a syndic
firm of the BCE sample with the client number of the demo buildings and its radio buildings
granted (as if a case worker had approved its access request), its manager ``demo.syndic``, a
technical responsible restricted to one building, an employee awaiting confirmation, the tools
enabled (the syndic-mandate filing thanks to a recorded IPI accreditation).

Idempotent like the rest of the demo loader: the manager's account is the marker, and the whole
set is written in the caller's transaction, so it is there entirely or not at all. The terms are
not accepted in advance: the demo shows them at the first sign-in."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.access.models import AccountKind, User
from engine.access.passwords import hash_password
from engine.db import utcnow
from engine.metering.models import Building
from engine.parties.commands import create_organisation, organisation_by_number
from engine.parties.models import BceEnterprise, Organisation, OrganisationKind
from engine.portal import tools
from engine.portal.models import (
    MemberRole,
    Membership,
    MembershipBuilding,
    MemberStatus,
    OrganisationBuilding,
    OrganisationClient,
)
from integrations.bce.sample import load_sample as load_bce_sample

ENTERPRISE_NUMBER = "0440937551"  # Syndicus Van Rompaey, a syndic firm of the BCE sample
CLIENT_NUMBER = "C100200"  # the client number of the demo buildings B90001-B90003
RESTRICTED_TO = "B90001"  # the one building the technical responsible sees
IPI_REFERENCE = "IPI 504.312"


@dataclass(frozen=True)
class DemoMember:
    username: str
    email: str
    first_name: str
    last_name: str
    role: MemberRole
    status: MemberStatus
    job_title: str
    tools: tuple[str, ...]
    restricted: bool = False  # True: sees RESTRICTED_TO only
    printed: bool = True  # listed with the demo logins


DEMO_MEMBERS: tuple[DemoMember, ...] = (
    DemoMember("demo.syndic", "syndic@vanrompaey.example", "Sarah", "Van Rompaey", MemberRole.MANAGER,
               MemberStatus.ACTIVE, "Syndic", ("consumption_portal", "syndic_filing")),
    DemoMember("demo.technical", "technique@vanrompaey.example", "Tom", "Wouters", MemberRole.TECHNICAL,
               MemberStatus.ACTIVE, "Technical manager", ("consumption_portal",), restricted=True),
    DemoMember("demo.pending", "nieuw@vanrompaey.example", "Paul", "Claes", MemberRole.ADMINISTRATIVE,
               MemberStatus.PENDING, "Accountant", (), printed=False),
)
MANAGER = DEMO_MEMBERS[0]


def portal_logins(password: str) -> list[tuple[str, str, str]]:
    """(username, password, what it is) of the portal demo accounts, for the demo logins list."""
    what = {MemberRole.MANAGER: "portal: manager of Syndicus Van Rompaey, client number " + CLIENT_NUMBER,
            MemberRole.TECHNICAL: f"portal: technical responsible, building {RESTRICTED_TO} only"}
    return [(m.username, password, what[m.role]) for m in DEMO_MEMBERS if m.printed]


def _organisation(session: Session, actor_id: int | None) -> Organisation:
    """The syndic firm as the realistic set creates it from the BCE (the same row if it is there)."""
    existing = organisation_by_number(session, ENTERPRISE_NUMBER)
    if existing is not None:
        return existing
    if session.get(BceEnterprise, ENTERPRISE_NUMBER) is None:
        load_bce_sample(session)
    row = session.get(BceEnterprise, ENTERPRISE_NUMBER)
    assert row is not None, "the BCE sample lost its syndic firm"
    return create_organisation(session, {
        "name": row.name, "kind": OrganisationKind.SYNDIC.value, "enterprise_number": row.enterprise_number,
        "legal_form": row.legal_form, "street": row.street, "house_number": row.house_number, "box": row.box,
        "postcode": row.postcode, "municipality": row.municipality}, actor_id)


def _account(session: Session, spec: DemoMember, password_hash: str) -> User:
    user = User(kind=AccountKind.PORTAL.value, username=spec.username, email=spec.email,
                name=f"{spec.first_name} {spec.last_name}", first_name=spec.first_name, last_name=spec.last_name,
                password_hash=password_hash, locale="fr", activated_at=utcnow())
    session.add(user)
    session.flush()
    return user


def load_demo_portal(session: Session, password: str, agent_id: int | None) -> bool:
    """Create the portal demo set unless it is there; ``agent_id``: the back-office user who
    approved the access and verified the accreditation. Returns True when it was created."""
    if session.scalar(select(User.id).where(User.username == MANAGER.username)) is not None:
        return False
    org = _organisation(session, agent_id)
    if session.scalar(select(OrganisationClient.id).where(
            OrganisationClient.client_number == CLIENT_NUMBER, OrganisationClient.revoked_at.is_(None))) is None:
        session.add(OrganisationClient(organisation_id=org.id, client_number=CLIENT_NUMBER))
    radio = list(session.scalars(select(Building).where(
        Building.client_number == CLIENT_NUMBER, Building.radio_meters.is_(True)).order_by(Building.code)))
    for b in radio:
        if session.get(OrganisationBuilding, (org.id, b.id)) is None:
            session.add(OrganisationBuilding(organisation_id=org.id, building_id=b.id, granted_by_id=agent_id))
    session.flush()

    password_hash = hash_password(password)  # hashed once: the demo accounts share their password
    memberships: dict[str, Membership] = {}
    manager_id = 0
    for spec in DEMO_MEMBERS:
        user = _account(session, spec, password_hash)
        if spec.role is MemberRole.MANAGER:
            manager_id = user.id
        membership = Membership(organisation_id=org.id, user_id=user.id, role=spec.role.value,
                                status=spec.status.value, job_title=spec.job_title, contact_email=spec.email,
                                all_buildings=not spec.restricted, denied_functions=[],
                                decided_at=utcnow() if spec.status is MemberStatus.ACTIVE else None)
        session.add(membership)
        session.flush()
        if spec.restricted:
            for b in radio:
                if b.code == RESTRICTED_TO:
                    session.add(MembershipBuilding(membership_id=membership.id, building_id=b.id))
        memberships[spec.username] = membership
    session.flush()

    tools.ensure_tools(session)
    held = tools.held_kinds(session, organisation_id=org.id)
    if tools.AccreditationKind.IPI_MEMBER.value not in held:
        tools.record_accreditation(session, agent_id or manager_id, kind=tools.AccreditationKind.IPI_MEMBER.value,
                                   reference=IPI_REFERENCE, organisation_id=org.id)
    for code in ("consumption_portal", "syndic_filing"):
        tools.enable_tool(session, manager_id, org.id, code)
    for spec in DEMO_MEMBERS:
        if spec.tools:
            tools.set_member_tools(session, manager_id, org.id, memberships[spec.username].id, spec.tools)
    return True
