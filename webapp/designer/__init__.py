"""The process designer: a bpmn-js modeler with Guichet's own properties panel, validation that
marks each problem on its element, drafts with optimistic locking, deploy with a comment, and the
version history (process designers and administrators)."""

from __future__ import annotations

from webapp.designer import api, imports, views  # noqa: F401 - register the routes on the blueprint
from webapp.designer.blueprint import bp

__all__ = ["bp"]
