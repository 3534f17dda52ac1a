"""Registered application commands, overwritten in bulk as Discord's PUT does."""

from __future__ import annotations

import copy
from typing import Any

from sunday_mining_dev.simulator.objects import JSON
from sunday_mining_dev.simulator.rest_rules import check_commands
from sunday_mining_dev.simulator.snowflakes import SnowflakeGen

Scope = tuple[str, str | None]  # (application id, guild id or None for global)


class CommandStore:
    def __init__(self, ids: SnowflakeGen) -> None:
        self.ids = ids
        self.commands: dict[Scope, list[JSON]] = {}

    def clear(self) -> None:
        self.commands.clear()

    def overwrite(self, app_id: str, guild_id: str | None, body: Any) -> list[JSON]:
        """Replace every command of the scope; a command that keeps its name keeps its id."""
        check_commands(body)
        previous = {
            (c["name"], c["type"]): c["id"] for c in self.commands.get((app_id, guild_id), [])
        }
        stored = [self._command(app_id, guild_id, given, previous) for given in body]
        self.commands[(app_id, guild_id)] = stored
        return copy.deepcopy(stored)

    def list(self, app_id: str, guild_id: str | None) -> list[JSON]:
        return copy.deepcopy(self.commands.get((app_id, guild_id), []))

    def _command(
        self, app_id: str, guild_id: str | None, given: JSON, previous: dict[tuple[str, int], str]
    ) -> JSON:
        kind = int(given.get("type", 1))
        command: JSON = {
            "id": previous.get((given["name"], kind)) or self.ids.next(),
            "application_id": app_id,
            "version": self.ids.next(),
            "type": kind,
            "description": "",
            "default_member_permissions": None,
            "nsfw": False,
            "integration_types": [0],
            # contexts only apply to global commands (discord.md §1.8).
            "contexts": None if guild_id else [0, 1, 2],
            **copy.deepcopy(given),
        }
        if guild_id is not None:
            command["guild_id"] = guild_id
        return command
