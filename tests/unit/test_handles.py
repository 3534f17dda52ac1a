"""In-game handles: the game's rule, normalisation and how a member is shown with one."""

from __future__ import annotations

import pytest

from sunday_mining.domain.errors import ValidationError
from sunday_mining.domain.handles import (
    HANDLE_RULE,
    is_handle,
    normalize_handle,
    parse_handle,
    with_handle,
)


@pytest.mark.parametrize(
    "handle",
    ["abc", "Rocky_Miner-42", "A" * 60, "___", "-x-", "0123456789", "MixedCase_handle"],
)
def test_a_handle_of_letters_digits_dash_and_underscore_is_accepted(handle: str) -> None:
    assert parse_handle(handle) == handle


def test_spaces_and_line_ends_around_a_handle_are_stripped() -> None:
    assert normalize_handle("  Rocky_42 \n") == "Rocky_42"
    assert parse_handle("\tRocky_42  ") == "Rocky_42"


def test_the_case_is_kept_as_typed() -> None:
    assert parse_handle("RoCkY") == "RoCkY"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "ab",  # too short
        "A" * 61,  # too long
        "Rocky Miner",  # a space inside
        "rocky.miner",
        "rocky@miner",
        "@rocky",
        "Zoë",  # a non-ASCII letter
        "Борис",
        "山田太郎",
        "rocky٣",  # an Arabic-Indic digit, which \d would take
        "rocky²",
        "\uff52\uff4f\uff43\uff4b\uff59",  # fullwidth letters
        "rocky\u200bminer",  # a zero-width space
        "rocky\nminer",
    ],
)
def test_anything_else_is_refused_with_the_rule(raw: str) -> None:
    with pytest.raises(ValidationError) as refused:
        parse_handle(raw)
    assert refused.value.message == HANDLE_RULE
    assert not is_handle(normalize_handle(raw))


def test_the_rule_is_one_sentence_naming_the_length_and_the_characters() -> None:
    assert HANDLE_RULE.count(".") == 1
    assert HANDLE_RULE.endswith(".")
    for part in ("3 to 60", "ASCII letters", "digits", "'-'", "'_'"):
        assert part in HANDLE_RULE


def test_a_member_with_a_handle_is_shown_with_it_in_brackets() -> None:
    assert with_handle("Rocky 🚀", "Rocky_42") == "Rocky 🚀 (Rocky_42)"


def test_a_member_without_a_handle_is_shown_as_having_none_yet() -> None:
    assert with_handle("Rocky 🚀", None) == "Rocky 🚀 \u2014 no handle yet"
    assert with_handle("Rocky 🚀", "") == "Rocky 🚀 \u2014 no handle yet"
