"""The portal of syndics and building managers (/portal): accounts, organisations and their
members, access requests, terms, the wallet. Every page goes through webapp/portal/context.py."""

from __future__ import annotations

from flask import Flask

from webapp.portal.blueprint import bp


def init_portal(app: Flask) -> None:
    # each module registers its routes on the blueprint
    from webapp.portal import (  # noqa: F401
        access_requests,  # ask access to buildings (a BPMN process with a back-office queue)
        account,  # sign-up, activation, password reset, profile
        client_number,  # the client number asked before consumption data
        home,  # the member's buildings
        mandates,  # syndic mandates: file a registration / modification / termination, the mandate history
        members,  # user management: confirm, roles, per-building and per-function restrictions
        organisations,  # my organisations: add by enterprise number, join, switch
        terms,  # the access terms, accepted before any data
        tools,  # tools and the accreditations they need
        wallet,  # the wallet: balance, top-up, transfer, transactions, vouchers, payment callback
    )

    app.register_blueprint(bp)
