"""A guild's configuration: mining channels, roles and settings, each validated on the way in."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sunday_mining.domain.errors import StateConflict, ValidationError
from sunday_mining.domain.ids import is_snowflake

MAX_MINING_CHANNELS = 50
MAX_ROLE_IDS = 25


class Role(StrEnum):
    """What a Discord role lets its members do here (admins can always do everything)."""

    LEADER = "leader"
    PAYROLL = "payroll"
    ADHOC = "adhoc"


class DonationPolicy(StrEnum):
    """Where a donated time share goes: to the org, or re-split among the other participants."""

    ORG = "org"
    RESPLIT = "resplit"


@dataclass(frozen=True)
class MiningChannel:
    channel_id: str
    dispatch: bool = False
    name: str | None = None  # as Discord resolved it when added; reports print it


@dataclass(frozen=True)
class GuildSettings:
    minimum_participation_s: int = 15 * 60
    org_cut_bp: int = 0  # basis points: 1,000 = 10 %
    donation_policy: DonationPolicy = DonationPolicy.ORG
    transfer_fee_bp: int = 0
    adhoc_idle_timeout_s: int = 10 * 60
    adhoc_max_length_s: int = 12 * 3600
    report_channel_id: str | None = None
    time_zone: str = "UTC"
    org_name: str | None = None  # the heading of payroll reports
    treasurer_id: str | None = None  # the member who holds the org's cut when payrolls settle
    payout_dms: bool = False  # payees are told their line by direct message
    unpaid_reminder_days: int = 0  # weekly list of lines unpaid this long; 0: no reminder


@dataclass(frozen=True)
class SettingSpec:
    """How an admin types a setting, its range, and how it maps onto GuildSettings."""

    name: str
    attribute: str
    unit: str
    low: int
    high: int
    scale: int  # stored value = typed value * scale
    help: str


SETTING_SPECS: dict[str, SettingSpec] = {
    spec.name: spec
    for spec in (
        SettingSpec(
            "minimum-participation",
            "minimum_participation_s",
            "minutes",
            0,
            600,
            60,
            "Members with less credited time are listed but not paid.",
        ),
        SettingSpec(
            "org-cut",
            "org_cut_bp",
            "percent",
            0,
            100,
            100,
            "The org's percentage, prefilled in every payroll.",
        ),
        SettingSpec(
            "transfer-fee",
            "transfer_fee_bp",
            "percent",
            0,
            10,
            100,
            "Fee deducted from each payout for the in-game transfer.",
        ),
        SettingSpec(
            "adhoc-idle-timeout",
            "adhoc_idle_timeout_s",
            "minutes",
            1,
            240,
            60,
            "An adhoc session stops itself after its channel is empty this long.",
        ),
        SettingSpec(
            "adhoc-max-length",
            "adhoc_max_length_s",
            "hours",
            1,
            48,
            3600,
            "An adhoc session stops itself after running this long.",
        ),
        SettingSpec(
            "unpaid-reminder-days",
            "unpaid_reminder_days",
            "days",
            0,
            90,
            1,
            "Once a week, the report channel lists lines unpaid this long (0: never).",
        ),
    )
}


def parse_snowflake(text: str, what: str) -> str:
    text = text.strip()
    if not is_snowflake(text):
        raise ValidationError(f"That is not a valid {what} id; pick the {what} from the list.")
    return text


def parse_number_setting(spec: SettingSpec, raw: str) -> int:
    """Parse what an admin typed ("15", "12.5") into the stored integer, within range."""
    text = raw.strip().removesuffix("%").strip()
    match = re.fullmatch(r"(\d{1,6})(?:\.(\d{1,2}))?", text, re.ASCII)
    if match is None:
        raise ValidationError(
            f"'{raw[:40]}' is not a number; type {spec.name} in {spec.unit}, e.g. {spec.low + 1}."
        )
    whole, frac = int(match.group(1)), match.group(2) or ""
    if not spec.low <= whole <= spec.high or (whole == spec.high and frac.strip("0")):
        raise ValidationError(
            f"{spec.name} must be between {spec.low} and {spec.high} {spec.unit}."
        )
    if spec.scale == 100:
        return whole * 100 + int(frac.ljust(2, "0"))
    if frac:
        raise ValidationError(f"{spec.name} must be a whole number of {spec.unit}.")
    return whole * spec.scale


def parse_time_zone(raw: str) -> str:
    name = raw.strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            f"'{name[:40]}' is not a time zone I know; use a name like Europe/Berlin or "
            "America/New_York."
        ) from None
    return name


def time_zone_names() -> list[str]:
    return sorted(available_timezones())


@dataclass(frozen=True)
class GuildConfig:
    guild_id: str
    channels: tuple[MiningChannel, ...] = ()
    roles: dict[Role, frozenset[str]] = field(default_factory=dict)
    settings: GuildSettings = field(default_factory=GuildSettings)
    version: int = 0

    @property
    def channel_ids(self) -> tuple[str, ...]:
        return tuple(c.channel_id for c in self.channels)

    @property
    def dispatch_channel_id(self) -> str | None:
        return next((c.channel_id for c in self.channels if c.dispatch), None)

    def role_ids(self, role: Role) -> frozenset[str]:
        return self.roles.get(role, frozenset())

    def with_channel(
        self, channel_id: str, *, dispatch: bool = False, name: str | None = None
    ) -> GuildConfig:
        channel_id = parse_snowflake(channel_id, "channel")
        if channel_id in self.channel_ids and not dispatch:
            raise StateConflict("That channel is already a mining channel.")
        if channel_id not in self.channel_ids and len(self.channels) >= MAX_MINING_CHANNELS:
            raise ValidationError(
                f"A server can have at most {MAX_MINING_CHANNELS} mining channels; "
                "remove one first."
            )
        # Only one dispatch channel: marking a new one clears the old marker.
        kept = [
            replace(c, dispatch=False) if dispatch else c
            for c in self.channels
            if c.channel_id != channel_id
        ]
        kept.append(MiningChannel(channel_id, dispatch, (name or "")[:100] or None))
        return replace(self, channels=tuple(kept))

    def without_channel(self, channel_id: str) -> GuildConfig:
        if channel_id not in self.channel_ids:
            raise StateConflict("That channel is not a mining channel.")
        return replace(self, channels=tuple(c for c in self.channels if c.channel_id != channel_id))

    def with_role(self, role: Role, role_id: str, *, granted: bool) -> GuildConfig:
        role_id = parse_snowflake(role_id, "role")
        current = self.role_ids(role)
        if granted and len(current) >= MAX_ROLE_IDS and role_id not in current:
            raise ValidationError(f"At most {MAX_ROLE_IDS} roles can be {role.value} roles.")
        if not granted and role_id not in current:
            raise StateConflict(f"That role is not one of the {role.value} roles.")
        updated = current | {role_id} if granted else current - {role_id}
        return replace(self, roles={**self.roles, role: frozenset(updated)})

    def with_report_channel(self, channel_id: str | None) -> GuildConfig:
        """Where final Sunday-op reports are posted for the whole org; None: nowhere."""
        channel = None if channel_id is None else parse_snowflake(channel_id, "channel")
        return replace(self, settings=replace(self.settings, report_channel_id=channel))

    def with_treasurer(self, user_id: str | None) -> GuildConfig:
        """Who holds the org's cut: sellers send it to them; None: nobody named yet."""
        treasurer = None if user_id is None else parse_snowflake(user_id, "member")
        return replace(self, settings=replace(self.settings, treasurer_id=treasurer))

    def with_setting(self, name: str, raw: str) -> GuildConfig:
        """Set one setting from what an admin typed; raise ValidationError with the fix."""
        settings = self.settings
        if name in SETTING_SPECS:
            spec = SETTING_SPECS[name]
            values: dict[str, Any] = {spec.attribute: parse_number_setting(spec, raw)}
            settings = replace(settings, **values)
        elif name == "donation-policy":
            try:
                policy = DonationPolicy(raw.strip().lower())
            except ValueError:
                raise ValidationError("donation-policy must be 'org' or 'resplit'.") from None
            settings = replace(settings, donation_policy=policy)
        elif name == "time-zone":
            settings = replace(settings, time_zone=parse_time_zone(raw))
        elif name == "org-name":
            settings = replace(settings, org_name=parse_org_name(raw))
        elif name == "payout-dms":
            settings = replace(settings, payout_dms=parse_switch(name, raw))
        else:
            raise ValidationError(f"There is no setting called '{name[:40]}'.")
        return replace(self, settings=settings)


# Typed with /mining-admin settings set; the report channel and the treasurer are picked from a
# list instead (/mining-admin settings report-channel, … treasurer), so nobody copies an id.
SETTING_NAMES = (*SETTING_SPECS, "donation-policy", "time-zone", "org-name", "payout-dms")
MAX_ORG_NAME = 60


def parse_org_name(raw: str) -> str | None:
    """The org's name as reports print it: spaces collapsed, no control characters; ``none`` or
    ``off`` (or nothing) clears it."""
    kept = "".join(ch if ch.isprintable() else " " * ch.isspace() for ch in raw)
    name = " ".join(kept.split())
    if name.lower() in {"", "none", "off"}:
        return None
    if len(name) > MAX_ORG_NAME:
        raise ValidationError(f"Keep org-name to {MAX_ORG_NAME} characters.")
    return name


def parse_switch(name: str, raw: str) -> bool:
    word = raw.strip().lower()
    if word in {"on", "yes", "true"}:
        return True
    if word in {"off", "no", "false"}:
        return False
    raise ValidationError(f"{name} must be 'on' or 'off'.")
