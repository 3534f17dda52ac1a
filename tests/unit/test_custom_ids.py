"""Custom ids: what `make` writes and `parse` reads back, and the shapes both refuse."""

from __future__ import annotations

import pytest

from sunday_mining.interactions import custom_ids


def test_a_custom_id_reads_back_as_made() -> None:
    parsed = custom_ids.parse(custom_ids.make("lines", "01ARZ3NDEKTSV4RRFFQ69G5FAV", 3))
    assert parsed is not None
    assert (parsed.action, parsed.args) == ("lines", ("01ARZ3NDEKTSV4RRFFQ69G5FAV", "3"))


@pytest.mark.parametrize("part", ["a\n", "a b", "a:b", "x" * 41])
def test_an_unsafe_part_is_not_made(part: str) -> None:
    with pytest.raises(ValueError, match="unsafe"):
        custom_ids.make("lines", part)


@pytest.mark.parametrize("text", ["sm1:lines\n", "sm1:lines:7\n", "sm1\n:lines", "sm1:li nes"])
def test_a_part_with_a_newline_or_space_is_not_ours(text: str) -> None:
    assert custom_ids.parse(text) is None
