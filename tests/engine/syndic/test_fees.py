"""The fee of a syndic request: one per request at the rate of the filing date, the supplement
with VAT for an association unknown in the BCE, one movement = one fee, separate filings = two,
and the dated table an administrator extends."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from engine.db import Database
from engine.syndic import fees
from engine.syndic.requests import preview
from engine.syndic.rules import WITHIN_8_DAYS_OF_DECISION
from engine.workflow.models import AuditEvent

D = dt.date


@pytest.fixture
def rates(db: Database) -> None:
    with db.transaction() as session:
        assert fees.ensure_default_rates(session) == 4
        assert fees.ensure_default_rates(session) == 0  # idempotent


def _quote(db: Database, kind: str, day: dt.date, known: bool = True) -> fees.FeeQuote:
    with db.transaction() as session:
        return fees.quote(session, kind, filed_on=day, association_known=known)


@pytest.mark.parametrize(("day", "amount", "valid_from"), [
    (D(2017, 4, 1), "85.50", D(2017, 4, 1)),
    (D(2017, 12, 31), "85.50", D(2017, 4, 1)),
    (D(2018, 1, 1), "87.00", D(2018, 1, 1)),
    (D(2020, 12, 31), "87.00", D(2018, 1, 1)),
    (D(2021, 6, 1), "90.50", D(2021, 1, 1)),  # the seed's figure
    (D(2022, 1, 1), "92.50", D(2022, 1, 1)),
    (D(2026, 9, 10), "92.50", D(2022, 1, 1)),
])
def test_fee_indexation_by_date(db: Database, rates: None, day: dt.date, amount: str, valid_from: dt.date) -> None:
    quote = _quote(db, "registration", day)
    assert quote.total == Decimal(amount) and quote.rate_valid_from == valid_from and quote.requests == 1
    assert quote.lines == (fees.FeeLine("request_fee", Decimal(amount)),)


def test_first_registration_of_an_unknown_association_adds_the_supplement_and_its_vat(db: Database,
                                                                                        rates: None) -> None:
    quote = _quote(db, "registration", D(2021, 6, 1), known=False)
    assert [(line.code, line.amount) for line in quote.lines] == [
        ("request_fee", Decimal("90.50")), ("unknown_association_supplement", Decimal("37.00")),
        ("vat_on_supplement", Decimal("7.77"))]
    assert quote.total == Decimal("135.27")


def test_one_movement_is_one_fee_separate_filings_are_two(db: Database, rates: None) -> None:
    day = D(2026, 9, 10)
    one = _quote(db, "termination_and_registration", day)
    separate = [_quote(db, "termination", day), _quote(db, "registration", day)]
    assert one.total == Decimal("92.50") and one.requests == 1
    assert sum(q.total for q in separate) == Decimal("185.00")
    assert _quote(db, "modification", day).total == Decimal("92.50")


def test_no_rate_before_the_first_row(db: Database, rates: None) -> None:
    with pytest.raises(fees.NoFeeRate, match="no syndic fee rate is valid on 2017-03-31"):
        _quote(db, "registration", D(2017, 3, 31))


def test_an_administrator_adds_a_rate(db: Database, rates: None) -> None:
    with db.transaction() as session:
        rate = fees.add_rate(session, actor_id=None, valid_from=D(2027, 1, 1), request_fee="94.00",
                             unknown_association_supplement=Decimal("38.00"))
        assert rate.vat_rate == Decimal("0.21")
    assert _quote(db, "registration", D(2026, 12, 31)).total == Decimal("92.50")
    assert _quote(db, "registration", D(2027, 1, 1), known=False).total == Decimal("94.00") + Decimal(
        "38.00") + Decimal("7.98")
    with db.transaction() as session:
        assert [r.valid_from for r in fees.rates(session)][:2] == [D(2027, 1, 1), D(2022, 1, 1)]
        assert session.scalar(select(AuditEvent.kind).where(AuditEvent.subject_type == "syndic_fee_rate"))


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"valid_from": D(2022, 1, 1)}, "a fee rate from 2022-01-01 already exists"),
    ({"request_fee": "-1"}, "request_fee must be zero or more"),
    ({"unknown_association_supplement": "-0.01"}, "unknown_association_supplement must be zero or more"),
    ({"request_fee": "12.345"}, "request_fee has more than two decimals"),
    ({"request_fee": "abc"}, "request_fee must be an amount in euros"),
    ({"vat_rate": "21"}, "vat_rate must be a fraction between 0 and 1"),
    ({"valid_from": "2030-01-01"}, "valid_from must be a date"),
])
def test_bad_rates_are_refused_with_what_to_fix(db: Database, rates: None, kwargs: dict, message: str) -> None:
    values = {"valid_from": D(2030, 1, 1), "request_fee": "95.00", "unknown_association_supplement": "37.00",
              **kwargs}
    with pytest.raises(fees.FeeRateInvalid, match=message), db.transaction() as session:
        fees.add_rate(session, actor_id=None, **values)
    with db.transaction() as session:
        assert len(fees.rates(session)) == 4


def test_preview_on_partial_data(db: Database, rates: None) -> None:
    with db.transaction() as session:
        empty = preview(session, {}, association_known=True, today=D(2026, 9, 10))
        assert empty.deadline is None and empty.late_working_days == 0 and empty.fee.total == Decimal("92.50")
        typed = preview(session, {"kind": "registration", "syndic_kind": "legal",
                                  "decision_names_representative": False, "company_has_ipi": True,
                                  "decision_date": "2026-10-01", "mandate_start": "2026-10-12"},
                        association_known=False, today=D(2026, 10, 14))
        assert typed.deadline.rule == WITHIN_8_DAYS_OF_DECISION and typed.late_working_days == 1
        assert typed.representative_case == "company_accredited" and typed.fee.total == Decimal("137.27")
