"""Enterprise numbers: every accepted spelling, and a reason for each refusal."""

from __future__ import annotations

import pytest

from engine.parties.enterprise_number import (
    EnterpriseNumberError,
    checksum_ok,
    format_number,
    is_valid,
    normalise,
)


@pytest.mark.parametrize("raw", [
    "0202.239.951", "0202239951", "BE0202239951", "BE 0202.239.951", "be0202 239 951", " 0202-239-951 ",
    "0202/239/951",
])
def test_accepted_spellings_give_ten_digits(raw):
    assert normalise(raw) == "0202239951"


@pytest.mark.parametrize("number", ["0202239951", "0428759497", "0200065765", "0403170701", "0417497106"])
def test_real_numbers_pass_the_modulo_97_check(number):
    assert checksum_ok(number)
    assert 97 - int(number[:8]) % 97 == int(number[8:])


def test_a_remainder_of_zero_gives_check_digits_97():
    assert normalise("0428.759.497") == "0428759497"  # 04287594 is a multiple of 97


def test_a_nine_digit_number_needs_a_leading_zero_and_gets_a_suggestion():
    with pytest.raises(EnterpriseNumberError) as caught:
        normalise("202.239.951")
    assert caught.value.code == "leading_zero"
    assert caught.value.suggestion == "0202.239.951"


def test_a_nine_digit_number_that_would_still_be_wrong_gets_no_suggestion():
    with pytest.raises(EnterpriseNumberError) as caught:
        normalise("123456789")
    assert (caught.value.code, caught.value.suggestion) == ("leading_zero", None)


@pytest.mark.parametrize(("raw", "code"), [
    ("", "empty"),
    ("   ", "empty"),
    ("0202.239.952", "checksum"),
    ("0123.456.789", "checksum"),
    ("2202239951", "first_digit"),
    ("02022399511", "format"),
    ("0202.239.9", "format"),
    ("0202.23A.951", "format"),
    ("FR0202239951", "format"),
])
def test_wrong_numbers_are_refused_with_a_reason(raw, code):
    with pytest.raises(EnterpriseNumberError) as caught:
        normalise(raw)
    assert caught.value.code == code
    assert not is_valid(raw)


def test_numbers_starting_with_1_are_valid_when_the_check_passes():
    digits = "10000000" + f"{97 - 10000000 % 97:02d}"
    assert normalise(digits) == digits


def test_format_writes_the_dotted_form():
    assert format_number("0202239951") == "0202.239.951"
