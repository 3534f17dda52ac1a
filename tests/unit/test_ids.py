from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sunday_mining.domain.ids import id_time_ms, is_id, new_id


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
