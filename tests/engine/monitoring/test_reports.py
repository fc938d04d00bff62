"""The report builder over a hand-built set with known answers, definition checks, saved reports
(who may open them) and the monthly sending (due once a month, never twice)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from engine.access.models import Role, User
from engine.db import Database
from engine.monitoring import report_jobs
from engine.monitoring.filters import Scope
from engine.monitoring.reports import (
    InvalidReport,
    ReportDefinition,
    SavedReport,
    definition_from_json,
    delete_report,
    parse_definition,
    report_for,
    reports_of,
    run_report,
    save_report,
)
from engine.workflow.errors import Forbidden, NotFound
from engine.workflow.models import InstanceStatus
from tests.engine.monitoring import reports_support as data
from tests.webapp.support import create_user

AMOUNTS = {"premium_granted_amount", "loan_granted_amount"}
JANUARY = Scope(start=dt.datetime(2026, 1, 1, tzinfo=dt.UTC), end=dt.datetime(2026, 2, 1, tzinfo=dt.UTC))


def definition(rows: list[str], measures: list[str], **filters: str) -> ReportDefinition:
    return parse_definition(rows, measures, filters, amount_facts=AMOUNTS)


@pytest.fixture
def dossiers(db: Database) -> None:
    with db.transaction() as session:
        mechelen = data.address(session, "Mechelen", "house")
        bonheiden = data.address(session, "Bonheiden", "apartment")
        data.information(session, "2025-12-10", None, phase="done", closed="2026-01-05", site=mechelen)
        info2 = data.information(session, "2026-01-10", "2026-01-12", phase="file", site=mechelen)
        data.information(session, "2026-01-05", "2026-01-11", phase="file", site=bonheiden)
        data.information(session, "2025-11-01", None, phase="done", closed="2025-12-20")  # closed before
        # a follow-up dossier: its site address is the journey's (on the first dossier)
        data.dossier(session, "advice", created="2026-01-20", phase="advice", journey=info2)
        data.dossier(session, "premiums", created="2025-12-01", phase="p30_decision", site=bonheiden,
                     facts={"premium_granted_amount": (1200.50, "2026-01-15")})
        data.dossier(session, "premiums", created="2026-01-03", phase="p30_decision",
                     facts={"premium_granted_amount": (800, "2026-01-25")})
        data.dossier(session, "premiums", created="2026-01-30", phase="p10_submitted",
                     facts={"premium_granted_amount": (500, "2026-02-02")})  # granted after the period
        data.dossier(session, "execution", created="2026-01-02", phase="preparation", closed="2026-01-04",
                     status=InstanceStatus.TERMINATED)
        data.dossier(session, "execution", created="2025-12-24", process=False)  # no process: on file
        data.information(session, "2026-01-12", "2026-01-13", active=False)  # deactivated: left out
        data.information(session, "2026-02-05", "2026-02-06")  # after the period


def test_measures_per_type(db: Database, dossiers: None) -> None:
    report = definition(["type"], ["count", "opened", "closed", "median_lead_time", "sum:premium_granted_amount"])
    with db.transaction() as session:
        result = run_report(session, report, JANUARY)
    assert result.lines == [
        {"type": "advice", "count": 1, "opened": 1, "closed": 0, "median_lead_time": None,
         "sum:premium_granted_amount": 0},
        {"type": "execution", "count": 2, "opened": 1, "closed": 1, "median_lead_time": None,
         "sum:premium_granted_amount": 0},
        {"type": "information", "count": 3, "opened": 2, "closed": 1, "median_lead_time": 4.0,
         "sum:premium_granted_amount": 0},
        {"type": "premiums", "count": 3, "opened": 2, "closed": 0, "median_lead_time": None,
         "sum:premium_granted_amount": 2000.5},
    ]


def test_municipality_and_housing_type_of_the_journey_site(db: Database, dossiers: None) -> None:
    with db.transaction() as session:
        result = run_report(session, definition(["municipality", "housing_type"], ["count"]), JANUARY)
    assert [(line["municipality"], line["housing_type"], line["count"]) for line in result.lines] == [
        ("Bonheiden", "apartment", 2), ("Mechelen", "house", 3), (None, None, 4)]


def test_phase_rows_with_a_type_filter(db: Database, dossiers: None) -> None:
    scope = Scope(start=JANUARY.start, end=JANUARY.end, dossier_type="premiums")
    with db.transaction() as session:
        result = run_report(session, definition(["phase"], ["count", "sum:premium_granted_amount"]), scope)
    assert result.lines == [
        {"phase": "p10_submitted", "count": 1, "sum:premium_granted_amount": 0},
        {"phase": "p30_decision", "count": 2, "sum:premium_granted_amount": 2000.5},
    ]


def test_unbounded_period_counts_every_active_dossier(db: Database, dossiers: None) -> None:
    with db.transaction() as session:
        result = run_report(session, definition(["type", "phase"], ["count", "closed"]), Scope())
    counts = {(line["type"], line["phase"]): (line["count"], line["closed"]) for line in result.lines}
    assert counts[("information", "done")] == (2, 2)
    assert counts[("information", "file")] == (2, 0)
    assert counts[("execution", None)] == (1, 0)
    assert sum(count for count, _closed in counts.values()) == 11


@pytest.mark.parametrize(("rows", "measures", "codes"), [
    ([], ["count"], ["rows_missing"]),
    (["type", "phase", "project"], ["count"], ["rows_too_many"]),
    (["colour"], ["count"], ["row_unknown"]),
    (["type", "type"], ["count"], ["row_repeated"]),
    (["type"], [], ["measures_missing"]),
    (["type"], ["average"], ["measure_unknown"]),
    (["type"], ["sum:request_date"], ["measure_unknown"]),
    (["colour"], [], ["row_unknown", "measures_missing"]),
])
def test_definition_problems(rows: list[str], measures: list[str], codes: list[str]) -> None:
    with pytest.raises(InvalidReport) as caught:
        definition(rows, measures)
    assert [p.code for p in caught.value.problems] == codes


def test_definition_keeps_known_filters_only() -> None:
    report = parse_definition(["type"], ["count", "count"], {"period": "custom", "start": "2026-01-01",
                                                             "queue": "x", "type": ""}, amount_facts=AMOUNTS)
    assert report.measures == ("count",)
    assert report.filters == {"period": "custom", "start": "2026-01-01"}
    assert definition_from_json(report.to_json(), amount_facts=AMOUNTS) == report


@pytest.fixture
def managers(db: Database) -> dict[str, User]:
    return {"anne": create_user(db, Role.MANAGER), "bert": create_user(db, Role.MANAGER),
            "admin": create_user(db, Role.ADMINISTRATOR)}


def test_saved_reports_belong_to_their_owner(db: Database, managers: dict[str, User]) -> None:
    anne, bert, admin = managers["anne"], managers["bert"], managers["admin"]
    report = definition(["type"], ["count"], period="12m")
    with db.transaction() as session:
        saved = save_report(session, anne, "VEKA", report, schedule="monthly",
                            recipients="veka@example.org; Anne@example.org, anne@example.org")
        again = save_report(session, anne, " VEKA ", definition(["phase"], ["opened"]))  # same name: replaced
        assert again.id == saved.id
        assert again.definition["rows"] == ["phase"] and again.schedule is None and again.recipients == []
        save_report(session, bert, "VEKA", report)  # another owner may use the same name
    with db.transaction() as session:
        assert [r.name for r in reports_of(session, anne)] == ["VEKA"]
        assert len(reports_of(session, admin)) == 2
        assert report_for(session, saved.id, admin).id == saved.id
        with pytest.raises(Forbidden):
            report_for(session, saved.id, bert)
        with pytest.raises(Forbidden):
            delete_report(session, saved.id, bert)
        with pytest.raises(NotFound):
            report_for(session, saved.id + 1000, anne)
        delete_report(session, saved.id, anne)
    with db.transaction() as session:
        assert session.get(SavedReport, saved.id) is None


@pytest.mark.parametrize(("kwargs", "codes"), [
    ({"name": ""}, ["name_missing"]),
    ({"name": "x" * 121}, ["name_too_long"]),
    ({"schedule": "weekly", "recipients": "a@example.org"}, ["schedule_unknown"]),
    ({"schedule": "monthly"}, ["recipients_missing"]),
    ({"schedule": "monthly", "recipients": "a@example.org, not-an-address"}, ["recipient_invalid"]),
])
def test_saving_problems(db: Database, managers: dict[str, User], kwargs: dict[str, Any],
                         codes: list[str]) -> None:
    arguments = {"name": "Monthly", **kwargs}
    with db.transaction() as session, pytest.raises(InvalidReport) as caught:
        save_report(session, managers["anne"], arguments.pop("name"), definition(["type"], ["count"]), **arguments)
    assert [p.code for p in caught.value.problems] == codes


def test_renaming_onto_another_report_is_refused(db: Database, managers: dict[str, User]) -> None:
    anne = managers["anne"]
    with db.transaction() as session:
        save_report(session, anne, "One", definition(["type"], ["count"]))
        two = save_report(session, anne, "Two", definition(["type"], ["count"]))
        with pytest.raises(InvalidReport) as caught:
            save_report(session, anne, "One", definition(["type"], ["count"]), report_id=two.id)
    assert caught.value.problems[0].code == "name_taken"


def test_monthly_reports_are_sent_once_a_month(db: Database, managers: dict[str, User]) -> None:
    anne = managers["anne"]
    with db.transaction() as session:
        monthly = save_report(session, anne, "Monthly", definition(["type"], ["count"]), schedule="monthly",
                              recipients="veka@example.org")
        save_report(session, anne, "On demand", definition(["type"], ["count"]))
        late = save_report(session, anne, "Late", definition(["type"], ["count"]), schedule="monthly",
                           recipients="veka@example.org")
        monthly.created_at = dt.datetime(2026, 1, 20, tzinfo=dt.UTC)
        late.created_at = dt.datetime(2026, 2, 10, tzinfo=dt.UTC)  # created during February
    calls: list[tuple[str, dt.datetime, dt.datetime]] = []

    def mailer(session: Any, report: SavedReport, start: dt.datetime, end: dt.datetime) -> None:
        calls.append((report.name, start, end))

    first_of_february = dt.datetime(2026, 2, 1, 6, tzinfo=dt.UTC)
    assert report_jobs.send_due_reports(db, mailer, first_of_february) == [monthly.id]
    assert calls == [("Monthly", dt.datetime(2026, 1, 1, tzinfo=dt.UTC), dt.datetime(2026, 2, 1, tzinfo=dt.UTC))]
    # the same month again: nothing (also the report created in February waits for March)
    assert report_jobs.send_due_reports(db, mailer, dt.datetime(2026, 2, 28, 23, tzinfo=dt.UTC)) == []
    # a beat missed on the 1st of March is caught up on the 3rd; both reports cover February
    assert report_jobs.send_due_reports(db, mailer, dt.datetime(2026, 3, 3, tzinfo=dt.UTC)) == [monthly.id, late.id]
    assert calls[-1][1:] == (dt.datetime(2026, 2, 1, tzinfo=dt.UTC), dt.datetime(2026, 3, 1, tzinfo=dt.UTC))


def test_a_failed_sending_is_tried_again(db: Database, managers: dict[str, User]) -> None:
    with db.transaction() as session:
        report = save_report(session, managers["anne"], "Monthly", definition(["type"], ["count"]),
                             schedule="monthly", recipients="veka@example.org")
        report.created_at = dt.datetime(2026, 1, 20, tzinfo=dt.UTC)
    attempts: list[int] = []

    def failing(session: Any, saved: SavedReport, *_period: dt.datetime) -> None:
        attempts.append(saved.id)
        raise OSError("outbox not writable")

    def working(session: Any, saved: SavedReport, *_period: dt.datetime) -> None:
        attempts.append(-saved.id)

    now = dt.datetime(2026, 2, 1, 6, tzinfo=dt.UTC)
    send: Callable[..., list[int]] = report_jobs.send_due_reports
    assert send(db, failing, now) == []
    with db.transaction() as session:
        assert session.get(SavedReport, report.id).last_sent_at is None
    assert send(db, working, now) == [report.id]
    assert send(db, working, now) == []
    assert attempts == [report.id, -report.id]


def test_previous_month() -> None:
    assert report_jobs.previous_month(dt.datetime(2026, 1, 1, 0, 30, tzinfo=dt.UTC)) == (
        dt.datetime(2025, 12, 1, tzinfo=dt.UTC), dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
