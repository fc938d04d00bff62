"""The report builder, saved reports (owner or administrator only), the lead-time page and the
monthly mail end to end: an .eml with the Excel file lands in the outbox, once a month."""

from __future__ import annotations

import csv
import datetime as dt
import email
import io
from collections.abc import Callable
from email import policy

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select

from engine.access.models import Role, User
from engine.config import Settings
from engine.db import Database
from engine.monitoring import report_jobs
from engine.monitoring.reports import SavedReport
from tests.engine.monitoring import reports_support as data
from tests.webapp.support import login, page_text

JANUARY = {"period": "custom", "start": "2026-01-01", "end": "2026-01-31"}


@pytest.fixture
def dossiers(db: Database) -> None:
    with db.transaction() as session:
        mechelen = data.address(session, "Mechelen", "house")
        data.information(session, "2026-01-05", "2026-01-07", phase="file", site=mechelen)
        data.information(session, "2026-01-10", "2026-01-20", phase="done", closed="2026-01-25", site=mechelen)
        data.information(session, "2025-12-10", "2025-12-11", phase="file")
        data.dossier(session, "premiums", created="2026-01-03", phase="p30_decision",
                     facts={"premium_granted_amount": (1250.5, "2026-01-15")})
        data.dossier(session, "premiums", created="2026-01-04", phase="p30_decision",
                     facts={"premium_granted_amount": (749.5, "2026-01-16")})


@pytest.fixture
def manager(make_user: Callable[..., User]) -> User:
    return make_user(Role.MANAGER, email="anne.manager@guichet.test", locale="en")


@pytest.fixture
def signed_in(client: FlaskClient, manager: User) -> FlaskClient:
    login(client, manager)
    return client


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_the_builder_shows_and_exports_the_figures(signed_in: FlaskClient, dossiers: None) -> None:
    query = {**JANUARY, "rows": ["type"],
             "measures": ["count", "opened", "closed", "median_lead_time", "sum:premium_granted_amount"]}
    page = signed_in.get("/monitoring/reports", query_string=query)
    assert page.status_code == 200
    text = page_text(page)
    assert "Premiums granted (EUR)" in text and "Median lead time (days)" in text
    assert 'id="report-chart"' in page.get_data(as_text=True)
    rows = _csv(signed_in.get("/monitoring/reports", query_string={**query, "format": "csv"}))
    assert rows == [
        ["Dossier type", "Dossiers on file", "Opened in the period", "Closed in the period",
         "Median lead time (days)", "Premiums granted (EUR)"],
        ["Information", "3", "2", "1", "6.0", "0"],
        ["Premiums & subsidies", "2", "2", "0", "", "2000.0"],
    ]
    workbook = load_workbook(io.BytesIO(signed_in.get("/monitoring/reports",
                                                      query_string={**query, "format": "xlsx"}).data))
    sheet = workbook.worksheets[0]
    assert [cell.value for cell in sheet[3]] == ["Premiums & subsidies", 2, 2, 0, None, 2000.0]


def test_two_rows_municipality_and_phase(signed_in: FlaskClient, dossiers: None) -> None:
    rows = _csv(signed_in.get("/monitoring/reports", query_string={
        **JANUARY, "rows": ["municipality", "phase"], "measures": ["count"], "format": "csv"}))
    # types and phases in the order of the flows, other rows by label, rows without a value last
    assert rows[1:] == [["Mechelen", "Dossier", "1"], ["Mechelen", "Done", "1"],
                        ["No site address", "Dossier", "1"], ["No site address", "30. Decision", "2"]]


def test_a_wrong_definition_says_what_to_change(signed_in: FlaskClient, dossiers: None) -> None:
    page = signed_in.get("/monitoring/reports", query_string={"rows": ["colour"], "measures": []})
    text = page_text(page)
    assert page.status_code == 200
    assert "Unknown row colour: choose one from the list." in text
    assert "Choose at least one measure (for example the number of dossiers)." in text
    assert 'id="report-table"' not in page.get_data(as_text=True)


def test_lead_time_page_and_its_export(signed_in: FlaskClient, dossiers: None) -> None:
    page = signed_in.get("/monitoring/reports")
    assert "/monitoring/lead-time" in page.get_data(as_text=True)
    query = {"period": "custom", "start": "2025-12-01", "end": "2026-01-31"}
    text = page_text(signed_in.get("/monitoring/lead-time", query_string=query))
    assert "Lead time of Information dossiers" in text and "January 2026" in text
    workbook = load_workbook(io.BytesIO(signed_in.get("/monitoring/lead-time",
                                                      query_string={**query, "format": "xlsx"}).data))
    values = [[cell.value for cell in row] for row in workbook.worksheets[0].iter_rows(min_row=2)]
    assert [(row[0].date(), row[1], row[2], row[3]) for row in values] == [
        (dt.date(2025, 12, 1), 1, 1.0, 1.0), (dt.date(2026, 1, 1), 2, 6.0, pytest.approx(9.2))]


def _save(client: FlaskClient, **fields: object) -> object:
    form = {"rows": ["type"], "measures": ["count", "sum:premium_granted_amount"], **JANUARY,
            "name": "VEKA monthly", **fields}
    return client.post("/monitoring/reports/save", data=form)


def test_save_open_and_delete_a_report(signed_in: FlaskClient, db: Database, dossiers: None) -> None:
    saved = _save(signed_in, schedule="monthly", recipients="veka@example.org, anne@example.org")
    assert saved.status_code == 302
    with db.transaction() as session:
        report = session.scalar(select(SavedReport))
        assert report.recipients == ["veka@example.org", "anne@example.org"]
        assert report.definition["rows"] == ["type"] and report.definition["filters"]["start"] == "2026-01-01"
    opened = signed_in.get(saved.headers["Location"])
    assert opened.status_code == 302 and f"report={report.id}" in opened.headers["Location"]
    page = signed_in.get(opened.headers["Location"])
    text = page_text(page)
    assert "VEKA monthly" in text and "every month to veka@example.org, anne@example.org" in text
    assert "Premiums & subsidies 2 2.000,00" in text  # amounts the Belgian way, also in English
    deleted = signed_in.post(f"/monitoring/reports/{report.id}/delete")
    assert deleted.status_code == 302
    with db.transaction() as session:
        assert session.scalar(select(SavedReport)) is None


def test_saving_problems_are_shown_with_the_input(signed_in: FlaskClient, db: Database) -> None:
    page = _save(signed_in, schedule="monthly", recipients="veka@example.org, nobody")
    assert page.status_code == 400
    text = page_text(page)
    assert "“nobody” is not an e-mail address: write it as name@example.org." in text
    assert 'value="veka@example.org, nobody"' in page.get_data(as_text=True)
    page = _save(signed_in, rows=["type"], measures=["average"])
    assert page.status_code == 400
    assert "Unknown measure average: choose one from the list." in page_text(page)
    with db.transaction() as session:
        assert session.scalar(select(SavedReport)) is None


def test_another_managers_report_is_refused(app: Flask, signed_in: FlaskClient, db: Database,
                                            make_user: Callable[..., User]) -> None:
    _save(signed_in)
    with db.transaction() as session:
        report_id = session.scalar(select(SavedReport.id))
    other = app.test_client()
    login(other, make_user(Role.MANAGER))
    assert other.get(f"/monitoring/reports/{report_id}").status_code == 403
    assert other.get("/monitoring/reports", query_string={"report": report_id}).status_code == 403
    assert other.post(f"/monitoring/reports/{report_id}/delete").status_code == 403
    assert other.post("/monitoring/reports/save", data={"rows": "type", "measures": "count", "name": "Mine",
                                                        "report": report_id, "update": "1"}).status_code == 403
    assert "VEKA monthly" not in page_text(other.get("/monitoring/reports"))
    assert other.get(f"/monitoring/reports/{report_id + 100}").status_code == 404
    with db.transaction() as session:
        assert session.get(SavedReport, report_id).name == "VEKA monthly"
    admin = app.test_client()
    login(admin, make_user(Role.ADMINISTRATOR))
    assert admin.get(f"/monitoring/reports/{report_id}").status_code == 302
    worker = app.test_client()
    login(worker, make_user(Role.CASE_WORKER))
    assert worker.get("/monitoring/reports").status_code == 403


def test_the_monthly_mail_end_to_end(app: Flask, signed_in: FlaskClient, db: Database, settings: Settings,
                                     dossiers: None) -> None:
    _save(signed_in, schedule="monthly", recipients="veka@example.org")
    _save(signed_in, name="Not scheduled")
    with db.transaction() as session:
        report = session.scalar(select(SavedReport).where(SavedReport.name == "VEKA monthly"))
        report.created_at = dt.datetime(2026, 1, 20, tzinfo=dt.UTC)
    outbox = settings.outbox_root
    assert report_jobs.send_scheduled_reports.delay(now="2026-02-01T05:00:00+00:00").get() == [report.id]
    files = sorted(outbox.glob("*.eml"))
    assert len(files) == 1
    message = email.message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert message["To"] == "veka@example.org"
    assert message["Subject"] == "Monthly report “VEKA monthly”: January 2026"
    attachment = next(message.iter_attachments())
    assert attachment.get_filename() == "VEKA-monthly-2026-01.xlsx"
    sheet = load_workbook(io.BytesIO(attachment.get_content())).worksheets[0]
    figures = {row[0].value: [cell.value for cell in row[1:]] for row in sheet.iter_rows(min_row=2)}
    # the previous calendar month, whatever period was on screen when it was saved
    assert figures == {"Information": [3, 0], "Premiums & subsidies": [2, 2000.0]}
    # the same month again: nothing more
    assert report_jobs.send_scheduled_reports.delay(now="2026-02-15T05:00:00+00:00").get() == []
    assert len(list(outbox.glob("*.eml"))) == 1
