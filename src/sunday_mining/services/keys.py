"""Where each kind of item lives in the single table. Every key starts with the guild."""

from __future__ import annotations

from sunday_mining.ports.store import Key

GUILD_REGISTRY_PK = "GUILDS"


def guild_pk(guild_id: str) -> str:
    return f"G#{guild_id}"


def config_key(guild_id: str) -> Key:
    return guild_pk(guild_id), "CONFIG"


def presence_key(guild_id: str) -> Key:
    return guild_pk(guild_id), "PRESENCE"


def session_key(guild_id: str, session_id: str) -> Key:
    return guild_pk(guild_id), f"SESSION#{session_id}"


SESSION_PREFIX = "SESSION#"


def channel_lock_key(guild_id: str, channel_id: str) -> Key:
    return guild_pk(guild_id), f"LOCK#CHANNEL#{channel_id}"


def sunday_lock_key(guild_id: str) -> Key:
    return guild_pk(guild_id), "LOCK#SUNDAY"


def active_index_pk(guild_id: str) -> str:
    return f"ACTIVE#{guild_id}"


def creator_index_pk(guild_id: str, user_id: str) -> str:
    return f"CREATOR#{guild_id}#{user_id}"


def observations_pk(guild_id: str) -> str:
    return f"G#{guild_id}#OBS"


def observation_sk(t_ms: int, conn: str, seq: int, kind: str) -> str:
    # Fixed-width time first, so a window of a session is one sort-key range.
    return f"{t_ms:013d}#{conn}#{seq:012d}#{kind}"


def time_sk(t_ms: int) -> str:
    return f"{t_ms:013d}"


def batch_key(guild_id: str, conn: str, batch_seq: int) -> Key:
    return f"G#{guild_id}#BATCH", f"{conn}#{batch_seq:012d}"


def members_pk(guild_id: str) -> str:
    # A partition of its own: reading every known name of a guild is one query, and the busy
    # guild partition (presence, sessions) carries no personal data.
    return f"G#{guild_id}#MEMBER"


MEMBER_PREFIX = "MEMBER#"


def member_key(guild_id: str, user_id: str) -> Key:
    return members_pk(guild_id), f"{MEMBER_PREFIX}{user_id}"


# The guild's audit log, in the guild partition: payroll decisions and handles set by officers.
AUDIT_PREFIX = "AUDIT#"
HANDLE_PREFIX = "HANDLE#"


def handle_key(guild_id: str, user_id: str) -> Key:
    """A member's in-game handle: beside their name, but with no time to live (a handle is
    what the member asked to be paid under, kept until they clear it)."""
    return members_pk(guild_id), f"{HANDLE_PREFIX}{user_id}"


PREFS_PREFIX = "PREFS#"


def prefs_key(guild_id: str, user_id: str) -> Key:
    """A member's own choices about what the bot tells them (services/member_prefs.py)."""
    return members_pk(guild_id), f"{PREFS_PREFIX}{user_id}"


def worker_heartbeat_key() -> Key:
    return "WORKER", "HEARTBEAT"


def worker_lease_key() -> Key:
    return "WORKER", "LEASE"


def worker_outdated_key() -> Key:
    """When a worker of an older protocol version was last refused (for diagnostics)."""
    return "WORKER", "OUTDATED"


def refinery_pk(guild_id: str) -> str:
    # A partition of its own: the timer reads every job of a guild without touching the busy
    # guild partition (presence, sessions).
    return f"G#{guild_id}#REFINERY"


REFINERY_JOB_PREFIX = "JOB#"


def refinery_job_key(guild_id: str, job_id: str) -> Key:
    return refinery_pk(guild_id), f"{REFINERY_JOB_PREFIX}{job_id}"
