"""The instance viewer: the list of process instances, one instance on its diagram (completed,
active and failed elements, each element's history, interventions with a reason) and the heat
map of a version (how many passed, how many wait, how long it took, per element)."""

from __future__ import annotations

from webapp.instances import actions, api, views  # noqa: F401 - register the routes on the blueprint
from webapp.instances.blueprint import bp

__all__ = ["bp"]
