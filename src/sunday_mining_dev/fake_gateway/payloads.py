"""Builders for the JSON objects Discord sends, shaped as discord.py 2.7.1 reads them.

Only fields the library requires (or that make state checks meaningful) are filled in; the
comments mark the ones whose absence crashes discord.py.
"""

from __future__ import annotations

from typing import Any

from sunday_mining_dev.fake_gateway.model import FakeGuild, FakeMember, FakeVoiceChannel

Json = dict[str, Any]

VOICE_CHANNEL_TYPE = 2
JOINED_AT = "2026-01-04T18:00:00.000000+00:00"


def user(member: FakeMember) -> Json:
    return {
        "id": member.id,
        "username": member.username,
        "global_name": member.global_name,
        "discriminator": "0",
        "avatar": None,
        "bot": member.bot,
        "public_flags": 0,
    }


def me(member: FakeMember) -> Json:
    """GET /users/@me: the user object plus the fields only the owner of a token sees."""
    return {**user(member), "flags": 0, "mfa_enabled": False, "verified": True}


def guild_member(member: FakeMember) -> Json:
    return {
        "user": user(member),
        "nick": member.nick,
        "roles": [],
        "joined_at": JOINED_AT,
        "deaf": False,
        "mute": False,
        "flags": 0,  # KeyError in Member.__init__ without it
        "pending": False,
    }


def voice_state(guild: FakeGuild, user_id: str, channel_id: str | None) -> Json:
    """A voice state as in GUILD_CREATE (no guild_id, no member)."""
    return {
        "user_id": user_id,
        "channel_id": channel_id,
        "session_id": guild.voice_session_id(user_id),
        "deaf": False,
        "mute": False,
        "self_deaf": user_id in guild.self_deafened,
        "self_mute": user_id in guild.self_muted,
        "self_stream": False,
        "self_video": False,
        "suppress": False,
        "request_to_speak_timestamp": None,
    }


def voice_state_update(guild: FakeGuild, user_id: str, channel_id: str | None) -> Json:
    """VOICE_STATE_UPDATE: a full state with guild_id and member (so uncached users work)."""
    return {
        **voice_state(guild, user_id, channel_id),
        "guild_id": guild.id,
        "member": guild_member(guild.member(user_id)),
    }


def voice_channel(guild: FakeGuild, channel: FakeVoiceChannel) -> Json:
    overwrites = []
    if channel.deny_everyone:
        # The @everyone role's id is the guild's id.
        overwrites.append(
            {"id": guild.id, "type": 0, "allow": "0", "deny": str(channel.deny_everyone)}
        )
    return {
        "id": channel.id,
        "type": VOICE_CHANNEL_TYPE,
        "guild_id": guild.id,
        "name": channel.name,
        "position": channel.position,
        "bitrate": channel.bitrate,
        "user_limit": channel.user_limit,
        "parent_id": None,
        "nsfw": False,
        "rtc_region": None,
        "permission_overwrites": overwrites,
    }


def everyone_role(guild: FakeGuild) -> Json:
    return {
        "id": guild.id,
        "name": "@everyone",
        "permissions": str(guild.everyone_permissions),
        "position": 0,
        "color": 0,
        "hoist": False,
        "managed": False,
        "mentionable": False,
        "flags": 0,
    }


def guild_create(guild: FakeGuild, bot_user_id: str, *, all_members: bool) -> Json:
    """GUILD_CREATE. Without GUILD_PRESENCES Discord lists only the bot and voice members."""
    listed = [
        m for m in guild.members if all_members or m.id == bot_user_id or m.id in guild.voice_states
    ]
    return {
        "id": guild.id,
        "name": guild.name,
        "unavailable": False,
        "owner_id": guild.owner_id,
        "member_count": len(guild.members),
        "large": False,
        "joined_at": JOINED_AT,
        "roles": [everyone_role(guild)],
        "emojis": [],
        "stickers": [],
        "features": [],
        "channels": [voice_channel(guild, c) for c in guild.channels],
        "threads": [],
        "members": [guild_member(m) for m in listed],
        "voice_states": [voice_state(guild, uid, cid) for uid, cid in guild.voice_states.items()],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
    }


def application(application_id: str, owner: FakeMember) -> Json:
    """GET /oauth2/applications/@me; a 404 here makes Client.login() fail."""
    return {
        "id": application_id,
        "name": owner.username,
        "description": "Loopback fake of Discord",
        "icon": None,
        "bot_public": False,
        "bot_require_code_grant": False,
        "owner": user(FakeMember(id="100000000000000002", username="owner")),
        "verify_key": "00" * 32,
        "flags": 0,
        # Null on purpose: a value makes discord.py warn at login.
        "interactions_endpoint_url": None,
    }


def ready(
    bot: FakeMember,
    guilds: list[FakeGuild],
    *,
    session_id: str,
    resume_gateway_url: str,
    application_id: str,
    shard: list[int] | None,
) -> Json:
    payload: Json = {
        "v": 10,
        "user": me(bot),
        "guilds": [{"id": g.id, "unavailable": True} for g in guilds],
        "session_id": session_id,
        "session_type": "normal",
        "resume_gateway_url": resume_gateway_url,
        "application": {"id": application_id, "flags": 0},
        "private_channels": [],
        "relationships": [],
    }
    if shard is not None:
        payload["shard"] = shard  # AutoShardedClient reads it back (KeyError otherwise)
    return payload


def error(status: int, reason: str) -> Json:
    """Discord's JSON error body, e.g. {"message": "404: Not Found", "code": 0}."""
    return {"message": f"{status}: {reason}", "code": 0}
