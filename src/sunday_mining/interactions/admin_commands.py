"""/mining-admin: channels, roles and settings. Manage Server is re-checked on every call."""

from __future__ import annotations

from typing import Any

from sunday_mining.domain.errors import ValidationError
from sunday_mining.domain.guild import (
    SETTING_SPECS,
    GuildConfig,
    GuildSettings,
    Role,
)
from sunday_mining.domain.wording import counted
from sunday_mining.interactions import permissions
from sunday_mining.interactions.context import Context
from sunday_mining.interactions.payload import TEXT_CHANNEL_TYPES, VOICE_CHANNEL_TYPES, OptionType
from sunday_mining.interactions.responses import COLOUR_INFO, Embed, message


def _admin(ctx: Context) -> None:
    permissions.require_admin(ctx.interaction)


def _voice_channel_id(ctx: Context) -> str:
    channel = ctx.interaction.channel("channel")
    if channel is None:
        raise ValidationError("Pick a voice channel.")
    if channel.type not in VOICE_CHANNEL_TYPES:
        raise ValidationError(f"<#{channel.id}> is not a voice channel; pick a voice channel.")
    return channel.id


def channels_add(ctx: Context) -> dict[str, Any]:
    _admin(ctx)
    channel_id = _voice_channel_id(ctx)
    dispatch_option = ctx.interaction.option("dispatch")
    dispatch = bool(dispatch_option and dispatch_option.value is True)
    resolved = ctx.interaction.channel("channel")
    config = ctx.services.guilds.add_channel(
        ctx.guild_id, channel_id, dispatch=dispatch, name=resolved.name if resolved else None
    )
    what = "a mining channel and the dispatch channel: the bot sits there during an op"
    text = f"<#{channel_id}> is now {what if dispatch else 'a mining channel'}."
    return message(
        f"{text} Sunday ops track {counted(len(config.channels), 'channel')}.", ephemeral=True
    )


def channels_remove(ctx: Context) -> dict[str, Any]:
    _admin(ctx)
    channel_id = _voice_channel_id(ctx)
    ctx.services.guilds.remove_channel(ctx.guild_id, channel_id)
    return message(
        f"<#{channel_id}> is no longer a mining channel; a running op keeps tracking it "
        "until it stops.",
        ephemeral=True,
    )


def channels_list(ctx: Context) -> dict[str, Any]:
    _admin(ctx)
    return message(embeds=[_channels_embed(ctx.config)], ephemeral=True)


def _channels_embed(config: GuildConfig) -> Embed:
    if not config.channels:
        return Embed("Mining channels", "None yet: add one with /mining-admin channels add.")
    lines = [
        f"<#{c.channel_id}>" + (" — 📡 dispatch" if c.dispatch else "") for c in config.channels
    ]
    embed = Embed("Mining channels", "\n".join(lines), COLOUR_INFO)
    if config.dispatch_channel_id is None:
        embed.footer = "No dispatch channel: the bot will not sit in voice during ops."
    return embed


def _role_args(ctx: Context) -> tuple[Role, str]:
    kind = ctx.interaction.string("kind") or ""
    try:
        role = Role(kind)
    except ValueError:
        raise ValidationError("Pick leader, payroll or adhoc as the kind.") from None
    option = ctx.interaction.option("role")
    if option is None or option.type is not OptionType.ROLE or not isinstance(option.value, str):
        raise ValidationError("Pick a role.")
    return role, option.value


_ROLE_GRANTS = {
    Role.LEADER: "start and stop Sunday ops and stop any session",
    Role.PAYROLL: "run payroll",
    Role.ADHOC: "start adhoc sessions",
}


def roles_add(ctx: Context) -> dict[str, Any]:
    _admin(ctx)
    role, role_id = _role_args(ctx)
    ctx.services.guilds.set_role(ctx.guild_id, role, role_id, granted=True)
    return message(f"Members with <@&{role_id}> can now {_ROLE_GRANTS[role]}.", ephemeral=True)


def roles_remove(ctx: Context) -> dict[str, Any]:
    _admin(ctx)
    role, role_id = _role_args(ctx)
    ctx.services.guilds.set_role(ctx.guild_id, role, role_id, granted=False)
    return message(
        f"<@&{role_id}> no longer lets its members {_ROLE_GRANTS[role]}.", ephemeral=True
    )


_ROLE_MEANING = {
    Role.LEADER: "start and stop Sunday ops, stop any session",
    Role.PAYROLL: "run payroll",
    Role.ADHOC: "start adhoc sessions (if none are set, everyone may)",
}


def roles_list(ctx: Context) -> dict[str, Any]:
    _admin(ctx)
    embed = Embed("Roles", "Members with Manage Server can always do everything.", COLOUR_INFO)
    for role in Role:
        ids = ctx.config.role_ids(role)
        embed.add(
            f"{role.value} — {_ROLE_MEANING[role]}",
            ", ".join(f"<@&{r}>" for r in sorted(ids)) or "none",
        )
    return message(embeds=[embed], ephemeral=True)


def settings_set(ctx: Context) -> dict[str, Any]:
    _admin(ctx)
    name = ctx.interaction.string("name") or ""
    value = ctx.interaction.string("value") or ""
    config = ctx.services.guilds.set_setting(ctx.guild_id, name, value)
    return message(
        _sentence(f"{name} is now {setting_values(config.settings)[name]}"), ephemeral=True
    )


def _sentence(text: str) -> str:
    """End with one full stop: a value may end in its own ("Sunday Mining Co.")."""
    return text if text.endswith((".", "!", "?")) else text + "."


def settings_report_channel(ctx: Context) -> dict[str, Any]:
    _admin(ctx)
    channel = ctx.interaction.channel("channel")
    if channel is None:
        ctx.services.guilds.set_report_channel(ctx.guild_id, None)
        return message(
            "Final payroll reports are no longer posted in a channel; each goes to the officer "
            "who finalized it.",
            ephemeral=True,
        )
    if channel.type not in TEXT_CHANNEL_TYPES:
        raise ValidationError(f"<#{channel.id}> is not a text channel; pick a text channel.")
    ctx.services.guilds.set_report_channel(ctx.guild_id, channel.id)
    return message(
        f"Final Sunday-op payroll reports are now posted in <#{channel.id}> for everyone to "
        "read (without pinging anyone). The bot needs Send Messages and Attach Files there.",
        ephemeral=True,
    )


def settings_treasurer(ctx: Context) -> dict[str, Any]:
    _admin(ctx)
    option = ctx.interaction.option("member")
    if option is None:
        ctx.services.guilds.set_treasurer(ctx.guild_id, None)
        return message(
            "Nobody holds the org's cut now: a payroll with several sellers and an org cut asks "
            "for a treasurer before it is finalized.",
            ephemeral=True,
        )
    if option.type is not OptionType.USER or not isinstance(option.value, str):
        raise ValidationError("Pick a member.")
    ctx.services.guilds.set_treasurer(ctx.guild_id, option.value)
    return message(
        f"<@{option.value}> is now the treasurer: when a payroll's sellers settle up, the org's "
        "cut is sent to them.",
        ephemeral=True,
    )


def settings_show(ctx: Context) -> dict[str, Any]:
    _admin(ctx)
    embed = Embed(
        "Settings",
        "Change one with /mining-admin settings set; pick the report channel with "
        "/mining-admin settings report-channel and the treasurer with "
        "/mining-admin settings treasurer.",
        COLOUR_INFO,
    )
    for name, value in setting_values(ctx.config.settings).items():
        embed.add(name, value, inline=True)
    return message(embeds=[embed], ephemeral=True)


def setting_values(settings: GuildSettings) -> dict[str, str]:
    shown: dict[str, str] = {}
    for name, spec in SETTING_SPECS.items():
        stored = int(getattr(settings, spec.attribute))
        if spec.scale == 100:
            shown[name] = f"{stored / 100:g} %"
        else:
            shown[name] = f"{stored // spec.scale} {spec.unit}"
    shown["donation-policy"] = settings.donation_policy.value
    shown["time-zone"] = settings.time_zone
    report = settings.report_channel_id
    shown["report-channel"] = f"<#{report}>" if report else "none"
    shown["org-name"] = settings.org_name or "none (reports show the server id)"
    treasurer = settings.treasurer_id
    shown["treasurer"] = f"<@{treasurer}>" if treasurer else "none"
    shown["payout-dms"] = "on" if settings.payout_dms else "off"
    if not settings.unpaid_reminder_days:
        shown["unpaid-reminder-days"] = "off"
    return shown
