"""Builders shared by the portal tests (engine, web, browser): they live in bench/portal_world.py
so the benchmarks (which may not import tests) build the same world; re-exported here."""

from __future__ import annotations

from bench.portal_world import (
    PORTAL_PASSWORD,
    PortalWorld,
    building,
    member,
    organisation,
    portal_account,
    portal_world,
)

__all__ = ["PORTAL_PASSWORD", "PortalWorld", "building", "member", "organisation", "portal_account", "portal_world"]
