"""A small Discord REST client (API v10) for the few calls the app makes as itself or on behalf of
an interaction (follow-ups), including messages with one file attached and direct messages.

Retries only what Discord documents or is known to fix itself: a 429 waits out its Retry-After,
a 5xx is tried again twice, and a follow-up's 404 Unknown Webhook (10015) right after a defer is
tried again briefly. Everything else raises at once. Never puts the bot token or an interaction
token in an error or a log line. httpx is imported only when a client is built, so services that
merely name these types stay off the interactions function's lean import path.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sunday_mining import __version__
from sunday_mining.domain.errors import DiscordUnavailable
from sunday_mining.ports.discord import DiscordApiError, MessageFile

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)

USER_AGENT = f"DiscordBot (https://sunday-mining.invalid, {__version__})"
MAX_WAIT_S = 60.0
RATE_LIMIT_RETRIES = 3
SERVER_ERROR_BACKOFF_S = (1.0, 2.0)
# Discord may not have processed the defer yet; it settles within seconds (discord.md §2.2), and
# hammering a 404 webhook gets an IP restricted, so the retries are few and short (3.5 s in all).
UNKNOWN_WEBHOOK_BACKOFF_S = (0.5, 1.0, 2.0)
UNKNOWN_WEBHOOK = 10015
UNKNOWN_CHANNEL = 10003
EPHEMERAL = 1 << 6
# Reports name people; they must never ping anyone (discord.md §1.5).
NO_MENTIONS: dict[str, list[str]] = {"parse": []}
_TOKEN_IN_PATH = re.compile(r"(/(?:webhooks|interactions)/[^/\s]+/)([^/?#\s]+)")


def redact_tokens(text: str) -> str:
    """Hide the token in a webhook or interaction path; it is a credential for 15 minutes."""
    return _TOKEN_IN_PATH.sub(lambda match: match.group(1) + "***", text)


@dataclass(frozen=True)
class _Outgoing:
    method: str
    path: str
    what: str
    json_body: Any = None
    file: MessageFile | None = None
    # Webhook routes take the interaction token in the path and no bot token.
    webhook: bool = False


@dataclass
class _RetryBudget:
    """What is left of each kind of retry for one request."""

    unknown_webhook: list[float]
    rate_limited: int = RATE_LIMIT_RETRIES
    server: list[float] = field(default_factory=lambda: list(SERVER_ERROR_BACKOFF_S))

    def wait_before_retry(self, response: httpx.Response) -> float | None:
        """Seconds to wait before trying again, or None when this answer is final."""
        status = response.status_code
        if status == 429 and self.rate_limited > 0:
            self.rate_limited -= 1
            return _retry_after(response)
        if status >= 500 and self.server:
            return self.server.pop(0)
        if status == 404 and self.unknown_webhook and _error_code(response) == UNKNOWN_WEBHOOK:
            return self.unknown_webhook.pop(0)
        return None


class DiscordRest:
    def __init__(
        self,
        *,
        token: str,
        application_id: str,
        base_url: str = "https://discord.com/api/v10",
        client: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if client is None:
            import httpx

            client = httpx.Client(timeout=10.0)
        self._application_id = application_id
        self._base = base_url.rstrip("/")
        self._client = client
        self._bot_headers = {"Authorization": f"Bot {token}", "User-Agent": USER_AGENT}
        self._sleep = sleep
        # user id -> their DM channel: Discord hands back the same channel every time, so one
        # call per member per process is enough.
        self._dm_channels: dict[str, str] = {}
        self._dm_lock = threading.Lock()

    def bulk_overwrite_commands(
        self, commands: list[dict[str, Any]], *, guild_id: str | None = None
    ) -> list[dict[str, Any]]:
        """Replace the whole command set (global, or one guild's for instant updates)."""
        scope = f"/guilds/{guild_id}" if guild_id else ""
        path = f"/applications/{self._application_id}{scope}/commands"
        result: list[dict[str, Any]] = self._send(
            _Outgoing("PUT", path, "the command set", commands)
        )
        return result

    def commands(self, *, guild_id: str | None = None) -> list[dict[str, Any]]:
        scope = f"/guilds/{guild_id}" if guild_id else ""
        path = f"/applications/{self._application_id}{scope}/commands"
        result: list[dict[str, Any]] = self._send(_Outgoing("GET", path, "the command list"))
        return result

    def current_user(self) -> dict[str, Any]:
        """GET /users/@me: a cheap call that proves the bot token is accepted."""
        result: dict[str, Any] = self._send(_Outgoing("GET", "/users/@me", "the bot token"))
        return result

    def send_followup(
        self,
        application_id: str,
        interaction_token: str,
        *,
        content: str,
        file: MessageFile | None = None,
        components: list[dict[str, Any]] | None = None,
        ephemeral: bool = False,
    ) -> str:
        """POST a follow-up with the interaction token (no bot token); returns the message id."""
        payload = message_payload(content, file, components, EPHEMERAL if ephemeral else 0)
        path = f"/webhooks/{application_id}/{interaction_token}"
        request = _Outgoing("POST", path, "the follow-up message", payload, file, webhook=True)
        return _message_id(self._send(request))

    def send_channel_message(
        self,
        channel_id: str,
        *,
        content: str,
        file: MessageFile | None = None,
        components: list[dict[str, Any]] | None = None,
        nonce: str | None = None,
        ping_users: tuple[str, ...] = (),
    ) -> str:
        """POST a message as the bot, for when no interaction token is left; returns its id.

        With ``nonce`` (at most 25 characters) Discord enforces it: the same nonce posted again
        in the channel within a few minutes gets the first message back, not a second one.
        ``ping_users``: the members the message pings (their mentions in ``content``); nobody
        else, never @everyone or a role."""
        payload = message_payload(content, file, components, 0)
        if ping_users:
            payload["allowed_mentions"] = {"parse": [], "users": list(ping_users)}
        if nonce is not None:
            payload.update(nonce=nonce, enforce_nonce=True)
        path = f"/channels/{channel_id}/messages"
        return _message_id(
            self._send(_Outgoing("POST", path, "the channel message", payload, file))
        )

    def send_direct_message(self, user_id: str, *, content: str, nonce: str | None = None) -> str:
        """Open (or reuse) the DM channel with a member and post ``content`` there; returns the
        message id. A member who closed their DMs gets Discord's 403, code 50007, raised as
        ``DiscordApiError`` like any other refusal. ``nonce`` is enforced as on a channel post:
        a 5xx or a timeout after Discord made the message, and the retry that follows, make
        one message."""
        channel_id = self._dm_channel(user_id)
        payload = message_payload(content, None, None, 0)
        if nonce is not None:
            payload.update(nonce=nonce, enforce_nonce=True)
        request = _Outgoing(
            "POST", f"/channels/{channel_id}/messages", "the direct message", payload
        )
        try:
            return _message_id(self._send(request))
        except DiscordApiError as error:
            if error.code != UNKNOWN_CHANNEL:
                raise
        # The cached channel is gone (it happens to DM channels): open it again, once.
        with self._dm_lock:
            self._dm_channels.pop(user_id, None)
        channel_id = self._dm_channel(user_id)
        request = _Outgoing(
            "POST", f"/channels/{channel_id}/messages", request.what, request.json_body
        )
        return _message_id(self._send(request))

    def _dm_channel(self, user_id: str) -> str:
        with self._dm_lock:
            known = self._dm_channels.get(user_id)
        if known is not None:
            return known
        opened = self._send(
            _Outgoing("POST", "/users/@me/channels", "the DM channel", {"recipient_id": user_id})
        )
        channel_id = _message_id(opened)  # a channel object: its id, like a message's
        with self._dm_lock:
            self._dm_channels[user_id] = channel_id
        return channel_id

    def _send(self, request: _Outgoing) -> Any:
        budget = _RetryBudget(list(UNKNOWN_WEBHOOK_BACKOFF_S) if request.webhook else [])
        while True:
            response = self._transmit(request)
            wait = budget.wait_before_retry(response)
            if wait is None:
                return self._result(request, response)
            log.info(
                "Discord answered %s to %s %s; retrying in %.1f s",
                response.status_code,
                request.method,
                redact_tokens(request.path),
                wait,
            )
            self._sleep(wait)

    def _transmit(self, request: _Outgoing) -> httpx.Response:
        import httpx

        headers = {"User-Agent": USER_AGENT} if request.webhook else self._bot_headers
        url = self._base + request.path
        try:
            if request.file is None:
                return self._client.request(
                    request.method, url, json=request.json_body, headers=headers
                )
            upload = (request.file.filename, request.file.data, request.file.content_type)
            return self._client.request(
                request.method,
                url,
                data={"payload_json": json.dumps(request.json_body)},
                files={"files[0]": upload},
                headers=headers,
            )
        except httpx.HTTPError:
            # httpx errors may quote the URL, and a webhook URL holds the token: drop the cause.
            raise DiscordUnavailable("Discord didn't answer; try again shortly.") from None

    def _result(self, request: _Outgoing, response: httpx.Response) -> Any:
        status = response.status_code
        if response.headers.get("x-ratelimit-remaining") == "0" and status != 429:
            self._sleep(_float_header(response, "x-ratelimit-reset-after"))
        if status == 429:
            raise DiscordUnavailable(
                "Discord kept rate-limiting the request; try again in a minute."
            )
        if status >= 500:
            raise DiscordUnavailable(
                "Discord is having trouble right now; try again in a few minutes."
            )
        if status >= 400:
            code = _error_code(response)
            log.warning(
                "Discord refused %s %s: HTTP %s code %s",
                request.method,
                redact_tokens(request.path),
                status,
                code,
            )
            raise DiscordApiError(status, code, request.what)
        return response.json() if response.content else None


def message_payload(
    content: str,
    file: MessageFile | None,
    components: list[dict[str, Any]] | None,
    flags: int,
) -> dict[str, Any]:
    """The JSON of a new message: never pings; an attached file is described as ``files[0]``."""
    payload: dict[str, Any] = {"content": content, "allowed_mentions": NO_MENTIONS}
    if components:
        payload["components"] = components
    if flags:
        payload["flags"] = flags
    if file is not None:
        # Discord's OpenAPI types the id as a snowflake string; "0" pairs it with files[0].
        payload["attachments"] = [{"id": "0", "filename": file.filename}]
    return payload


def _message_id(message: Any) -> str:
    if not isinstance(message, dict) or not message.get("id"):
        raise DiscordUnavailable("Discord did not say which message it created; try again shortly.")
    return str(message["id"])


def _float_header(response: httpx.Response, name: str) -> float:
    try:
        return min(MAX_WAIT_S, max(0.0, float(response.headers.get(name, "0"))))
    except ValueError:
        return 1.0


def _retry_after(response: httpx.Response) -> float:
    """The body's ``retry_after`` is exact (the header is whole seconds); either, capped."""
    try:
        body = response.json()
        return min(MAX_WAIT_S, max(0.0, float(body["retry_after"])))
    except (ValueError, TypeError, KeyError):
        pass
    if "retry-after" in response.headers:
        return _float_header(response, "retry-after")
    return 1.0


def _error_code(response: httpx.Response) -> int | None:
    try:
        code = response.json().get("code")
    except (ValueError, AttributeError):
        return None
    return code if isinstance(code, int) else None
