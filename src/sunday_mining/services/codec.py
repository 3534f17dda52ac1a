"""Domain objects to store items and back. The only place that knows attribute names."""

from __future__ import annotations

from collections.abc import Mapping

from sunday_mining.domain.guild import (
    DonationPolicy,
    GuildConfig,
    GuildSettings,
    MiningChannel,
    Role,
)
from sunday_mining.domain.presence import VoiceEvent, VoiceSnapshot
from sunday_mining.domain.session import (
    ActiveWindow,
    PayrollState,
    Session,
    SessionStatus,
    SessionType,
    StopReason,
)
from sunday_mining.ports.store import Item
from sunday_mining.services import keys

OBSERVATION_TTL_S = 400 * 86400


def _members(seed: Mapping[str, frozenset[str]]) -> dict[str, list[str]]:
    return {channel: sorted(users) for channel, users in seed.items()}


def _member_sets(raw: Mapping[str, list[str]]) -> dict[str, frozenset[str]]:
    return {channel: frozenset(users) for channel, users in raw.items()}


# --- guild config -----------------------------------------------------------------------------


def config_to_item(config: GuildConfig) -> Item:
    s = config.settings
    pk, sk = keys.config_key(config.guild_id)
    return {
        "pk": pk,
        "sk": sk,
        "guild_id": config.guild_id,
        "channels": [
            {"id": c.channel_id, "dispatch": c.dispatch} | ({"name": c.name} if c.name else {})
            for c in config.channels
        ],
        "roles": {role.value: sorted(ids) for role, ids in config.roles.items()},
        "settings": {
            "minimum_participation_s": s.minimum_participation_s,
            "org_cut_bp": s.org_cut_bp,
            "donation_policy": s.donation_policy.value,
            "transfer_fee_bp": s.transfer_fee_bp,
            "adhoc_idle_timeout_s": s.adhoc_idle_timeout_s,
            "adhoc_max_length_s": s.adhoc_max_length_s,
            "report_channel_id": s.report_channel_id,
            "time_zone": s.time_zone,
            "org_name": s.org_name,
            "treasurer_id": s.treasurer_id,
            "payout_dms": s.payout_dms,
            "unpaid_reminder_days": s.unpaid_reminder_days,
        },
        "version": config.version,
    }


def config_from_item(item: Item) -> GuildConfig:
    raw = dict(item.get("settings", {}))
    defaults = GuildSettings()
    settings = GuildSettings(
        minimum_participation_s=int(
            raw.get("minimum_participation_s", defaults.minimum_participation_s)
        ),
        org_cut_bp=int(raw.get("org_cut_bp", defaults.org_cut_bp)),
        donation_policy=DonationPolicy(raw.get("donation_policy", defaults.donation_policy)),
        transfer_fee_bp=int(raw.get("transfer_fee_bp", defaults.transfer_fee_bp)),
        adhoc_idle_timeout_s=int(raw.get("adhoc_idle_timeout_s", defaults.adhoc_idle_timeout_s)),
        adhoc_max_length_s=int(raw.get("adhoc_max_length_s", defaults.adhoc_max_length_s)),
        report_channel_id=raw.get("report_channel_id"),
        time_zone=str(raw.get("time_zone", defaults.time_zone)),
        org_name=raw.get("org_name") or None,
        treasurer_id=raw.get("treasurer_id") or None,
        payout_dms=bool(raw.get("payout_dms", defaults.payout_dms)),
        unpaid_reminder_days=int(raw.get("unpaid_reminder_days", defaults.unpaid_reminder_days)),
    )
    return GuildConfig(
        guild_id=str(item["guild_id"]),
        channels=tuple(
            MiningChannel(str(c["id"]), bool(c.get("dispatch")), c.get("name") or None)
            for c in item.get("channels", [])
        ),
        roles={Role(name): frozenset(ids) for name, ids in item.get("roles", {}).items()},
        settings=settings,
        version=int(item.get("version", 0)),
    )


# --- sessions ---------------------------------------------------------------------------------


def session_to_item(session: Session) -> Item:
    pk, sk = keys.session_key(session.guild_id, session.session_id)
    item: Item = {
        "pk": pk,
        "sk": sk,
        "guild_id": session.guild_id,
        "session_id": session.session_id,
        "type": session.type.value,
        "status": session.status.value,
        "name": session.name,
        "creator_id": session.creator_id,
        "channel_ids": list(session.channel_ids),
        "windows": [
            {
                "start": w.start_ms,
                "stop": w.stop_ms,
                "seated": {user: [channel, t] for user, (channel, t) in w.seed.items()},
            }
            for w in session.windows
        ],
        "stop_reason": session.stop_reason.value if session.stop_reason else None,
        "payroll_state": session.payroll_state.value,
        "version": session.version,
        "gsi2pk": keys.creator_index_pk(session.guild_id, session.creator_id),
        "gsi2sk": session.session_id,
    }
    if session.is_active:
        # Sparse index: only active sessions carry these, so listing them is one small query.
        item["gsi1pk"] = keys.active_index_pk(session.guild_id)
        item["gsi1sk"] = session.session_id
    return item


def session_from_item(item: Item) -> Session:
    reason = item.get("stop_reason")
    return Session(
        guild_id=str(item["guild_id"]),
        session_id=str(item["session_id"]),
        type=SessionType(item["type"]),
        name=str(item["name"]),
        creator_id=str(item["creator_id"]),
        channel_ids=tuple(item["channel_ids"]),
        windows=tuple(
            ActiveWindow(int(w["start"]), w.get("stop"), _seated(w)) for w in item["windows"]
        ),
        status=SessionStatus(item["status"]),
        stop_reason=StopReason(reason) if reason else None,
        payroll_state=PayrollState(item.get("payroll_state", PayrollState.NONE)),
        version=int(item.get("version", 0)),
    )


# --- observations -----------------------------------------------------------------------------


def event_to_item(guild_id: str, event: VoiceEvent, now_s: int) -> Item:
    return {
        "pk": keys.observations_pk(guild_id),
        "sk": keys.observation_sk(event.t_ms, event.conn, event.seq, "e"),
        "kind": "e",
        "t": event.t_ms,
        "conn": event.conn,
        "seq": event.seq,
        "user": event.user_id,
        "channel": event.channel_id,
        "ttl": now_s + OBSERVATION_TTL_S,
    }


def snapshot_to_item(guild_id: str, snapshot: VoiceSnapshot, now_s: int) -> Item:
    return {
        "pk": keys.observations_pk(guild_id),
        "sk": keys.observation_sk(snapshot.t_ms, snapshot.conn, snapshot.seq, "s"),
        "kind": "s",
        "t": snapshot.t_ms,
        "conn": snapshot.conn,
        "seq": snapshot.seq,
        "channels": _members(snapshot.channels),
        "ttl": now_s + OBSERVATION_TTL_S,
    }


def observation_from_item(item: Item) -> VoiceEvent | VoiceSnapshot:
    if item["kind"] == "e":
        return VoiceEvent(
            t_ms=int(item["t"]),
            conn=str(item["conn"]),
            seq=int(item["seq"]),
            user_id=str(item["user"]),
            channel_id=item.get("channel"),
        )
    return VoiceSnapshot(
        t_ms=int(item["t"]),
        conn=str(item["conn"]),
        seq=int(item["seq"]),
        channels=_member_sets(item["channels"]),
    )


def _seated(window: Item) -> dict[str, tuple[str | None, int]]:
    if "seated" in window:
        return {
            str(user): (None if channel is None else str(channel), int(t))
            for user, (channel, t) in window["seated"].items()
        }
    # Written before the seed kept when each member was observed: as seated at the start.
    start = int(window["start"])
    return {
        str(user): (str(channel), start)
        for channel, users in window.get("seed", {}).items()
        for user in users
    }
