"""Discord's REST error bodies and the faults a test can inject into the sink."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sunday_mining_dev.simulator.objects import JSON


class Route(StrEnum):
    """Names the sink gives its routes; faults are injected per route."""

    EXECUTE_WEBHOOK = "webhook.execute"
    GET_WEBHOOK_MESSAGE = "webhook.get"
    EDIT_WEBHOOK_MESSAGE = "webhook.edit"
    DELETE_WEBHOOK_MESSAGE = "webhook.delete"
    INTERACTION_CALLBACK = "interaction.callback"
    PUT_GLOBAL_COMMANDS = "commands.put_global"
    PUT_GUILD_COMMANDS = "commands.put_guild"
    GET_GLOBAL_COMMANDS = "commands.get_global"
    GET_GUILD_COMMANDS = "commands.get_guild"
    CREATE_MESSAGE = "channel.create_message"
    GET_CURRENT_USER = "users.me"
    CREATE_DM = "users.create_dm"
    GET_ATTACHMENT = "attachment.get"
    UNKNOWN = "unknown"


@dataclass
class Reply:
    status: int
    body: Any | None = None
    headers: dict[str, str] = field(default_factory=dict)


class DiscordError(Exception):
    """An error answer in Discord's shape: ``{"code": …, "message": …, "errors"?: …}``."""

    def __init__(self, status: int, code: int, message: str, errors: JSON | None = None) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def reply(self) -> Reply:
        body: JSON = {"message": self.message, "code": self.code}
        if self.errors is not None:
            body["errors"] = self.errors
        return Reply(self.status, body)


def unauthorized() -> DiscordError:
    return DiscordError(401, 0, "401: Unauthorized")


def unknown_webhook() -> DiscordError:
    return DiscordError(404, 10015, "Unknown Webhook")


def unknown_message() -> DiscordError:
    return DiscordError(404, 10008, "Unknown Message")


def unknown_interaction() -> DiscordError:
    return DiscordError(404, 10062, "Unknown interaction")


def invalid_webhook_token() -> DiscordError:
    return DiscordError(401, 50027, "Invalid Webhook Token")


def already_acknowledged() -> DiscordError:
    return DiscordError(400, 40060, "Interaction has already been acknowledged.")


def cannot_message_user() -> DiscordError:
    """A member who does not take direct messages from the bot (privacy settings, blocked)."""
    return DiscordError(403, 50007, "Cannot send messages to this user")


def invalid_recipient() -> DiscordError:
    return DiscordError(400, 50033, "Invalid Recipient(s)")


def empty_message() -> DiscordError:
    return DiscordError(400, 50006, "Cannot send an empty message")


def invalid_form_body(path: str, code: str, message: str) -> DiscordError:
    """Discord nests field errors by path: ``"embeds.0.title"`` → ``{"embeds": {"0": …}}``."""
    errors: JSON = {"_errors": [{"code": code, "message": message}]}
    for part in reversed([p for p in path.split(".") if p]):
        errors = {part: errors}
    return DiscordError(400, 50035, "Invalid Form Body", errors)


_FAULT_MESSAGES = {
    10003: "Unknown Channel",
    10008: "Unknown Message",
    10015: "Unknown Webhook",
    10062: "Unknown interaction",
    50001: "Missing Access",
    50013: "Missing Permissions",
    50027: "Invalid Webhook Token",
    40005: "Request entity too large",
}
_STATUS_MESSAGES = {
    401: "401: Unauthorized",
    403: "403: Forbidden",
    404: "404: Not Found",
    500: "500: Internal Server Error",
    502: "502: Bad Gateway",
    503: "503: Service Unavailable",
}


def entity_too_large() -> DiscordError:
    return DiscordError(413, 40005, "Request entity too large")


@dataclass(frozen=True)
class Fault:
    """An answer forced onto the next call(s) of a route, whatever the request."""

    status: int
    code: int
    message: str
    retry_after: float | None = None
    is_global: bool = False
    # Served first, then answered with this: Discord made the message but the answer the app
    # gets is an error (a 5xx from its edge), as a timeout after delivery would be.
    served: bool = False

    @classmethod
    def rate_limited(cls, retry_after: float = 1.0, *, is_global: bool = False) -> Fault:
        return cls(429, 0, "You are being rate limited.", retry_after, is_global)

    @classmethod
    def unknown_webhook(cls) -> Fault:
        return cls.of(404, code=10015)

    @classmethod
    def server_error(cls, status: int = 500) -> Fault:
        return cls.of(status)

    @classmethod
    def missing_access(cls) -> Fault:
        """What a channel post gets when the bot cannot see or write in that channel."""
        return cls.of(403, code=50001)

    @classmethod
    def of(
        cls, status: int, *, code: int = 0, retry_after: float | None = None, served: bool = False
    ) -> Fault:
        """A fault from its status and code, worded the way Discord words the known ones.

        ``retry_after`` only means something on a 429 (the default wait there is 1 s).
        ``served``: the call is carried out before the fault answers it (never a 429: Discord
        refuses a rate-limited call before doing anything).
        """
        if status == 429:
            return cls.rate_limited(1.0 if retry_after is None else retry_after)
        message = _FAULT_MESSAGES.get(code) or _STATUS_MESSAGES.get(status, f"{status}: Error")
        return cls(status, code, message, served=served)

    @property
    def label(self) -> str:
        said = "429 rate limited" if self.status == 429 else f"{self.status} code {self.code}"
        return f"{said} after serving" if self.served else said

    def reply(self) -> Reply:
        body: JSON = {"message": self.message, "code": self.code}
        if self.retry_after is None:
            return Reply(self.status, body)
        body.update({"retry_after": self.retry_after, "global": self.is_global})
        # Header in whole seconds, body exact: the shape of Discord's own 429 example.
        headers = {
            "Retry-After": str(math.ceil(self.retry_after)),
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset-After": f"{self.retry_after:.3f}",
            "X-RateLimit-Bucket": "sink-bucket",
            "X-RateLimit-Scope": "global" if self.is_global else "user",
        }
        if self.is_global:
            headers["X-RateLimit-Global"] = "true"
        return Reply(429, body, headers)
