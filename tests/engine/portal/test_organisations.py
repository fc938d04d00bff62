"""Create-or-join an organisation by enterprise number; managers are mailed; data edits."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.db import Database
from engine.notify import Notification
from engine.parties.models import Organisation
from engine.portal.errors import PortalRefused
from engine.portal.models import MemberRole, MemberStatus
from engine.portal.organisations import add_organisation, edit_organisation, memberships_of
from engine.workflow.models import AuditEvent
from tests.portal_support import member, organisation, portal_account

DIJLEZICHT = {"enterprise_number": "0850412361", "name": "VME Residentie Dijlezicht",
              "legal_form": "Vereniging van mede-eigenaars", "street": "Haverwerf", "house_number": "12",
              "postcode": "2800", "municipality": "Mechelen"}
INFO = {"job_title": "Syndic", "contact_email": "an@syndic.test", "phone": "015 11 22 33"}


def test_the_first_account_creates_the_organisation_and_becomes_its_manager(db: Database) -> None:
    with db.transaction() as session:
        an = portal_account(session)
        added = add_organisation(session, an.id, DIJLEZICHT, INFO)
        assert added.created
        assert added.membership.role == MemberRole.MANAGER and added.membership.status == MemberStatus.ACTIVE
        assert added.membership.job_title == "Syndic"
        org = added.organisation
        assert (org.name, org.street, org.municipality) == ("VME Residentie Dijlezicht", "Haverwerf", "Mechelen")
        assert org.kind == "co_ownership_association"
        assert session.scalar(select(AuditEvent).where(AuditEvent.kind == "organisation_created")) is not None


def test_a_second_account_joins_pending_and_every_manager_gets_a_mail(db: Database) -> None:
    with db.transaction() as session:
        first, second, joiner = portal_account(session), portal_account(session), portal_account(session)
        org = add_organisation(session, first.id, DIJLEZICHT, INFO).organisation
        member(session, org, second, MemberRole.MANAGER)
        added = add_organisation(session, joiner.id, DIJLEZICHT, {"job_title": "Assistant"})
        assert not added.created and added.organisation.id == org.id
        assert added.membership.status == MemberStatus.PENDING
        mails = session.scalars(select(Notification).where(Notification.purpose == "member_requested")).all()
        assert sorted(m.recipient for m in mails) == sorted([first.email, second.email])
        assert joiner.name in mails[0].body
        with pytest.raises(PortalRefused, match="already a member"):
            add_organisation(session, joiner.id, DIJLEZICHT, {})


def test_a_crm_row_without_manager_is_taken_over(db: Database) -> None:
    with db.transaction() as session:
        crm = organisation(session, name="Dijlezicht (CRM)", enterprise_number="0850412361")
        an = portal_account(session)
        added = add_organisation(session, an.id, DIJLEZICHT, {})
        assert added.created and added.organisation.id == crm.id
        assert added.organisation.name == "Dijlezicht (CRM)"  # the CRM's data is kept
        assert added.organisation.street == "Haverwerf"  # what it lacked comes from the BCE
        assert session.scalars(select(Organisation)).all() == [crm]


def test_several_organisations_per_account(db: Database) -> None:
    with db.transaction() as session:
        an = portal_account(session)
        add_organisation(session, an.id, DIJLEZICHT, {})
        add_organisation(session, an.id, {"enterprise_number": "0885223087", "name": "ACP Résidence Les Tilleuls"}, {})
        assert [o.name for _, o in memberships_of(session, an.id)] == ["ACP Résidence Les Tilleuls",
                                                                       "VME Residentie Dijlezicht"]


def test_only_managers_edit_the_organisation_and_never_its_number(db: Database) -> None:
    with db.transaction() as session:
        boss, clerk = portal_account(session), portal_account(session)
        org = add_organisation(session, boss.id, DIJLEZICHT, {}).organisation
        member(session, org, clerk, MemberRole.TECHNICAL)
        edit_organisation(session, boss.id, org.id, {"name": "Dijlezicht VME", "phone": "015 00 00 00"})
        assert (org.name, org.phone) == ("Dijlezicht VME", "015 00 00 00")
        with pytest.raises(PortalRefused, match="only a manager"):
            edit_organisation(session, clerk.id, org.id, {"name": "Mine"})
        with pytest.raises(PortalRefused, match="cannot be changed"):
            edit_organisation(session, boss.id, org.id, {"enterprise_number": "0885223087"})
        with pytest.raises(PortalRefused, match="needs a name"):
            edit_organisation(session, boss.id, org.id, {"name": "  "})
        assert org.name == "Dijlezicht VME" and org.enterprise_number == "0850412361"
