"""Rebuilding the denormalised ``bce_enterprises`` rows from the kbo_* tables.

A lookup must answer in a few milliseconds, so it reads one row by primary key; the choice of the
name (denomination 001 in the preferred language, with fall-backs), the seat address (REGO) in
that language, and the legal form's description from the code table is made here, once per
enterprise, by a streaming merge of three cursors ordered by enterprise number: memory stays flat
whatever the number of enterprises. After a full set every row is rebuilt, after an update set
only those of ``kbo_touched``.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import groupby
from typing import Any

from sqlalchemy import Connection, Table

from engine.parties.kbo_models import KboMeta
from engine.parties.models import BceEnterprise
from integrations.bce.kbo.format import DENOMINATION_LANGUAGES, PREFERRED_LANGUAGES

BATCH = 20_000
COLUMNS = ("enterprise_number", "name", "legal_form", "street", "house_number", "box", "postcode", "municipality",
           "status", "start_date", "juridical_form", "type_of_enterprise", "name_language")


def meta_table() -> Table:
    return KboMeta.__table__  # type: ignore[return-value]


def _language_rank(code: str) -> int:
    language = DENOMINATION_LANGUAGES.get(code)
    return PREFERRED_LANGUAGES.index(language) if language in PREFERRED_LANGUAGES else len(PREFERRED_LANGUAGES)


def _cursor(conn: Connection, name: str, sql: str) -> Iterator[tuple[Any, ...]]:
    raw = conn.connection.driver_connection
    if conn.dialect.name == "postgresql":
        cursor = raw.cursor(name=name)  # type: ignore[union-attr]
        cursor.itersize = BATCH
    else:
        cursor = raw.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql)
        yield from cursor
    finally:
        cursor.close()


def _grouped(rows: Iterator[tuple[Any, ...]]) -> Iterator[tuple[str, list[tuple[Any, ...]]]]:
    for number, group in groupby(rows, key=lambda r: r[0]):
        yield number, list(group)


def _legal_forms(conn: Connection) -> dict[tuple[str, str], str]:
    return {(code, language): description for code, language, description in conn.exec_driver_sql(
        "SELECT code, language, description FROM kbo_codes WHERE category = 'JuridicalForm'")}


def build_rows(conn: Connection, *, only_touched: bool = False) -> Iterator[tuple[Any, ...]]:
    """The lookup rows, in enterprise-number order."""
    where = " AND {col} IN (SELECT enterprise_number FROM kbo_touched)" if only_touched else ""
    enterprises = _cursor(conn, "kbo_e", (
        "SELECT enterprise_number, status, juridical_form, type_of_enterprise, start_date FROM kbo_enterprises "
        "WHERE 1 = 1" + where.format(col="enterprise_number") + " ORDER BY enterprise_number"))
    names = _grouped(_cursor(conn, "kbo_d", (
        "SELECT entity_number, language, denomination FROM kbo_denominations WHERE type_of_denomination = '001'"
        + where.format(col="entity_number") + " ORDER BY entity_number")))
    seats = _grouped(_cursor(conn, "kbo_a", (
        "SELECT entity_number, street_nl, street_fr, house_number, box, zipcode, municipality_nl, municipality_fr "
        "FROM kbo_addresses WHERE type_of_address = 'REGO'" + where.format(col="entity_number")
        + " ORDER BY entity_number")))
    forms = _legal_forms(conn)
    name_group = next(names, None)
    seat_group = next(seats, None)
    for number, status, form, kind, start in enterprises:
        while name_group is not None and name_group[0] < number:
            name_group = next(names, None)
        while seat_group is not None and seat_group[0] < number:
            seat_group = next(seats, None)
        language, name = None, None
        if name_group is not None and name_group[0] == number:
            best = min(name_group[1], key=lambda r: _language_rank(r[1]))
            language, name = DENOMINATION_LANGUAGES.get(best[1]), best[2]
        order = ((language,) if language else ()) + PREFERRED_LANGUAGES
        legal_form = next((forms[(form, lang)] for lang in order if (form, lang) in forms), None) if form else None
        street = house = box = postcode = municipality = None
        if seat_group is not None and seat_group[0] == number:
            _n, street_nl, street_fr, house, box, postcode, muni_nl, muni_fr = seat_group[1][0]
            french = language == "FR"
            street = (street_fr or street_nl) if french else (street_nl or street_fr)
            municipality = (muni_fr or muni_nl) if french else (muni_nl or muni_fr)
        if name is None:
            name = f"{number[:4]}.{number[4:7]}.{number[7:]}"
        yield (number, name[:255], legal_form and legal_form[:100], street and street[:200],
               house and house[:20], box and box[:20], postcode and postcode[:10],
               municipality and municipality[:100], status, start, form, kind, language)


def rebuild(conn: Connection, *, only_touched: bool = False) -> int:
    """Replace the lookup rows (all, or the touched ones); returns how many were written."""
    pg = conn.dialect.name == "postgresql"
    table = BceEnterprise.__tablename__
    if only_touched:
        conn.exec_driver_sql(f"DELETE FROM {table} WHERE enterprise_number IN "
                             "(SELECT enterprise_number FROM kbo_touched)")
    else:
        # DELETE, not TRUNCATE: TRUNCATE's exclusive lock would make every lookup (organisation
        # pages, the bce.lookup operator) wait for the whole rebuild; with DELETE they go on
        # reading the previous rows until this transaction commits
        conn.exec_driver_sql(f"DELETE FROM {table}")
    count = 0
    columns = ", ".join(COLUMNS)
    raw = conn.connection.driver_connection
    sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join('?' for _ in COLUMNS)})"

    def write(batch: list[tuple[Any, ...]]) -> None:
        # psycopg: no FETCH of the named cursors may run while a COPY is open, hence per batch.
        if pg:
            with raw.cursor() as writer, writer.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:  # type: ignore[union-attr]
                for row in batch:
                    copy.write_row(row)
        else:
            raw.executemany(sql, batch)  # type: ignore[union-attr]

    batch: list[tuple[Any, ...]] = []
    for row in build_rows(conn, only_touched=only_touched):
        batch.append(row)
        if len(batch) >= BATCH:
            write(batch)
            count += len(batch)
            batch = []
    if batch:
        write(batch)
        count += len(batch)
    conn.exec_driver_sql("DELETE FROM kbo_touched")
    return count
