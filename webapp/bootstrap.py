"""The composition root: builds the database, the engine with its forms and operators, and
binds the background jobs. The web app, the CLI and the Celery worker all start here."""

from __future__ import annotations

from dataclasses import dataclass

import engine.models  # noqa: F401 - registers every table
from engine import jobs, notify
from engine.cases.phases import install_phase_history
from engine.config import Settings
from engine.db import Database
from engine.monitoring import dwell_rollup, report_jobs
from engine.monitoring.facts import install_fact_recorder
from engine.ops import heartbeat
from engine.workflow.operators import OperatorRegistry
from engine.workflow.runtime import WorkflowEngine
from forms import FormRegistry
from forms import registry as default_forms


@dataclass
class Services:
    settings: Settings
    db: Database
    engine: WorkflowEngine
    forms: FormRegistry


def build_services(settings: Settings | None = None, db: Database | None = None) -> Services:
    import forms.catalog  # noqa: F401 - registers the forms that ship with Guichet
    import integrations

    settings = settings or Settings.from_env()
    db = db or Database(settings.database_url)
    operators = OperatorRegistry()
    integrations.register_operators(operators)
    workflow_engine = install_phase_history(WorkflowEngine(operators=operators, forms=default_forms))
    jobs.configure(settings)
    from integrations.mail import jobs as mail_jobs  # guichet.fetch_mail, guichet.send_mail, beat entry

    mail_jobs.configure(settings)
    from integrations.mail import notifications  # guichet.send_notification: system mails after the commit

    notify.configure(notifications.dispatch)
    # managers' figures: the facts of the task forms, the monthly report mail, the nightly
    # rebuild of the dwell-time histograms (the last two months)
    from webapp.monitoring.report_mail import make_mailer

    install_fact_recorder(workflow_engine, default_forms.fact_mapping())
    report_jobs.configure(settings, make_mailer(settings, default_forms))
    dwell_rollup.configure()
    heartbeat.configure()  # guichet.heartbeat every 30 s: the worker check of /readyz
    from engine.privacy import retention

    retention.configure(db)  # guichet.apply_retention daily: personal data past its retention
    jobs.bind(db, workflow_engine)
    return Services(settings=settings, db=db, engine=workflow_engine, forms=default_forms)
