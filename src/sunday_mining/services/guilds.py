"""Configure a guild: mining channels, roles and settings, with optimistic concurrency."""

from __future__ import annotations

from collections.abc import Callable

from sunday_mining.domain.clock import Clock
from sunday_mining.domain.errors import ConditionFailed, NotFound, StateConflict
from sunday_mining.domain.guild import GuildConfig, Role
from sunday_mining.ports.store import ItemAbsent, Store, TxPut, eq
from sunday_mining.services import codec, keys

_ATTEMPTS = 3


class GuildService:
    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def get(self, guild_id: str) -> GuildConfig:
        """The guild's configuration, or an empty one (version 0) if it was never configured."""
        item = self._store.get(keys.config_key(guild_id))
        return codec.config_from_item(item) if item else GuildConfig(guild_id=guild_id)

    def require(self, guild_id: str) -> GuildConfig:
        config = self.get(guild_id)
        if config.version == 0:
            raise NotFound(
                "This server isn't set up yet: an admin adds mining channels with "
                "/mining-admin channels add."
            )
        return config

    def change(self, guild_id: str, change: Callable[[GuildConfig], GuildConfig]) -> GuildConfig:
        """Apply ``change`` to the current config and store it; retried if someone raced us."""
        for _ in range(_ATTEMPTS):
            current = self.get(guild_id)
            updated = change(current)
            stored = GuildConfig(
                guild_id=guild_id,
                channels=updated.channels,
                roles=updated.roles,
                settings=updated.settings,
                version=current.version + 1,
            )
            condition = ItemAbsent() if current.version == 0 else eq("version", current.version)
            ops = [TxPut(codec.config_to_item(stored), condition)]
            if current.version == 0:
                ops.append(TxPut({"pk": keys.GUILD_REGISTRY_PK, "sk": guild_id}))
            try:
                self._store.transact(ops)
            except ConditionFailed:
                continue
            return stored
        raise StateConflict("Someone else changed the settings at the same time; try again.")

    def add_channel(
        self, guild_id: str, channel_id: str, *, dispatch: bool = False, name: str | None = None
    ) -> GuildConfig:
        return self.change(
            guild_id, lambda c: c.with_channel(channel_id, dispatch=dispatch, name=name)
        )

    def remove_channel(self, guild_id: str, channel_id: str) -> GuildConfig:
        return self.change(guild_id, lambda c: c.without_channel(channel_id))

    def set_role(self, guild_id: str, role: Role, role_id: str, *, granted: bool) -> GuildConfig:
        return self.change(guild_id, lambda c: c.with_role(role, role_id, granted=granted))

    def set_setting(self, guild_id: str, name: str, raw: str) -> GuildConfig:
        return self.change(guild_id, lambda c: c.with_setting(name, raw))

    def set_report_channel(self, guild_id: str, channel_id: str | None) -> GuildConfig:
        return self.change(guild_id, lambda c: c.with_report_channel(channel_id))

    def set_treasurer(self, guild_id: str, user_id: str | None) -> GuildConfig:
        return self.change(guild_id, lambda c: c.with_treasurer(user_id))
