from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sunday_mining.domain.ids import ascii_number, id_time_ms, is_id, is_snowflake, new_id


def test_ids_sort_by_creation_time() -> None:
    earlier, later = new_id(1_000), new_id(1_001)
    assert earlier < later


def test_two_ids_at_the_same_instant_differ() -> None:
    assert len({new_id(5_000) for _ in range(1_000)}) == 1_000


@given(st.integers(min_value=0, max_value=2**48 - 1))
def test_an_id_carries_its_time(ms: int) -> None:
    identifier = new_id(ms)
    assert is_id(identifier)
    assert id_time_ms(identifier) == ms


def test_shapes_that_are_not_ids_are_refused() -> None:
    assert not is_id("")
    assert not is_id("01ARZ3NDEKTSV4RRFFQ69G5FA")  # 25 characters
    assert not is_id("01ARZ3NDEKTSV4RRFFQ69G5FAU")  # U is not in the alphabet
    assert not is_id("../../etc/passwd")
    assert not is_id(new_id(0) + "\n")  # `$` alone would let a trailing newline through


@pytest.mark.parametrize("text", ["0", "7", "42", "000123456"])
def test_ascii_digits_are_a_number(text: str) -> None:
    assert ascii_number(text) == int(text)


@pytest.mark.parametrize(
    "text",
    ["", "\u00b2", "1\u00b2", "\u0663", "\uff11", "-1", "+1", " 1", "1 ", "1_000", "1.0", "1\n"],
)
def test_anything_but_ascii_digits_is_no_number(text: str) -> None:
    assert "\u00b2".isdigit()  # what str.isdigit() would have let through
    assert ascii_number(text) is None


def test_a_number_longer_than_asked_for_is_no_number() -> None:
    assert ascii_number("9" * 9) == 999_999_999
    assert ascii_number("9" * 10) is None
    assert ascii_number("9" * 10, max_digits=10) == 9_999_999_999


def test_snowflakes_are_up_to_twenty_ascii_digits() -> None:
    assert is_snowflake("1323803217997852711")
    assert not is_snowflake("1" * 21)
    assert not is_snowflake("\u00b2")
    assert not is_snowflake(1323803217997852711)
