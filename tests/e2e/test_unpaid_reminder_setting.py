"""The weekly reminder's setting through the simulator: off until an admin sets a number of
days, validated with a one-sentence answer, and off again at 0."""

from __future__ import annotations

import pytest
from tests.e2e.conftest import Discord
from tests.support.member_view import problems

SET = "mining-admin settings set"


def shown_setting(discord: Discord) -> str:
    shown = discord.command("admin", "mining-admin settings show")
    fields = {f["name"]: f["value"] for f in shown.data["embeds"][0]["fields"]}
    return str(fields["unpaid-reminder-days"])


def test_the_reminder_is_off_until_an_admin_sets_the_days(discord: Discord) -> None:
    assert shown_setting(discord) == "off"
    changed = discord.command("admin", SET, name="unpaid-reminder-days", value="14")
    assert changed.ephemeral
    assert changed.content == "unpaid-reminder-days is now 14 days."
    assert problems(changed.data, public=False) == []
    assert shown_setting(discord) == "14 days"
    assert discord.services.guilds.get(discord.guild_id).settings.unpaid_reminder_days == 14


def test_zero_days_turns_the_reminder_off_again(discord: Discord) -> None:
    discord.command("admin", SET, name="unpaid-reminder-days", value="14")
    discord.command("admin", SET, name="unpaid-reminder-days", value="0")
    assert shown_setting(discord) == "off"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("91", "unpaid-reminder-days must be between 0 and 90 days."),
        ("a week", "'a week' is not a number; type unpaid-reminder-days in days, e.g. 1."),
        ("7.5", "unpaid-reminder-days must be a whole number of days."),
    ],
)
def test_a_bad_number_of_days_is_refused_in_one_sentence(
    discord: Discord, value: str, message: str
) -> None:
    refused = discord.command("admin", SET, name="unpaid-reminder-days", value=value)
    assert refused.ephemeral
    assert refused.content == message
    assert discord.store_items() == []
