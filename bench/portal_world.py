"""Builders of portal test data, shared by the tests (engine, web, browser; re-exported by
tests/portal_support.py) and the benchmarks (bench/authz_walk.py), which may not import tests:
an activated portal account, an organisation with members, buildings granted to it. Direct rows,
so each test starts from the state it needs; the commands themselves are tested in their own
modules."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from sqlalchemy.orm import Session

from engine.access.models import AccountKind, User
from engine.access.passwords import hash_password
from engine.db import utcnow
from engine.metering.models import Building
from engine.parties.models import Organisation, OrganisationKind
from engine.portal.models import (
    MemberRole,
    Membership,
    MembershipBuilding,
    MemberStatus,
    OrganisationBuilding,
    OrganisationClient,
)

PORTAL_PASSWORD = "Portal-Pass-2026!"
_numbers = itertools.count(1)


def portal_account(session: Session, *, username: str | None = None, email: str | None = None,
                   first_name: str = "Sofie", last_name: str | None = None, password: str = PORTAL_PASSWORD,
                   activated: bool = True, locale: str | None = "fr") -> User:
    n = next(_numbers)
    last = last_name or f"Peeters{n}"
    user = User(kind=AccountKind.PORTAL.value, username=username or f"speeters{n}",
                email=email or f"portal{n}@syndic.test", name=f"{first_name} {last}", first_name=first_name,
                last_name=last, password_hash=hash_password(password), locale=locale,
                activated_at=utcnow() if activated else None)
    session.add(user)
    session.flush()
    return user


def organisation(session: Session, *, name: str | None = None, enterprise_number: str | None = None,
                 client_number: str | None = None) -> Organisation:
    n = next(_numbers)
    org = Organisation(name=name or f"Syndic {n} SRL", kind=OrganisationKind.SYNDIC.value,
                       enterprise_number=enterprise_number)
    session.add(org)
    session.flush()
    if client_number:
        session.add(OrganisationClient(organisation_id=org.id, client_number=client_number))
        session.flush()
    return org


def member(session: Session, org: Organisation, user: User, role: MemberRole = MemberRole.ADMINISTRATIVE,
           status: MemberStatus = MemberStatus.ACTIVE, buildings: list[Building] | None = None,
           denied: list[str] | None = None) -> Membership:
    """A membership; ``buildings`` given: restricted to those buildings."""
    membership = Membership(organisation_id=org.id, user_id=user.id, role=role.value, status=status.value,
                            all_buildings=buildings is None, denied_functions=list(denied or []))
    session.add(membership)
    session.flush()
    for building in buildings or []:
        session.add(MembershipBuilding(membership_id=membership.id, building_id=building.id))
    session.flush()
    return membership


def building(session: Session, *, client_number: str = "C100200", name: str | None = None, radio: bool = True,
             remote: bool = False, granted_to: Organisation | None = None) -> Building:
    n = next(_numbers)
    row = Building(client_number=client_number, code=f"B{n:05d}", name=name or f"Résidence {n}",
                   street="Grote Markt", house_number=str(n), postcode="2800", municipality="Mechelen",
                   radio_meters=radio, remote_reading=remote, gateway_id=f"GW{n}" if remote else None)
    session.add(row)
    session.flush()
    if granted_to is not None:
        session.add(OrganisationBuilding(organisation_id=granted_to.id, building_id=row.id))
        session.flush()
    return row


@dataclass
class PortalWorld:
    """Two organisations; in the first a manager, a technical responsible restricted to one of the
    two buildings, and an employee awaiting confirmation; in the second a manager."""

    org: Organisation
    other_org: Organisation
    manager: User
    technical: User
    pending: User
    outsider: User
    building_a: Building
    building_b: Building
    other_building: Building


def portal_world(session: Session) -> PortalWorld:
    org = organisation(session, name="Syndic Dijle SRL", enterprise_number="0403170701", client_number="C100200")
    other = organisation(session, name="Syndic Nete BV", enterprise_number="0417497106", client_number="C900900")
    a = building(session, client_number="C100200", name="Résidence Dijle", granted_to=org)
    b = building(session, client_number="C100200", name="Résidence Zenne", granted_to=org, remote=True)
    elsewhere = building(session, client_number="C900900", name="Résidence Nete", granted_to=other)
    manager = portal_account(session, first_name="Marie")
    technical = portal_account(session, first_name="Tom")
    pending = portal_account(session, first_name="Paul")
    outsider = portal_account(session, first_name="Olivia")
    member(session, org, manager, MemberRole.MANAGER)
    member(session, org, technical, MemberRole.TECHNICAL, buildings=[a])
    member(session, org, pending, status=MemberStatus.PENDING)
    member(session, other, outsider, MemberRole.MANAGER)
    return PortalWorld(org=org, other_org=other, manager=manager, technical=technical, pending=pending,
                       outsider=outsider, building_a=a, building_b=b, other_building=elsewhere)
