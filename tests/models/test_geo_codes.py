"""Grid and component codes: parsing, normalising legacy codes, clear errors."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.geo.codes import (
    CodeError,
    grid_code_problem,
    is_grid_code,
    make_component_code,
    make_grid_code,
    normalize_grid_code,
    parse_component_code,
    parse_grid_code,
)


def test_parse_15_digit_code_gives_each_level():
    gc = parse_grid_code("331004001007006")
    assert gc.code == str(gc) == "331004001007006"
    assert gc.district_code == "331004"
    assert gc.town_code == "331004001"
    assert gc.village_code == "331004001007"
    assert gc.serial == "006" and gc.serial_number == 6
    assert gc.legacy is False


def test_legacy_14_digit_code_is_normalised_to_15():
    gc = parse_grid_code("33100400100706")
    assert gc.legacy is True
    assert gc.code == "331004001007006"
    assert gc.village_code == "331004001007"
    assert normalize_grid_code("33100400100799") == "331004001007099"


@pytest.mark.parametrize(
    "raw",
    [" 331004001007006 ", "３３１００４００１００７００６", 331004001007006, 331004001007006.0],
)
def test_blanks_full_width_digits_and_numbers_are_accepted(raw):
    assert normalize_grid_code(raw) == "331004001007006"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("3310040010070", "grid code must be 15 digits (or legacy 14), got 13"),
        ("3310040010070061", "got 16"),
        ("33100400100700A", "digits only"),
        ("331004-001-007-006", "bad character '-'"),
        ("", "grid code is empty"),
        ("   ", "grid code is empty"),
        (None, "grid code is missing"),
        (True, "string of digits"),
        (3.5, "string of digits"),
        ([331004001007006], "string of digits, got list"),
        ("991004001007006", "not a GB/T 2260 administrative code"),
        ("330000001007006", "province code"),
        ("331004000007006", "town/street part must not be 000"),
        ("331004001000006", "village/community part must not be 000"),
        ("331004001007000", "grid serial part must not be 000"),
        ("33100400100700", "grid serial part must not be 000"),  # legacy "00" -> "000"
    ],
)
def test_bad_grid_codes_say_why(raw, message):
    with pytest.raises(CodeError) as info:
        parse_grid_code(raw)
    assert message in str(info.value)
    assert grid_code_problem(raw) == str(info.value)
    assert not is_grid_code(raw)


def test_code_error_is_a_value_error():
    with pytest.raises(ValueError):
        parse_grid_code("12")


def test_good_code_has_no_problem():
    assert grid_code_problem("331004001007006") is None
    assert is_grid_code("33100400100706")


def test_make_grid_code_pads_and_accepts_full_codes():
    assert make_grid_code("331004", 1, 7, 6) == "331004001007006"
    assert make_grid_code("331004", "331004001", "331004001007", 12) == "331004001007012"
    assert make_grid_code("331004", "10", "100", "999") == "331004010100999"


@pytest.mark.parametrize(("town", "village", "serial"), [(0, 1, 1), (1, 1000, 1), (1, 1, -3), ("x", 1, 1)])
def test_make_grid_code_rejects_out_of_range_parts(town, village, serial):
    with pytest.raises(CodeError):
        make_grid_code("331004", town, village, serial)


@given(
    st.sampled_from(["331004", "110101", "440106", "441900", "820001"]),
    st.integers(1, 999),
    st.integers(1, 999),
    st.integers(1, 999),
)
def test_make_then_parse_round_trips(admin, town, village, serial):
    code = make_grid_code(admin, town, village, serial)
    gc = parse_grid_code(code)
    assert (gc.admin, int(gc.town), int(gc.village), gc.serial_number) == (admin, town, village, serial)
    if serial < 100:  # the legacy layout holds two serial digits
        legacy = code[:12] + code[13:]
        assert normalize_grid_code(legacy) == code


def test_component_code():
    cc = parse_component_code("3205080101000001")
    assert (cc.admin, cc.major, cc.minor, cc.serial) == ("320508", "01", "01", "000001")
    assert cc.class_code == "0101" and cc.district_code == "320508"
    assert str(cc) == "3205080101000001"
    assert make_component_code("331004", 1, 1, 1) == "3310040101000001"
    assert make_component_code("331004", "02", "13", 4567) == "3310040213004567"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("320508010100001", "component code must be 16 digits, got 15"),
        ("3205080001000001", "major class must not be 00"),
        ("3205080100000001", "minor class must not be 00"),
        ("3205080101000000", "serial must not be 000000"),
        ("0005080101000001", "not a GB/T 2260"),
        ("32050801010000O1", "digits only"),
    ],
)
def test_bad_component_codes_say_why(raw, message):
    with pytest.raises(CodeError) as info:
        parse_component_code(raw)
    assert message in str(info.value)
