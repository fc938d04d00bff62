from __future__ import annotations

import pytest

from engine.wallet import communication


def test_make_known_example() -> None:
    # 1234567890 mod 97 = 2 (97 * 12727504 = 1234567888) → check digits 02
    assert communication.make(1234567890) == "+++123/4567/89002+++"


def test_make_uses_97_when_remainder_is_zero() -> None:
    assert communication.make(97) == "+++000/0000/09797+++"
    assert communication.make(9_700) == "+++000/0009/70097+++"


@pytest.mark.parametrize("text", ["+++123/4567/89002+++", "***123/4567/89002***", "123/4567/89002",
                                  "123456789002", " +++123 / 4567 / 89002+++ ", "1234 5678 9002"])
def test_parse_accepts_the_usual_spellings(text: str) -> None:
    assert communication.parse(text) == 1234567890
    assert communication.is_valid(text)


@pytest.mark.parametrize("text", ["+++123/4567/89003+++", "+++123/4567/89002***", "+++123/4567/89002",
                                  "12345678900", "1234567890021", "abc/defg/hijkl", "", "+++000/0000/00097+++"])
def test_parse_refuses_wrong_check_digits_and_malformed_text(text: str) -> None:
    assert communication.parse(text) is None
    assert not communication.is_valid(text)


def test_round_trip() -> None:
    for number in (1, 96, 97, 98, 1_000_000_000, 9_999_999_999):
        assert communication.parse(communication.make(number)) == number


@pytest.mark.parametrize("number", [0, -5, 10_000_000_000, True])
def test_make_refuses_numbers_out_of_range(number: int) -> None:
    with pytest.raises(ValueError, match="from 1 to 9999999999"):
        communication.make(number)
