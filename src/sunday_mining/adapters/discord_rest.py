"""A small Discord REST client (API v10) for the few calls the app makes as itself.

Honours rate limits: waits out a 429's Retry-After and an exhausted bucket's reset before the
next call. Never puts the bot token in an error or a log line.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from sunday_mining import __version__
from sunday_mining.domain.errors import DomainError, Unavailable

USER_AGENT = f"DiscordBot (https://sunday-mining.invalid, {__version__})"
MAX_ATTEMPTS = 4
MAX_WAIT_S = 60.0


class DiscordApiError(DomainError):
    def __init__(self, status: int, code: int | None, what: str) -> None:
        super().__init__(f"Discord refused {what} (HTTP {status}, code {code}).")
        self.status = status
        self.code = code


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
        self._application_id = application_id
        self._base = base_url.rstrip("/")
        self._client = client or httpx.Client(timeout=10.0)
        self._headers = {"Authorization": f"Bot {token}", "User-Agent": USER_AGENT}
        self._sleep = sleep

    def bulk_overwrite_commands(
        self, commands: list[dict[str, Any]], *, guild_id: str | None = None
    ) -> list[dict[str, Any]]:
        """Replace the whole command set (global, or one guild's for instant updates)."""
        scope = f"/guilds/{guild_id}" if guild_id else ""
        path = f"/applications/{self._application_id}{scope}/commands"
        result: list[dict[str, Any]] = self._request("PUT", path, "the command set", commands)
        return result

    def commands(self, *, guild_id: str | None = None) -> list[dict[str, Any]]:
        scope = f"/guilds/{guild_id}" if guild_id else ""
        path = f"/applications/{self._application_id}{scope}/commands"
        result: list[dict[str, Any]] = self._request("GET", path, "the command list")
        return result

    def current_user(self) -> dict[str, Any]:
        """GET /users/@me: a cheap call that proves the bot token is accepted."""
        result: dict[str, Any] = self._request("GET", "/users/@me", "the bot token")
        return result

    def _request(self, method: str, path: str, what: str, body: Any = None) -> Any:
        for _ in range(MAX_ATTEMPTS):
            try:
                response = self._client.request(
                    method, self._base + path, json=body, headers=self._headers
                )
            except httpx.HTTPError:
                raise Unavailable("Discord could not be reached; try again shortly.") from None
            if response.status_code == 429:
                self._sleep(_retry_after(response))
                continue
            if response.headers.get("x-ratelimit-remaining") == "0":
                self._sleep(_float_header(response, "x-ratelimit-reset-after"))
            if response.status_code >= 400:
                raise DiscordApiError(response.status_code, _error_code(response), what)
            return response.json() if response.content else None
        raise Unavailable("Discord kept rate-limiting the request; try again in a minute.")


def _float_header(response: httpx.Response, name: str) -> float:
    try:
        return min(MAX_WAIT_S, max(0.0, float(response.headers.get(name, "0"))))
    except ValueError:
        return 1.0


def _retry_after(response: httpx.Response) -> float:
    if "retry-after" in response.headers:
        return _float_header(response, "retry-after")
    try:
        return min(MAX_WAIT_S, float(response.json().get("retry_after", 1.0)))
    except (ValueError, AttributeError):
        return 1.0


def _error_code(response: httpx.Response) -> int | None:
    try:
        code = response.json().get("code")
    except (ValueError, AttributeError):
        return None
    return code if isinstance(code, int) else None
