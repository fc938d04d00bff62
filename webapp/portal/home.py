"""The portal's home: the chosen organisation's buildings that the member may see."""

from __future__ import annotations

from typing import Any

from flask import render_template

from engine.metering.models import Building
from engine.parties.models import Organisation
from engine.portal.access import visible_buildings_query
from webapp.context import db_session
from webapp.portal.blueprint import bp
from webapp.portal.client_number import client_number_required
from webapp.portal.context import current_access, portal_required


@bp.get("/")
@portal_required()
@client_number_required
def index() -> Any:
    access = current_access()
    assert access is not None  # the guard saw to it
    session = db_session()
    buildings = session.scalars(visible_buildings_query(access).order_by(Building.name, Building.id)).all()
    organisation = session.get(Organisation, access.organisation_id)
    return render_template("portal/index.html", access=access, organisation=organisation, buildings=buildings)
