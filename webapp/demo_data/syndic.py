"""Demo data of the syndic mandates (issue 8), so ``make demo`` lets ``demo.syndic`` file a request
at once: the syndic_filing tool enabled and granted with the IPI accreditation recorded (done by
webapp/demo_data/portal.py, checked again here), the default dated fee table, a wallet credited
for a few fees, and one recorded mandate in the history (the firm is the syndic of a co-ownership
association of the BCE sample since 2024).

Idempotent: each part looks for what it would create (the credit by its reference, the mandate by
association and syndic) and adds only what is missing, in the caller's transaction."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.access.models import User
from engine.parties.commands import organisation_by_number
from engine.parties.models import BceEnterprise
from engine.portal import tools
from engine.portal.models import Membership
from engine.syndic import fees
from engine.syndic.models import Mandate, SyndicKind
from engine.wallet import ledger
from engine.wallet.models import EntryKind
from integrations.bce.sample import load_sample as load_bce_sample
from webapp.demo_data.portal import ENTERPRISE_NUMBER, IPI_REFERENCE, MANAGER

ASSOCIATION_NUMBER = "0850412361"  # VME Residentie Dijlezicht, a co-ownership association of the BCE sample
MANDATE_START = dt.date(2024, 1, 1)
CREDIT = Decimal("500.00")  # enough for a few fees (92.50 each, 137.27 for an unknown association)
CREDIT_REFERENCE = "demo:syndic:wallet"


def load_demo_syndic(session: Session, agent_id: int | None) -> bool:
    """Complete the demo syndic firm for the mandate filing; False when the portal demo set is
    missing (nothing to complete). Running it again adds nothing."""
    organisation = organisation_by_number(session, ENTERPRISE_NUMBER)
    manager_id = session.scalar(select(User.id).where(User.username == MANAGER.username))
    if organisation is None or manager_id is None:
        return False
    tools.ensure_tools(session)
    if tools.AccreditationKind.IPI_MEMBER.value not in tools.held_kinds(session, organisation_id=organisation.id):
        tools.record_accreditation(session, agent_id or manager_id, kind=tools.AccreditationKind.IPI_MEMBER.value,
                                   reference=IPI_REFERENCE, organisation_id=organisation.id)
    tools.enable_tool(session, manager_id, organisation.id, "syndic_filing")  # returns the row when enabled
    membership_id = session.scalar(select(Membership.id).where(Membership.organisation_id == organisation.id,
                                                               Membership.user_id == manager_id))
    if membership_id is not None and "syndic_filing" not in tools.granted_codes(session, membership_id):
        tools.set_member_tools(session, manager_id, organisation.id, membership_id,
                               tools.granted_codes(session, membership_id) | {"syndic_filing"})
    fees.ensure_default_rates(session)
    wallet = ledger.wallet_for(session, organisation.id, user_id=agent_id)
    ledger.credit(session, wallet.id, CREDIT, kind=EntryKind.TOPUP_TRANSFER, reference=CREDIT_REFERENCE,
                  user_id=agent_id)  # the reference makes a second run book nothing
    _recorded_mandate(session, organisation.id)
    return True


def _recorded_mandate(session: Session, organisation_id: int) -> None:
    exists = session.scalar(select(Mandate.id).where(Mandate.association_number == ASSOCIATION_NUMBER,
                                                     Mandate.syndic_organisation_id == organisation_id))
    if exists is not None:
        return
    if session.get(BceEnterprise, ASSOCIATION_NUMBER) is None:
        load_bce_sample(session)
    association = session.get(BceEnterprise, ASSOCIATION_NUMBER)
    syndic = session.get(BceEnterprise, ENTERPRISE_NUMBER)
    linked = organisation_by_number(session, ASSOCIATION_NUMBER)
    session.add(Mandate(
        association_number=ASSOCIATION_NUMBER, association_name=association.name if association else None,
        association_organisation_id=linked.id if linked else None, syndic_kind=SyndicKind.LEGAL.value,
        syndic_name=syndic.name if syndic else "Syndicus Van Rompaey", syndic_enterprise_number=ENTERPRISE_NUMBER,
        syndic_address=" ".join(p for p in ((syndic.street, syndic.house_number, syndic.postcode, syndic.municipality)
                                            if syndic else ()) if p) or None,
        syndic_organisation_id=organisation_id, representative_name="Van Rompaey",
        representative_first_names="Sarah", start_date=MANDATE_START, end_date=None, modified_by_request_ids=[]))
    session.flush()
