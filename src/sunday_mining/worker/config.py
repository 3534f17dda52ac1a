"""The worker's settings, read once from the environment. Secrets never appear in a repr."""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from sunday_mining.domain.errors import ValidationError
from sunday_mining.ports.worker_protocol import MAX_BATCH_RECORDS

VoiceMode = Literal["state", "full"]
_PLACEHOLDERS = {"changeme", "change-me", "secret", "password", "example", "xxx"}


def default_worker_id() -> str:
    """Host name, pid and a random part, made once per process start.

    Host name and pid alone are not enough: in a container the pid is always 1, and two
    containers on one host network share the host name, so both would hold the lease (it is
    granted again to its own holder).
    """
    host = "".join(c if c.isalnum() or c in "._-" else "-" for c in socket.gethostname())
    return _unique(f"{host or 'worker'}-{os.getpid()}")


def _unique(name: str) -> str:
    return f"{name[:_NAME_MAX]}-{secrets.token_hex(4)}"


_NAME_MAX = 91  # the id is at most 100 characters: the name, '-' and 8 hex digits


@dataclass(frozen=True)
class WorkerSettings:
    bot_token: str = field(repr=False)
    app_url: str
    worker_secret: str = field(repr=False)
    spool_dir: Path = Path("var/worker-spool")
    worker_id: str = field(default_factory=default_worker_id)
    voice_mode: VoiceMode = "state"
    heartbeat_interval_s: float = 15.0
    snapshot_interval_s: float = 60.0
    batch_flush_s: float = 1.0
    batch_max_records: int = 50
    lease_ttl_s: int = 60
    # How often a worker without the lease asks again; None means ttl / 2, as the protocol says.
    lease_retry_s: float | None = None
    http_timeout_s: float = 5.0
    # Touched after every successful heartbeat (and lease answer); the container's HEALTHCHECK.
    health_file: Path | None = None
    # How long the bot's own voice state may take to confirm a join or a leave.
    voice_confirm_s: float = 15.0
    voice_backoff_max_s: float = 300.0
    # Crash-loop backoff of the gateway session (exponential with jitter, capped).
    restart_backoff_s: float = 5.0
    restart_backoff_max_s: float = 900.0
    # How long a graceful stop may spend delivering what is left before it leaves it spooled.
    shutdown_grace_s: float = 5.0
    log_level: str = "INFO"
    # Where discord.py connects; None: Discord itself. A loopback fake Discord in checks.
    discord_api_base: str | None = None
    discord_gateway_url: str | None = None

    @property
    def lease_retry_interval_s(self) -> float:
        return self.lease_retry_s if self.lease_retry_s is not None else self.lease_ttl_s / 2

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> WorkerSettings:
        env = os.environ if env is None else env
        token = env.get("DISCORD_BOT_TOKEN", "").strip()
        if not token:
            raise ValidationError("DISCORD_BOT_TOKEN is not set: the worker needs the bot token.")
        app_url = env.get("SM_APP_URL", "").strip().rstrip("/")
        if not app_url.startswith(("http://", "https://")):
            raise ValidationError("SM_APP_URL must be the app's base URL, e.g. https://app.example")
        mode = env.get("SM_WORKER_VOICE_MODE", "state").strip().lower()
        if mode not in ("state", "full"):
            raise ValidationError(f"SM_WORKER_VOICE_MODE must be 'state' or 'full', not '{mode}'.")
        ttl = int(_number(env, "SM_WORKER_LEASE_TTL_S", cls.lease_ttl_s))
        if not 30 <= ttl <= 300:
            raise ValidationError("SM_WORKER_LEASE_TTL_S must be between 30 and 300 seconds.")
        batch_max = int(_number(env, "SM_WORKER_BATCH_MAX", cls.batch_max_records))
        if not 1 <= batch_max <= MAX_BATCH_RECORDS:
            raise ValidationError(f"SM_WORKER_BATCH_MAX must be 1 to {MAX_BATCH_RECORDS}.")
        health = env.get("SM_WORKER_HEALTH_FILE", "").strip()
        retry = env.get("SM_WORKER_LEASE_RETRY_S", "").strip()
        return cls(
            bot_token=token,
            app_url=app_url,
            worker_secret=_secret(env.get("SM_WORKER_SECRET", "")),
            spool_dir=Path(env.get("SM_WORKER_SPOOL", "").strip() or "var/worker-spool"),
            worker_id=_worker_id(env.get("SM_WORKER_ID", "").strip()),
            voice_mode="full" if mode == "full" else "state",
            heartbeat_interval_s=_number(env, "SM_WORKER_HEARTBEAT_S", cls.heartbeat_interval_s),
            snapshot_interval_s=_number(env, "SM_WORKER_SNAPSHOT_S", cls.snapshot_interval_s),
            batch_flush_s=_number(env, "SM_WORKER_BATCH_FLUSH_S", cls.batch_flush_s),
            batch_max_records=batch_max,
            lease_ttl_s=ttl,
            lease_retry_s=_number(env, "SM_WORKER_LEASE_RETRY_S", 1.0) if retry else None,
            http_timeout_s=_number(env, "SM_WORKER_HTTP_TIMEOUT_S", cls.http_timeout_s),
            health_file=Path(health) if health else None,
            voice_confirm_s=_number(env, "SM_WORKER_VOICE_CONFIRM_S", cls.voice_confirm_s),
            restart_backoff_s=_number(env, "SM_WORKER_RESTART_BACKOFF_S", cls.restart_backoff_s),
            restart_backoff_max_s=_number(
                env, "SM_WORKER_RESTART_BACKOFF_MAX_S", cls.restart_backoff_max_s
            ),
            log_level=env.get("SM_LOG_LEVEL", "INFO").strip().upper() or "INFO",
            discord_api_base=_endpoint(env, "SM_DISCORD_API_BASE", ("http://", "https://")),
            discord_gateway_url=_endpoint(env, "SM_DISCORD_GATEWAY_URL", ("ws://", "wss://")),
        )


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise ValidationError(f"{name} must be a number of seconds, not '{text}'.") from None
    if not value > 0:
        raise ValidationError(f"{name} must be greater than 0.")
    return value


def _endpoint(env: Mapping[str, str], name: str, schemes: tuple[str, ...]) -> str | None:
    text = env.get(name, "").strip().rstrip("/")
    if not text:
        return None
    if not text.startswith(schemes):
        raise ValidationError(f"{name} must start with {' or '.join(schemes)} (got '{text[:40]}').")
    return text


def _worker_id(text: str) -> str:
    """SM_WORKER_ID names the worker; the id in the lease is that name plus a random part, so
    two processes started with one configuration still never share the lease."""
    if not text:
        return default_worker_id()
    if len(text) > _NAME_MAX or not all(c.isalnum() or c in "._:-" for c in text):
        raise ValidationError(
            f"SM_WORKER_ID may hold at most {_NAME_MAX} letters, digits and . _ : -"
        )
    return _unique(text)


def _secret(value: str) -> str:
    """Refuse a missing, placeholder or short secret, naming the variable, never the value."""
    value = value.strip()
    if value.lower() in _PLACEHOLDERS or len(value) < 32:
        raise ValidationError(
            "SM_WORKER_SECRET must be the app's worker secret, a random string of at least 32 "
            "characters (`python -c 'import secrets; print(secrets.token_hex(32))'`)."
        )
    return value
