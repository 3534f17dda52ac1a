"""Settings from the environment, validated once. Every variable is listed in the README."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sunday_mining.domain.errors import ValidationError

STORES = ("sqlite", "dynamodb")


@dataclass(frozen=True)
class Settings:
    store: str = "sqlite"
    sqlite_path: Path = Path("var/sunday-mining.sqlite3")
    table_name: str = "sunday-mining"
    dynamodb_endpoint: str | None = None
    s3_endpoint: str | None = None
    aws_region: str = "us-east-1"
    host: str = "127.0.0.1"
    port: int = 8080
    log_level: str = "INFO"
    discord_public_key: str | None = None
    discord_application_id: str | None = None
    discord_bot_token: str | None = field(default=None, repr=False)
    discord_api_base: str = "https://discord.com/api/v10"
    signature_max_age_s: int | None = 300
    worker_secret: str | None = field(default=None, repr=False)
    price_refresh_s: int = 3600
    reports_dir: Path | None = None  # None: a reports/ folder beside the SQLite file
    reports_bucket: str | None = None
    reports_function: str | None = None
    failure_queue_url: str | None = None
    public_url: str | None = None
    link_signing_key: str | None = field(default=None, repr=False)
    report_link_days: int = 30
    # Inside a Lambda function (sam local included): no background thread outlives a request.
    on_lambda: bool = False
    log_format: str = "console"  # "json": one JSON object per line (always on Lambda)
    stack_name: str = "local"  # the Stack dimension of the metrics on Lambda
    uex_base_url: str | None = None  # None: the UEX API's own address
    uex_api_token: str | None = field(default=None, repr=False)
    # Refinery job timers on AWS (EventBridge Scheduler); all three or none.
    refinery_schedule_group: str | None = None
    refinery_scheduler_role_arn: str | None = None
    refinery_notices_function_arn: str | None = None

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, secrets: Mapping[str, str] | None = None
    ) -> Settings:
        """``secrets``: the Lambda functions' secret (aws_secrets.py) by variable name; a
        variable set in the environment wins over it (an explicit override)."""
        env = os.environ if env is None else env
        if secrets:
            env = {**{k: v for k, v in secrets.items() if v}, **{k: v for k, v in env.items() if v}}
        log_format = env.get("SM_LOG_FORMAT", "").strip().lower() or cls.log_format
        if log_format not in ("console", "json"):
            raise ValidationError(
                f"SM_LOG_FORMAT must be console or json, not '{log_format[:20]}'."
            )
        store = env.get("SM_STORE", cls.store).strip().lower()
        if store not in STORES:
            raise ValidationError(f"SM_STORE must be one of {', '.join(STORES)}, not '{store}'.")
        port_text = env.get("SM_PORT", str(cls.port))
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise ValidationError(f"SM_PORT must be a TCP port number, not '{port_text}'.")
        return cls(
            store=store,
            sqlite_path=Path(env.get("SM_SQLITE_PATH") or cls.sqlite_path),
            table_name=env.get("SM_TABLE_NAME", cls.table_name),
            dynamodb_endpoint=env.get("SM_DYNAMODB_ENDPOINT") or None,
            s3_endpoint=env.get("SM_S3_ENDPOINT") or None,
            aws_region=env.get("AWS_REGION", env.get("AWS_DEFAULT_REGION", cls.aws_region)),
            host=env.get("SM_HOST", cls.host),
            port=int(port_text),
            log_level=env.get("SM_LOG_LEVEL", cls.log_level).upper(),
            discord_public_key=env.get("DISCORD_PUBLIC_KEY") or None,
            discord_application_id=env.get("DISCORD_APPLICATION_ID") or None,
            discord_bot_token=env.get("DISCORD_BOT_TOKEN") or None,
            discord_api_base=(env.get("SM_DISCORD_API_BASE") or cls.discord_api_base).rstrip("/"),
            signature_max_age_s=_max_age(env.get("SM_SIGNATURE_MAX_AGE_S")),
            worker_secret=_secret(env.get("SM_WORKER_SECRET"), "SM_WORKER_SECRET"),
            price_refresh_s=_seconds(env.get("SM_PRICE_REFRESH_S"), 3600, "SM_PRICE_REFRESH_S"),
            reports_dir=Path(env["SM_REPORTS_DIR"]) if env.get("SM_REPORTS_DIR") else None,
            reports_bucket=env.get("SM_REPORTS_BUCKET") or None,
            reports_function=env.get("SM_REPORTS_FUNCTION") or None,
            failure_queue_url=env.get("SM_FAILURE_QUEUE_URL") or None,
            public_url=_url(env.get("SM_PUBLIC_URL")),
            link_signing_key=_secret(env.get("SM_LINK_SIGNING_KEY"), "SM_LINK_SIGNING_KEY"),
            report_link_days=_days(env.get("SM_REPORT_LINK_DAYS")),
            on_lambda=bool(env.get("AWS_LAMBDA_FUNCTION_NAME")),
            log_format=log_format,
            stack_name=env.get("SM_STACK_NAME") or cls.stack_name,
            uex_base_url=(env.get("UEX_BASE_URL") or "").rstrip("/") or None,
            uex_api_token=env.get("UEX_API_TOKEN") or None,
            refinery_schedule_group=env.get("SM_REFINERY_SCHEDULE_GROUP") or None,
            refinery_scheduler_role_arn=env.get("SM_REFINERY_SCHEDULER_ROLE_ARN") or None,
            refinery_notices_function_arn=env.get("SM_REFINERY_NOTICES_FUNCTION_ARN") or None,
        )

    @property
    def reports_folder(self) -> Path:
        """Where local reports go: SM_REPORTS_DIR, else ``reports/`` beside the SQLite file."""
        return self.reports_dir or self.sqlite_path.parent / "reports"

    @property
    def base_url(self) -> str:
        """Where people reach the app: SM_PUBLIC_URL, else the local server's address."""
        return self.public_url or f"http://{self.host}:{self.port}"


def _max_age(text: str | None) -> int | None:
    """Discord defines no replay window; by default we refuse timestamps over 5 minutes old.
    ``0`` turns the check off."""
    if text is None or text == "":
        return 300
    if not text.isdigit():
        raise ValidationError(f"SM_SIGNATURE_MAX_AGE_S must be a number of seconds, not '{text}'.")
    return int(text) or None


_PLACEHOLDERS = {"changeme", "change-me", "secret", "password", "example", "xxx"}


def _secret(value: str | None, name: str) -> str | None:
    """Refuse placeholder and short secrets at start-up, naming the variable, never the value."""
    if not value:
        return None
    if value.lower() in _PLACEHOLDERS or len(value) < 32:
        raise ValidationError(
            f"{name} must be a random string of at least 32 characters; make one with "
            "`python -c 'import secrets; print(secrets.token_hex(32))'`."
        )
    return value


def _url(text: str | None) -> str | None:
    if not text:
        return None
    if not text.startswith(("https://", "http://")):
        raise ValidationError(f"SM_PUBLIC_URL must start with https:// (got '{text[:40]}').")
    return text.rstrip("/")


def _days(text: str | None) -> int:
    """How long a report link keeps working: 1 to 365 days, 30 by default."""
    if text is None or text == "":
        return 30
    if not text.isdigit() or not 1 <= int(text) <= 365:
        raise ValidationError(f"SM_REPORT_LINK_DAYS must be 1 to 365 days, not '{text[:20]}'.")
    return int(text)


def _seconds(text: str | None, default: int, name: str) -> int:
    if text is None or text == "":
        return default
    if not text.isdigit():
        raise ValidationError(f"{name} must be a whole number of seconds, not '{text[:20]}'.")
    return int(text)
