"""Managers' monitoring: the phase board, dwell times, flow, workload and overdue work,
incidents and timers, and saved reports. Each section is its own module registering routes on
the blueprint; the queries live in engine/monitoring, the tables and exports in :mod:`.tables`."""

from __future__ import annotations

from webapp.monitoring import (
    board,  # noqa: F401 - phase board and dwell times
    flow,  # noqa: F401 - flow: opened / closed, journey funnel
    lead_time,  # noqa: F401 - lead time of Information dossiers (linked from the reports)
    reports,  # noqa: F401 - the report builder and saved reports
    sections,  # noqa: F401 - register the routes on the blueprint
    work,  # noqa: F401 - workload and overdue, incidents and timers
)
from webapp.monitoring.blueprint import bp

__all__ = ["bp"]
