"""The list engine through /views/<entity>: every filter operator, the search box (* = contains,
otherwise begins with), sorting, and clear refusals of bad requests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from engine.access.models import Role
from tests.webapp.support import login, page_text
from tests.webapp.views.support import rows_of


@pytest.fixture
def four_dossiers(add_dossier: Callable[..., int], client: FlaskClient, make_user) -> None:
    add_dossier("INF-2023-00001", "Roof insulation", created=dt.date(2023, 5, 1), contact=("Jan", "Peeters"),
                street=("Bruul", "12", "Mechelen"))
    add_dossier("ADV-2024-00002", "Heat pump", type="advice", created=dt.date(2024, 3, 10), contact=("An", "Maes"),
                street=("Ijzerenleen", "3", "Mechelen"))
    add_dossier("ADV-2024-00003", "Roof windows", type="advice", created=dt.date(2024, 7, 20), active=False)
    add_dossier("PRE-2025-00004", "Solar_panels 100%", type="premiums", created=dt.date(2025, 1, 15),
                contact=("Piet", "Roofman"), street=("Grote Markt", "1", "Brussel"))
    login(client, make_user(Role.CASE_WORKER, locale="en"))


def numbers(client: FlaskClient, query: str) -> list[str]:
    response = client.get(f"/views/dossiers?sort=number&{query}")
    assert response.status_code == 200, page_text(response)
    return rows_of(response.get_data(as_text=True))


D1, D2, D3, D4 = "INF-2023-00001", "ADV-2024-00002", "ADV-2024-00003", "PRE-2025-00004"


@pytest.mark.usefixtures("four_dossiers")
@pytest.mark.parametrize("query, expected", [
    ("f=title:eq:HEAT PUMP", [D2]),
    ("f=title:contains:roof", [D3, D1]),
    ("f=title:begins:roof", [D3, D1]),
    ("f=title:begins:oof", []),
    ("f=title:contains:_", [D4]),  # LIKE wildcards are taken literally
    ("f=title:contains:%25", [D4]),
    ("f=contact:contains:roof", [D4]),
    ("f=contact:has:", [D2, D1, D4]),
    ("f=contact:hasnot:", [D3]),
    ("f=street:hasnot", [D3]),
    ("f=city:eq:mechelen", [D2, D1]),
    ("f=title:in:heat pump|roof windows", [D2, D3]),
    ("f=created_at:before:2024-01-01", [D1]),
    ("f=created_at:after:2024-07-20", [D4]),  # after the day, not on it
    ("f=created_at:between:2024-03-10..2024-07-20", [D2, D3]),  # both days included
    ("f=created_at:eq:2024-03-10", [D2]),
    ("f=created_at:before:today", [D2, D3, D1, D4]),
    ("f=type:eq:advice", [D2, D3]),
    ("f=type:in:advice|premiums", [D2, D3, D4]),
    ("f=type:eq:advice&f=created_at:after:2024-01-01", [D2, D3]),
    ("f=active:eq:false", [D3]),
    ("f=active:eq:yes", [D2, D1, D4]),
    ("f=phase:hasnot:", [D2, D3, D1, D4]),
])
def test_each_filter_operator(client: FlaskClient, query: str, expected: list[str]) -> None:
    assert numbers(client, query) == expected


@pytest.mark.usefixtures("four_dossiers")
@pytest.mark.parametrize("search, expected", [
    ("*roof", [D3, D1, D4]),  # anywhere: two titles and a contact's name
    ("roof", [D3, D1]),  # at the start of a value: "Piet Roofman" does not begin with it
    ("*ROOF WIN", [D3]),
    ("mech", [D2, D1]),  # the site's municipality
    ("*zeren", [D2]),  # the site's street
    ("adv-2024", [D2, D3]),  # the number
    ("*peeters", [D1]),
    ("*nothing like it", []),
    ("*", [D2, D3, D1, D4]),  # no text: no search
])
def test_search_box(client: FlaskClient, search: str, expected: list[str]) -> None:
    assert numbers(client, f"q={search}") == expected


@pytest.mark.usefixtures("four_dossiers")
def test_search_combines_with_filters_and_sort(client: FlaskClient) -> None:
    assert numbers(client, "q=*roof&f=active:eq:true") == [D1, D4]
    response = client.get("/views/dossiers?q=*roof&sort=-title")
    assert rows_of(response.get_data(as_text=True)) == [D4, D3, D1]  # titles descending: Solar…, Roof w…, Roof i…


@pytest.mark.usefixtures("four_dossiers")
def test_sorting_descending_and_on_a_joined_column(client: FlaskClient) -> None:
    assert rows_of(client.get("/views/dossiers?sort=-created_at").get_data(as_text=True)) == [D4, D3, D2, D1]
    by_contact = rows_of(client.get("/views/dossiers?sort=contact").get_data(as_text=True))
    assert by_contact == [D2, D1, D4, D3]  # An Maes, Jan Peeters, Piet Roofman, then no contact


@pytest.mark.usefixtures("four_dossiers")
def test_chosen_columns_and_widths_are_shown_in_order(client: FlaskClient) -> None:
    html = client.get("/views/dossiers?c=title:320&c=number&sort=title").get_data(as_text=True)
    table = html.split('class="table view-table"', 1)[1]
    assert '<col data-key="title" style="width: 320px">' in table
    assert table.index('data-key="title"') < table.index('data-key="number"')
    assert rows_of(html) == ["Heat pump", "Roof insulation", "Roof windows", "Solar_panels 100%"]


@pytest.mark.usefixtures("four_dossiers")
@pytest.mark.parametrize("query, message", [
    ("f=nope:eq:x", "There is no column 'nope' in this list"),
    ("f=title:before:x", "'before' is not a filter for Title"),
    ("f=created_at:after:2024-13-01", "'2024-13-01' is not a date: write it as YYYY-MM-DD"),
    ("f=created_at:between:2024-05-01..2024-01-01", "The first value of 'between' comes after the second"),
    ("f=created_at:between:2024-05-01", "'between' needs two values"),
    ("f=type:eq:bogus", "'bogus' is not a value of Type"),
    ("f=title:eq:", "The filter on Title needs a value"),
    ("f=active:eq:maybe", "Active is yes or no"),
    ("sort=nope", "The list cannot be sorted on 'nope'"),
    ("after=garbage!", "The page link is damaged"),
    ("c=number&c=nope", "There is no column 'nope' in this list"),
    ("view=99999", "This saved view does not exist or is not shared with you"),
])
def test_a_bad_request_is_refused_with_what_to_fix(client: FlaskClient, query: str, message: str) -> None:
    response = client.get(f"/views/dossiers?{query}")

    assert response.status_code == 400
    assert message in page_text(response)
    assert 'class="table view-table"' not in response.get_data(as_text=True)


def test_the_lists_are_for_the_back_office_only(client: FlaskClient, make_user) -> None:
    assert client.get("/views/dossiers").status_code == 302  # sign in first
    login(client, make_user(Role.PROCESS_DESIGNER))
    assert client.get("/views/dossiers").status_code == 403
    assert client.get("/views/dossiers/export.csv").status_code == 403


def test_every_list_shows_and_an_unknown_one_is_not_found(client: FlaskClient, make_user) -> None:
    login(client, make_user(Role.MANAGER))
    for entity in ("dossiers", "contacts", "organisations", "addresses", "works", "tasks", "mails"):
        assert client.get(f"/views/{entity}").status_code == 200, entity
    assert client.get("/views/secrets").status_code == 404


def test_a_follow_up_dossier_shows_the_contact_and_site_of_its_journey(add_dossier: Callable[..., int],
                                                                       client: FlaskClient, make_user) -> None:
    root = add_dossier("INF-2025-00001", "First", contact=("Jan", "Peeters"), street=("Bruul", "12", "Mechelen"))
    add_dossier("INF-2025-00001/2", "Follow-up", type="advice", journey_id=root)
    login(client, make_user(Role.CASE_WORKER, locale="en"))

    html = client.get("/views/dossiers?c=number&c=contact&c=street&c=city&sort=number&q=*peeters").get_data(
        as_text=True)

    assert rows_of(html) == ["INF-2025-00001", "INF-2025-00001/2"]
    assert html.count("Jan Peeters") == 2 and html.count("Bruul 12") == 2
