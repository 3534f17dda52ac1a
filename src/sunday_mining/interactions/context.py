"""What a handler works with: the parsed interaction and the services, plus a few shortcuts."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from sunday_mining.container import Services
from sunday_mining.domain.errors import ValidationError
from sunday_mining.domain.guild import GuildConfig
from sunday_mining.interactions.payload import Interaction


@dataclass
class Context:
    interaction: Interaction
    services: Services

    @property
    def guild_id(self) -> str:
        if self.interaction.guild_id is None:
            raise ValidationError("Sunday Mining works inside a server; run the command there.")
        return self.interaction.guild_id

    @property
    def user_id(self) -> str:
        return self.interaction.user_id

    @cached_property
    def config(self) -> GuildConfig:
        return self.services.guilds.get(self.guild_id)

    def now_ms(self) -> int:
        return self.services.clock.now_ms()
