"""The financing simulation of a renovation master plan, against figures computed by hand."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engine.cases.rmp_financing import (
    FinancingError,
    WorksLot,
    inputs_document,
    money,
    most_common_shares,
    share_of_cost,
    simulate,
    simulation_from,
)

D = Decimal

# A building of 10 000 shares and 83 lots: 48 lots of 125, 25 of 100 and 10 of 150 shares
# (48*125 + 25*100 + 10*150 = 6000 + 2500 + 1500 = 10000).
LOT_SHARES = [125] * 48 + [100] * 25 + [150] * 10
LOTS = [
    WorksLot("Roof and facade insulation", common_cost=D("480000.00")),
    WorksLot("Heat pump", common_cost=D("123456.78")),
    WorksLot("Windows", private_cost_per_unit=D("7500.00")),  # paid by each apartment
]


def test_a_lot_pays_its_shares_of_the_cost() -> None:
    # 480000 * 125 / 10000 = 6000.00
    assert share_of_cost(D("480000"), 125, 10000) == D("6000.00")
    # 123456.78 * 125 / 10000 = 1543.20975 -> 1543.21
    assert share_of_cost(D("123456.78"), 125, 10000) == D("1543.21")
    # 123456.78 * 150 / 10000 = 1851.8517 -> 1851.85
    assert share_of_cost(D("123456.78"), 150, 10000) == D("1851.85")


def test_halves_are_rounded_up() -> None:
    # 123.45 * 5000 / 10000 = 61.725: ROUND_HALF_UP gives 61.73 (banker's rounding would give 61.72)
    assert share_of_cost(D("123.45"), 5000, 10000) == D("61.73")
    # 0.01 * 1 / 2 = 0.005 -> 0.01
    assert share_of_cost(D("0.01"), 1, 2) == D("0.01")
    assert money("2.675") == D("2.68")


def test_the_most_common_lot_is_the_mode_of_the_shares() -> None:
    assert most_common_shares(LOT_SHARES) == 125  # 48 lots
    # a tie (two lots of 90, two of 80): the smaller value
    assert most_common_shares([90, 80, 90, 80, 200]) == 80
    with pytest.raises(FinancingError):
        most_common_shares([])


def test_first_simulation_for_the_most_common_lot() -> None:
    simulation = simulate(LOTS, 10000, LOT_SHARES, subsidy=D("100000"))

    row = simulation.most_common
    assert row is not None
    assert (row.shares, row.units) == (125, 48)
    # 6000.00 (roof) + 1543.21 (heat pump) + 7500.00 (windows, private) = 15043.21
    assert row.amounts == [D("6000.00"), D("1543.21"), D("7500.00")]
    assert row.total == D("15043.21")
    # subsidy 100000 * 125 / 10000 = 1250.00; own contribution 15043.21 - 1250.00 = 13793.21
    assert row.subsidy == D("1250.00")
    assert row.own_contribution == D("13793.21")


def test_the_matrix_has_a_row_per_share_value_and_totals() -> None:
    simulation = simulate(LOTS, 10000, LOT_SHARES, subsidy=D("100000"), extra_shares=[200])

    assert [(row.shares, row.units) for row in simulation.rows] == [(100, 25), (125, 48), (150, 10), (200, 0)]
    by_shares = {row.shares: row for row in simulation.rows}
    # 100 shares: 480000 * 0.01 = 4800.00; 123456.78 * 0.01 = 1234.5678 -> 1234.57; + 7500.00
    #   total 13534.57; subsidy 1000.00; own 12534.57
    assert by_shares[100].amounts == [D("4800.00"), D("1234.57"), D("7500.00")]
    assert (by_shares[100].total, by_shares[100].subsidy, by_shares[100].own_contribution) == (
        D("13534.57"), D("1000.00"), D("12534.57"))
    # 150 shares: 7200.00 + 1851.85 + 7500.00 = 16551.85; subsidy 1500.00; own 15051.85
    assert (by_shares[150].total, by_shares[150].own_contribution) == (D("16551.85"), D("15051.85"))
    # 200 shares (no such lot, asked for): 9600.00 + 2469.14 (2469.1356) + 7500.00 = 19569.14
    assert by_shares[200].total == D("19569.14")

    # Totals over the 83 lots:
    #   roof  48*6000.00 + 25*4800.00 + 10*7200.00 = 288000 + 120000 + 72000 = 480000.00
    #   heat pump 48*1543.21 + 25*1234.57 + 10*1851.85 = 74074.08 + 30864.25 + 18518.50 = 123456.83
    #   windows 83*7500.00 = 622500.00
    assert simulation.allocated == [D("480000.00"), D("123456.83"), D("622500.00")]
    assert simulation.allocated_total == D("1225956.83")
    # cost: 480000.00 + 123456.78 + 83*7500.00 = 1225956.78; rounding difference +0.05
    assert simulation.building_cost == D("1225956.78")
    assert simulation.rounding_difference == D("0.05")
    # subsidy 48*1250 + 25*1000 + 10*1500 = 60000 + 25000 + 15000 = 100000.00
    assert simulation.allocated_subsidy == D("100000.00")
    assert simulation.allocated_own_contribution == D("1125956.83")
    assert simulation.shares_add_up and simulation.units == 83


def test_a_single_total_cost_without_subsidy() -> None:
    # 250000 over 1000 shares: a lot of 37 shares pays 250000 * 37 / 1000 = 9250.00
    simulation = simulate([WorksLot("", common_cost=D("250000"))], 1000, [37, 37, 26])
    assert simulation.most_common is not None
    assert simulation.most_common.total == D("9250.00")
    assert simulation.most_common.own_contribution == D("9250.00")
    assert simulation.most_common.subsidy == D("0.00")
    # 37 + 37 + 26 = 100 shares listed out of 1000: the page warns
    assert not simulation.shares_add_up


@pytest.mark.parametrize(("lots", "total", "shares", "subsidy"), [
    ([], 10000, [100], None),
    (LOTS, 0, [100], None),
    (LOTS, 10000, [], None),
    (LOTS, 10000, [0], None),
    (LOTS, 10000, [10001], None),
    ([WorksLot("x", common_cost=D("-1"))], 10000, [100], None),
    ([WorksLot("x", common_cost=D("1000"))], 10000, [100], D("1000.01")),
])
def test_impossible_input_is_refused(lots, total, shares, subsidy) -> None:
    with pytest.raises(FinancingError):
        simulate(lots, total, shares, subsidy=subsidy)


def test_saved_inputs_give_the_same_simulation() -> None:
    document = inputs_document(LOTS, 10000, LOT_SHARES, subsidy=D("100000"), extra_shares=[200])
    assert document["lots"][1] == {"name": "Heat pump", "common_cost": "123456.78", "private_cost_per_unit": "0.00"}

    again = simulation_from(document)

    assert again == simulate(LOTS, 10000, LOT_SHARES, subsidy=D("100000"), extra_shares=[200])
    assert simulation_from({}) is None
