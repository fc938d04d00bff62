"""Back office, read only: the buildings whose meters are read, grouped per client number, with
their radio / remote-reading flags and the portal organisations they were granted to. Case
workers of the ``portal`` queue look here while checking access requests."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from flask import Blueprint, render_template, request
from sqlalchemy import select

from engine.metering.models import Building
from engine.parties.models import Organisation
from engine.portal.models import OrganisationBuilding
from webapp.auth import BACK_OFFICE, roles_guard
from webapp.context import db_session

bp = Blueprint("buildings", __name__, url_prefix="/buildings")
bp.before_request(roles_guard(*BACK_OFFICE))


@bp.get("/")
def index() -> Any:
    session = db_session()
    client = (request.args.get("client") or "").strip().upper()
    query = select(Building).order_by(Building.client_number, Building.code)
    if client:
        query = query.where(Building.client_number == client)
    buildings = session.scalars(query.limit(2000)).all()
    granted: dict[int, list[str]] = defaultdict(list)
    for building_id, name in session.execute(
            select(OrganisationBuilding.building_id, Organisation.name)
            .join(Organisation, Organisation.id == OrganisationBuilding.organisation_id)
            .where(OrganisationBuilding.revoked_at.is_(None),
                   OrganisationBuilding.building_id.in_([b.id for b in buildings]))):
        granted[building_id].append(name)
    groups: dict[str, list[Building]] = defaultdict(list)
    for building in buildings:
        groups[building.client_number].append(building)
    return render_template("buildings/index.html", groups=groups, granted=granted, client=client)
