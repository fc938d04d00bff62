"""Keyset paging (ties on the sort value, NULLs, previous pages) and the CSV / Excel exports."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import re
from collections.abc import Callable
from html import unescape

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook

from engine.access.models import Role
from tests.webapp.support import login
from tests.webapp.views.support import next_link, rows_of
from webapp.views import blueprint, query


def prev_link(html: str) -> str | None:
    match = re.search(r'<a href="([^"]+)" rel="prev">', html)
    return unescape(match.group(1)) if match else None


def walk(client: FlaskClient, url: str) -> list[list[str]]:
    pages = []
    while url:
        response = client.get(url)
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        pages.append(rows_of(html))
        url = next_link(html)
        assert "offset" not in (url or "")
    return pages


@pytest.fixture
def many(add_dossier: Callable[..., int], client: FlaskClient, make_user) -> list[str]:
    """120 dossiers, all titled alike (ties), every third one with a contact."""
    numbers = []
    for i in range(120):
        number = f"INF-2025-{i:05d}"
        add_dossier(number, "Same title", created=dt.date(2025, 1, 1 + i % 28),
                    contact=("Jan", f"Peeters {i:03d}") if i % 3 == 0 else None)
        numbers.append(number)
    login(client, make_user(Role.CASE_WORKER, locale="en"))
    return numbers


def test_keyset_pages_cover_every_row_once_across_ties(client: FlaskClient, many: list[str]) -> None:
    pages = walk(client, "/views/dossiers?sort=title&c=number&c=title")

    assert [len(page) for page in pages] == [50, 50, 20]
    assert [n for page in pages for n in page] == many  # ties broken by id, in order


def test_previous_page_comes_back_to_the_same_rows(client: FlaskClient, many: list[str]) -> None:
    first = client.get("/views/dossiers?sort=-title&c=number").get_data(as_text=True)
    assert prev_link(first) is None
    second = client.get(next_link(first)).get_data(as_text=True)
    third = client.get(next_link(second)).get_data(as_text=True)
    assert next_link(third) is None

    back = client.get(prev_link(third)).get_data(as_text=True)
    assert rows_of(back) == rows_of(second)
    assert rows_of(client.get(prev_link(back)).get_data(as_text=True)) == rows_of(first)
    assert rows_of(first) == list(reversed(many))[:50]


@pytest.mark.parametrize("sort", ["contact", "-contact", "created_at", "-created_at"])
def test_paging_on_a_column_with_empty_values(client: FlaskClient, many: list[str], sort: str) -> None:
    pages = walk(client, f"/views/dossiers?sort={sort}&c=number&c=contact")
    seen = [n for page in pages for n in page]

    assert sorted(seen) == many and len(set(seen)) == len(seen)
    if sort == "contact":
        assert seen[:40] == many[::3]  # the 40 names in order, then the rows without a contact
    if sort == "-contact":
        assert seen[-40:] == list(reversed(many[::3]))  # descending: rows without a contact first


def test_a_cursor_of_another_sort_starts_from_the_first_page(client: FlaskClient, many: list[str]) -> None:
    first = client.get("/views/dossiers?sort=title&c=number").get_data(as_text=True)
    cursor = re.search(r"after=([^&\"]+)", next_link(first)).group(1)

    html = client.get(f"/views/dossiers?sort=-title&c=number&after={cursor}").get_data(as_text=True)

    assert rows_of(html) == list(reversed(many))[:50]


def test_csv_export_has_the_same_columns_filters_and_order_and_every_row(
        client: FlaskClient, many: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(blueprint, "iterate_all", functools.partial(query.iterate_all, chunk=7))
    response = client.get("/views/dossiers/export.csv?c=number&c=contact&c=created_at&sort=-number"
                          "&f=contact:has:")

    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["Number", "Main contact", "Created"]
    assert [r[0] for r in rows[1:]] == list(reversed(many[::3]))  # 40 rows across 6 chunks
    assert rows[1][1] == "Jan Peeters 117" and rows[1][2] == "2025-01-06 09:00"


def test_excel_export_reads_back_with_native_values(client: FlaskClient, many: list[str]) -> None:
    response = client.get("/views/dossiers/export.xlsx?c=number:150&c=type&c=created_at&c=active&sort=number"
                          "&f=number:begins:INF-2025-0000")

    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Number", "Type", "Created", "Active")
    assert [r[0] for r in rows[1:]] == many[:10]
    assert rows[1][1] == "Information" and rows[1][3] is True
    assert rows[1][2] == dt.datetime(2025, 1, 1, 9, 0)


def test_an_export_of_a_bad_request_is_refused(client: FlaskClient, many: list[str]) -> None:
    response = client.get("/views/dossiers/export.csv?f=created_at:after:soon")

    assert response.status_code == 400
    assert "is not a date" in response.get_data(as_text=True)


def test_a_hand_made_cursor_of_the_wrong_type_is_refused(client: FlaskClient, many: list[str]) -> None:
    import base64
    import json

    token = base64.urlsafe_b64encode(json.dumps(["-created_at", "not a date", 5]).encode()).decode().rstrip("=")

    response = client.get(f"/views/dossiers?sort=-created_at&after={token}")

    assert response.status_code == 400
    assert "The page link is damaged" in response.get_data(as_text=True)
