"""Renders and sends one saved report for the monthly job (engine/monitoring/report_jobs.py).

The job runs in the Celery worker, outside any web request: the report's table is built with the
same code as the page (:func:`webapp.monitoring.reports.report_table`), in the owner's language
(a small Flask app carries the catalogs: no request, no blueprints), written as an .xlsx file
(:func:`webapp.monitoring.tables.xlsx_bytes`) and handed to the mail integration's outgoing path
(integrations/mail/outgoing.py ``deliver``: SMTP when GUICHET_SMTP_HOST is set, else an .eml
file in the outbox). The composition root (webapp/bootstrap.py) binds :func:`make_mailer`."""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from flask import Flask
from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from engine.access.models import User
from engine.config import Settings
from engine.monitoring.report_jobs import ReportMailer
from engine.monitoring.reports import SavedReport, definition_from_json, run_report, scope_for_period
from forms.registry import FormRegistry
from integrations.mail.outgoing import deliver
from webapp.i18n import LANGUAGES, REGION, init_i18n
from webapp.monitoring.reports import amount_facts, report_table
from webapp.monitoring.tables import xlsx_bytes

XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def _language(owner: User | None, settings: Settings) -> str:
    if owner is not None and owner.locale in LANGUAGES:
        return owner.locale
    return settings.default_locale if settings.default_locale in LANGUAGES else "fr"


def _file_name(name: str, start: dt.datetime) -> str:
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in name).strip("-")[:60] or "report"
    return f"{safe}-{start:%Y-%m}.xlsx"


def make_mailer(settings: Settings, forms: FormRegistry) -> ReportMailer:
    app = Flask("guichet.report_mail", instance_path=str(settings.instance_path))
    init_i18n(app, settings)

    def mail(session: Session, report: SavedReport, start: dt.datetime, end: dt.datetime) -> None:
        owner = session.get(User, report.owner_id)
        language = _language(owner, settings)
        with app.app_context(), force_locale(f"{language}_{REGION}"):
            amounts = amount_facts(forms)
            definition = definition_from_json(report.definition, amount_facts=amounts)
            result = run_report(session, definition, scope_for_period(session, definition, start, end))
            month = format_date(start.date(), "MMMM y")
            table = report_table(session, result, amounts, name=report.name, title=f"{report.name} {start:%Y-%m}")
            workbook = xlsx_bytes([table])
            subject = _("Monthly report “%(name)s”: %(month)s", name=report.name, month=month)
            body = _("Here is the report “%(name)s” for %(month)s, as an Excel file.\n\n"
                     "It was sent by Guichet because it is scheduled every month; its owner can "
                     "change or delete it on the Reports page of the monitoring.",
                     name=report.name, month=month)
        message = EmailMessage()
        message["Message-ID"] = make_msgid(domain=settings.mail_from.rpartition("@")[2] or None)
        message["From"] = settings.mail_from
        message["To"] = ", ".join(report.recipients)
        message["Subject"] = subject
        message["Date"] = format_datetime(dt.datetime.now(dt.UTC))
        message.set_content(body)
        message.add_attachment(workbook, maintype=XLSX[0], subtype=XLSX[1],
                               filename=_file_name(report.name, start))
        deliver(settings, message, report.id)

    return mail
