"""The phase board and dwell-time pages: managers only, the figures on the page and in the CSV and
Excel exports, the drill-down link of a bar listing exactly the dossiers it counts, and wrong
filters answered with what to fix."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook

from engine.access.models import Role, User
from engine.cases.phases import PHASE_FLOWS
from engine.db import Database, utcnow
from engine.workflow.models import InstanceStatus
from tests.engine.monitoring.board_data import BoardData
from tests.webapp.support import login, page_text
from tests.webapp.views.support import rows_of


def ago(days: float) -> dt.datetime:
    return utcnow() - dt.timedelta(days=days)


@pytest.fixture
def board(db: Database) -> dict[str, object]:
    """Loan: analysis x3 (one with subtype rmp and project fosster), request x1; information:
    request x1; a completed and a deactivated loan dossier in analysis that must not count.
    Dwell: loan request left after 2, 4 and 9 days within the last 30 days."""
    with db.transaction() as session:
        data = BoardData(session)
        rmp = data.subtype("loan", "rmp")
        counted = [
            data.dossier("loan", [("request", ago(12)), ("analysis", ago(10))], title="Roof loan"),
            data.dossier("loan", [("request", ago(24)), ("analysis", ago(20))], title="Facade loan"),
            data.dossier("loan", [("request", ago(29)), ("analysis", ago(20))], subtype=rmp, project="fosster",
                         title="Window loan"),
        ]
        data.dossier("loan", [("request", ago(5))], title="Boiler loan")
        data.dossier("information", [("request", ago(1))], title="Question")
        data.dossier("loan", [("analysis", ago(3)), ("done", ago(1))], status=InstanceStatus.COMPLETED,
                     title="Closed loan")
        data.dossier("loan", [("analysis", ago(3))], active=False, title="Hidden loan")
        return {"analysis": sorted(d.number for d in counted), "fosster": counted[2].number, "rmp": rmp.id}


@pytest.fixture
def manager(client: FlaskClient, make_user: Callable[..., User]) -> User:
    user = make_user(Role.MANAGER, locale="en")
    login(client, user)
    return user


def _csv(client: FlaskClient, path: str) -> list[dict[str, str]]:
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_only_managers_and_administrators_see_the_pages(client: FlaskClient, make_user: Callable[..., User]) -> None:
    assert client.get("/monitoring/phases").status_code == 302  # sign in first
    login(client, make_user(Role.CASE_WORKER))
    for path in ("/monitoring/phases", "/monitoring/dwell", "/monitoring/phases?format=csv",
                 "/monitoring/dwell?format=xlsx"):
        assert client.get(path).status_code == 403, path
    client.get("/logout")
    admin = client.application.test_client()
    login(admin, make_user(Role.ADMINISTRATOR, locale="en"))
    assert admin.get("/monitoring/phases").status_code == 200


@pytest.mark.usefixtures("board", "manager")
def test_the_board_shows_each_phase_with_its_open_dossiers(client: FlaskClient) -> None:
    response = client.get("/monitoring/phases")
    assert response.status_code == 200
    text = page_text(response)
    assert "Phase board" in text and "Loan: open dossiers per phase" in text
    page = response.get_data(as_text=True)
    charts = [html.unescape(c) for c in re.findall(r'data-chart="([^"]+)"', page)]
    assert len(charts) == 7  # one per dossier type
    loan_chart = next(c for c in charts if '"Analysis"' in c)
    assert '"data": [1, 3, 0, 0, 0, 0, 0]' in loan_chart or '"data":[1,3,0,0,0,0,0]' in loan_chart.replace(" ", "")


@pytest.mark.usefixtures("manager")
def test_the_exports_hold_the_figures(client: FlaskClient, board: dict[str, object]) -> None:
    rows = _csv(client, "/monitoring/phases?format=csv")
    loan = {r["Phase"]: r for r in rows if r["Dossier type"] == "Loan"}
    assert list(loan) == ["Request", "Analysis", "Decision", "Signature", "Collection", "In circulation", "Done"]
    assert loan["Analysis"]["Open dossiers"] == "3"
    assert float(loan["Analysis"]["Oldest in the phase (days)"]) == pytest.approx(20, abs=0.01)
    assert float(loan["Analysis"]["Median age in the phase (days)"]) == pytest.approx(20, abs=0.01)
    assert loan["Done"]["Open dossiers"] == "0" and loan["Done"]["Median age in the phase (days)"] == ""
    assert sum(int(r["Open dossiers"]) for r in rows) == 5

    response = client.get("/monitoring/phases?format=xlsx&type=loan")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:3] == ("Dossier type", "Phase", "Open dossiers")
    by_phase = {row[1]: row for row in values[1:]}
    assert len(values) == 8 and by_phase["Analysis"][2] == 3 and by_phase["Request"][2] == 1
    assert by_phase["Request"][4] == pytest.approx(5, abs=0.01)


@pytest.mark.usefixtures("manager")
def test_a_bar_opens_the_list_of_exactly_its_dossiers(client: FlaskClient, board: dict[str, object]) -> None:
    page = client.get("/monitoring/phases").get_data(as_text=True)
    table = page.split('id="board-table-loan"', 1)[1].split("</table>", 1)[0]
    link = html.unescape(re.search(r'<a href="([^"]+)">Analysis</a>', table).group(1))
    assert link.startswith("/views/dossiers?")
    listed = client.get(link)
    assert listed.status_code == 200
    assert sorted(rows_of(listed.get_data(as_text=True))) == board["analysis"]
    # with the subtype and project filters, the link keeps them
    page = client.get(f"/monitoring/phases?subtype={board['rmp']}&project=fosster").get_data(as_text=True)
    table = page.split('id="board-table-loan"', 1)[1].split("</table>", 1)[0]
    link = html.unescape(re.search(r'<a href="([^"]+)">Analysis</a>', table).group(1))
    assert rows_of(client.get(link).get_data(as_text=True)) == [board["fosster"]]


@pytest.mark.usefixtures("board", "manager")
def test_wrong_filters_say_what_to_fix(client: FlaskClient) -> None:
    response = client.get("/monitoring/phases?type=bogus&project=nowhere")
    assert response.status_code == 200
    text = page_text(response)
    assert "Unknown dossier type bogus: choose one from the list." in text
    assert "Unknown project nowhere: choose one from the list." in text
    assert "Loan: open dossiers per phase" in text  # the figures without the wrong filters
    text = page_text(client.get("/monitoring/dwell?by=queue&period=custom&start=2026-02-30"))
    assert "Unknown breakdown queue: choose per phase, per subtype or per project." in text
    assert "The start date 2026-02-30 is not a date" in text


@pytest.mark.usefixtures("manager")
def test_dwell_times_page_and_exports(client: FlaskClient, board: dict[str, object]) -> None:
    response = client.get("/monitoring/dwell?period=30d")
    assert response.status_code == 200
    text = page_text(response)
    assert "Loan: time spent per phase" in text
    assert "4 d 0 h" in text and "8 d 0 h" in text  # the loan request median and p90, as durations
    rows = _csv(client, "/monitoring/dwell?period=30d&format=csv")
    # loan request left after 2, 4 and 9 days; the closed loan left analysis after 2 days
    assert [(r["Dossier type"], r["Phase"], r["Phases left in the period"]) for r in rows] == [
        ("Loan", "Request", "3"), ("Loan", "Analysis", "1")]
    assert float(rows[0]["Median time in the phase (days)"]) == pytest.approx(4, abs=1e-4)
    assert float(rows[0]["90th percentile (days)"]) == pytest.approx(8, abs=1e-4)  # 4 + 0.8 * 5
    assert float(rows[1]["Median time in the phase (days)"]) == pytest.approx(2, abs=1e-4)

    rows = _csv(client, "/monitoring/dwell?period=30d&by=subtype&format=csv")
    assert {(r["Subtype"], r["Phase"], r["Phases left in the period"]) for r in rows} == {
        ("Subtype rmp", "Request", "1"), ("No subtype", "Request", "2"), ("No subtype", "Analysis", "1")}
    response = client.get("/monitoring/dwell?period=30d&by=project&format=xlsx&type=loan")
    values = list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    assert values[0] == ("Dossier type", "Project", "Phase", "Phases left in the period",
                         "Median time in the phase (days)", "90th percentile (days)")
    assert {(row[1], row[2]): row[3] for row in values[1:]} == {
        ("FOSSTER", "Request"): 1, ("No project", "Request"): 2, ("No project", "Analysis"): 1}
    assert [row[4] for row in values[1:] if row[1] == "FOSSTER"] == [pytest.approx(9, abs=1e-4)]


@pytest.mark.usefixtures("manager")
def test_an_empty_period_says_so_and_still_exports(client: FlaskClient) -> None:
    text = page_text(client.get("/monitoring/dwell?period=custom&start=2020-01-01&end=2020-01-31"))
    assert "No phase was left during this period with these filters." in text
    rows = _csv(client, "/monitoring/dwell?period=custom&start=2020-01-01&end=2020-01-31&format=csv")
    assert rows == []
    rows = _csv(client, "/monitoring/phases?format=csv")
    assert len(rows) == sum(len(flow) for flow in PHASE_FLOWS.values())
    assert {r["Open dossiers"] for r in rows} == {"0"}
