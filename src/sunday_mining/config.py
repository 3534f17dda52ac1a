"""Settings from the environment, validated once. Every variable is listed in the README."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sunday_mining.domain.errors import ValidationError

STORES = ("sqlite", "dynamodb")


@dataclass(frozen=True)
class Settings:
    store: str = "sqlite"
    sqlite_path: Path = Path("var/sunday-mining.sqlite3")
    table_name: str = "sunday-mining"
    dynamodb_endpoint: str | None = None
    aws_region: str = "us-east-1"
    host: str = "127.0.0.1"
    port: int = 8080
    log_level: str = "INFO"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        store = env.get("SM_STORE", cls.store).strip().lower()
        if store not in STORES:
            raise ValidationError(f"SM_STORE must be one of {', '.join(STORES)}, not '{store}'.")
        port_text = env.get("SM_PORT", str(cls.port))
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise ValidationError(f"SM_PORT must be a TCP port number, not '{port_text}'.")
        return cls(
            store=store,
            sqlite_path=Path(env.get("SM_SQLITE_PATH", str(cls.sqlite_path))),
            table_name=env.get("SM_TABLE_NAME", cls.table_name),
            dynamodb_endpoint=env.get("SM_DYNAMODB_ENDPOINT") or None,
            aws_region=env.get("AWS_REGION", env.get("AWS_DEFAULT_REGION", cls.aws_region)),
            host=env.get("SM_HOST", cls.host),
            port=int(port_text),
            log_level=env.get("SM_LOG_LEVEL", cls.log_level).upper(),
        )
