"""Interaction payloads as Discord POSTs them (``D:interactions/receiving-and-responding``).

Every guild interaction carries the same envelope: ids and token, the partial guild, the channel
with the member's permissions in it, the member (with ``user``), ``app_permissions``, locales,
entitlements, ``authorizing_integration_owners``, ``context`` 0 and ``attachment_size_limit``.
Only the ``data`` differs by type; PING is bare, as Discord sends it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import IntEnum
from typing import Any

from sunday_mining_dev.simulator.components import (
    FieldValue,
    SelectValue,
    component_data,
    modal_data,
)
from sunday_mining_dev.simulator.model import SimChannel, SimGuild, SimUser
from sunday_mining_dev.simulator.objects import (
    JSON,
    Resolved,
    channel_object,
    member_object,
    partial_guild,
)
from sunday_mining_dev.simulator.options import CommandPath, OptionValue, command_data, split_path
from sunday_mining_dev.simulator.permissions import as_string
from sunday_mining_dev.simulator.snowflakes import SnowflakeGen

# The default per-file upload limit (10 MiB); boosted guilds report more.
DEFAULT_ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024


class InteractionType(IntEnum):
    PING = 1
    APPLICATION_COMMAND = 2
    MESSAGE_COMPONENT = 3
    APPLICATION_COMMAND_AUTOCOMPLETE = 4
    MODAL_SUBMIT = 5


class PayloadFactory:
    """Builds interaction payloads for one application and one simulated guild."""

    def __init__(
        self,
        application_id: str,
        guild: SimGuild,
        *,
        ids: SnowflakeGen | None = None,
        definitions: Sequence[JSON] | None = None,
    ) -> None:
        self.application_id = application_id
        self.guild = guild
        # Sharing the guild's generator keeps every id unique and the whole run reproducible.
        self.ids = ids or guild.ids
        # The commands as registered; None means option types are inferred from values.
        self.definitions = definitions
        self._command_ids: dict[str, str] = {}

    def ping(self) -> JSON:
        return {
            "id": self.ids.next(),
            "application_id": self.application_id,
            "type": int(InteractionType.PING),
            "token": self.ids.token(),
            "version": 1,
        }

    def command(
        self,
        user: SimUser,
        path: CommandPath,
        values: Mapping[str, OptionValue | None],
        *,
        channel: SimChannel | None = None,
    ) -> JSON:
        resolved = Resolved(self.guild, user)
        parts = split_path(path)
        data = command_data(
            self.guild,
            resolved,
            parts,
            values,
            command_id=self.command_id(parts[0]),
            definitions=self.definitions,
        )
        return self._envelope(InteractionType.APPLICATION_COMMAND, user, channel, data)

    def autocomplete(
        self,
        user: SimUser,
        path: CommandPath,
        focused: str,
        value: OptionValue,
        values: Mapping[str, OptionValue | None],
        *,
        channel: SimChannel | None = None,
    ) -> JSON:
        """The option being typed is ``focused`` with its partial ``value``; others as given."""
        resolved = Resolved(self.guild, user)
        parts = split_path(path)
        options = {k: v for k, v in values.items() if k != focused}
        options[focused] = value
        data = command_data(
            self.guild,
            resolved,
            parts,
            options,
            command_id=self.command_id(parts[0]),
            definitions=self.definitions,
            focused=focused,
        )
        kind = InteractionType.APPLICATION_COMMAND_AUTOCOMPLETE
        return self._envelope(kind, user, channel, data)

    def component(
        self,
        user: SimUser,
        message: Mapping[str, Any],
        custom_id: str,
        values: Sequence[SelectValue] | None = None,
        *,
        channel: SimChannel | None = None,
    ) -> JSON:
        """A click (button) or a choice (select) on ``message``, which is sent along."""
        data = component_data(message, custom_id, values, Resolved(self.guild, user))
        where = channel or self._channel_of(message)
        payload = self._envelope(InteractionType.MESSAGE_COMPONENT, user, where, data)
        payload["message"] = dict(message)
        return payload

    def modal_submit(
        self,
        user: SimUser,
        custom_id: str,
        fields: Mapping[str, FieldValue],
        *,
        modal: Mapping[str, Any] | None = None,
        message: Mapping[str, Any] | None = None,
        channel: SimChannel | None = None,
    ) -> JSON:
        """Pass the modal the app sent (its ``data``) to mirror its exact component tree."""
        data = modal_data(custom_id, fields, Resolved(self.guild, user), modal)
        where = channel or (self._channel_of(message) if message is not None else None)
        payload = self._envelope(InteractionType.MODAL_SUBMIT, user, where, data)
        if message is not None:
            # Only a modal opened from a component carries the message it came from.
            payload["message"] = dict(message)
        return payload

    def command_id(self, name: str) -> str:
        """The id of a top-level command: the registered one if known, else a stable new one."""
        for definition in self.definitions or []:
            if definition.get("name") == name and definition.get("id"):
                return str(definition["id"])
        return self._command_ids.setdefault(name, self.ids.next())

    def _channel_of(self, message: Mapping[str, Any]) -> SimChannel | None:
        channel_id = message.get("channel_id")
        return next((c for c in self.guild.channels if c.id == channel_id), None)

    def _envelope(
        self, kind: InteractionType, user: SimUser, channel: SimChannel | None, data: JSON
    ) -> JSON:
        where = channel or self.guild.text_channels()[0]
        return {
            "id": self.ids.next(),
            "application_id": self.application_id,
            "type": int(kind),
            "token": self.ids.token(),
            "version": 1,
            "guild_id": self.guild.id,
            "guild": partial_guild(self.guild),
            "channel_id": where.id,
            "channel": channel_object(self.guild, where, user),
            "member": member_object(self.guild, user),
            "app_permissions": as_string(self.guild.app_permissions_in(where)),
            "locale": user.locale,
            "guild_locale": self.guild.locale,
            "entitlements": [],
            "authorizing_integration_owners": {"0": self.guild.id},
            "context": 0,
            "attachment_size_limit": DEFAULT_ATTACHMENT_SIZE_LIMIT,
            "data": data,
        }
