from __future__ import annotations

import pytest

from sunday_mining.domain.errors import StateConflict, ValidationError
from sunday_mining.domain.guild import DonationPolicy, GuildConfig, Role


def config() -> GuildConfig:
    return GuildConfig(guild_id="100")


def test_adding_a_channel_twice_is_refused() -> None:
    cfg = config().with_channel("11")
    with pytest.raises(StateConflict, match="already a mining channel"):
        cfg.with_channel("11")


def test_only_one_channel_carries_the_dispatch_marker() -> None:
    cfg = config().with_channel("11", dispatch=True).with_channel("12", dispatch=True)
    assert cfg.dispatch_channel_id == "12"
    assert [c.dispatch for c in cfg.channels] == [False, True]


def test_marking_an_existing_channel_as_dispatch_keeps_one_entry() -> None:
    cfg = config().with_channel("11").with_channel("11", dispatch=True)
    assert cfg.channel_ids == ("11",)
    assert cfg.dispatch_channel_id == "11"


def test_removing_an_unknown_channel_says_so() -> None:
    with pytest.raises(StateConflict, match="not a mining channel"):
        config().without_channel("11")


def test_a_channel_id_must_be_a_snowflake() -> None:
    with pytest.raises(ValidationError, match="not a valid channel id"):
        config().with_channel("general")


def test_roles_are_granted_and_revoked() -> None:
    cfg = config().with_role(Role.LEADER, "7", granted=True)
    assert cfg.role_ids(Role.LEADER) == {"7"}
    assert cfg.with_role(Role.LEADER, "7", granted=False).role_ids(Role.LEADER) == frozenset()


@pytest.mark.parametrize(
    ("name", "raw", "attribute", "stored"),
    [
        ("minimum-participation", "20", "minimum_participation_s", 1200),
        ("org-cut", "12.5", "org_cut_bp", 1250),
        ("org-cut", "10%", "org_cut_bp", 1000),
        ("transfer-fee", "0.5", "transfer_fee_bp", 50),
        ("adhoc-idle-timeout", "15", "adhoc_idle_timeout_s", 900),
        ("adhoc-max-length", "6", "adhoc_max_length_s", 21600),
    ],
)
def test_number_settings_are_parsed_into_their_stored_units(
    name: str, raw: str, attribute: str, stored: int
) -> None:
    assert getattr(config().with_setting(name, raw).settings, attribute) == stored


@pytest.mark.parametrize(
    ("name", "raw", "message"),
    [
        ("org-cut", "101", "between 0 and 100"),
        ("org-cut", "100.5", "between 0 and 100"),
        ("org-cut", "-5", "not a number"),
        ("org-cut", "ten", "not a number"),
        ("minimum-participation", "2.5", "whole number"),
        ("adhoc-idle-timeout", "0", "between 1 and 240"),
        ("donation-policy", "charity", "'org' or 'resplit'"),
        ("time-zone", "Mars/Olympus", "not a time zone"),
        ("colour", "blue", "no setting called"),
    ],
)
def test_bad_settings_get_a_message_that_says_what_to_type(
    name: str, raw: str, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        config().with_setting(name, raw)


def test_text_settings() -> None:
    cfg = (
        config()
        .with_setting("donation-policy", "Resplit")
        .with_setting("time-zone", "Europe/Berlin")
    )
    assert cfg.settings.donation_policy is DonationPolicy.RESPLIT
    assert cfg.settings.time_zone == "Europe/Berlin"


def test_the_report_channel_is_a_channel_id_or_nothing() -> None:
    cfg = config().with_report_channel("1400000000000000066")
    assert cfg.settings.report_channel_id == "1400000000000000066"
    assert cfg.with_report_channel(None).settings.report_channel_id is None
    with pytest.raises(ValidationError, match="not a valid channel id"):
        config().with_report_channel("#general")


def test_the_report_channel_is_no_longer_typed_as_a_setting() -> None:
    with pytest.raises(ValidationError, match="no setting called"):
        config().with_setting("report-channel", "1400000000000000066")


def test_the_org_name_is_tidied_bounded_and_clearable() -> None:
    cfg = config().with_setting("org-name", "  Sunday \u200b\n Miners ⛏️ ")
    assert cfg.settings.org_name == "Sunday Miners ⛏️"
    assert cfg.with_setting("org-name", "off").settings.org_name is None
    with pytest.raises(ValidationError, match="60 characters"):
        cfg.with_setting("org-name", "x" * 61)


def test_the_treasurer_is_a_member_id_and_can_be_cleared() -> None:
    cfg = config().with_treasurer("1400000000000000077")
    assert cfg.settings.treasurer_id == "1400000000000000077"
    assert cfg.with_treasurer(None).settings.treasurer_id is None
    with pytest.raises(ValidationError, match="not a valid member id"):
        config().with_treasurer("@ana")
