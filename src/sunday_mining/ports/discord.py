"""What the app needs of Discord's REST API to post messages and files: the types every caller
shares, the calls report delivery makes and direct messages to members.
``adapters/discord_rest.py`` implements it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from sunday_mining.domain.errors import DomainError


@dataclass(frozen=True)
class MessageFile:
    """One file sent with a message: the ``files[0]`` part, described in ``attachments``."""

    filename: str
    data: bytes = field(repr=False)
    content_type: str = "application/pdf"


class DiscordApiError(DomainError):
    """Discord answered with a 4xx it will keep answering: the request itself must change."""

    def __init__(self, status: int, code: int | None, what: str) -> None:
        super().__init__(f"Discord refused {what} (HTTP {status}, code {code}).")
        self.status = status
        self.code = code


class MessagePoster(Protocol):
    """The two calls report delivery needs; ``adapters.discord_rest.DiscordRest`` has them."""

    def send_followup(
        self,
        application_id: str,
        interaction_token: str,
        *,
        content: str,
        file: MessageFile | None = None,
        components: list[dict[str, Any]] | None = None,
        ephemeral: bool = False,
    ) -> str: ...

    def send_channel_message(
        self,
        channel_id: str,
        *,
        content: str,
        file: MessageFile | None = None,
        components: list[dict[str, Any]] | None = None,
        nonce: str | None = None,
    ) -> str: ...


DMS_CLOSED = 50007  # Discord: "Cannot send messages to this user" (the member closed their DMs)


class DirectMessenger(Protocol):
    """A direct message to one member, as the bot: returns the message's id. Raises
    ``DiscordApiError`` with code 50007 when the member does not take messages from the bot.
    With ``nonce`` (at most 25 characters) the same message sent again within a few minutes,
    after an answer that never came, is the first one, not a second."""

    def send_direct_message(
        self, user_id: str, *, content: str, nonce: str | None = None
    ) -> str: ...
