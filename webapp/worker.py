"""Entry point of a Celery worker: ``celery -A webapp.worker worker`` (or ``guichet worker``)."""

from engine.jobs import celery
from webapp.bootstrap import build_services

services = build_services()

__all__ = ["celery", "services"]
