"""Point discord.py at another Discord (SM_DISCORD_API_BASE, SM_DISCORD_GATEWAY_URL).

discord.py keeps both addresses as class attributes, so this is process-wide: the worker's
command sets them once at start, before any client exists.
"""

from __future__ import annotations


def point_discord_at(api_base: str | None, gateway_url: str | None) -> None:
    import discord.http
    import yarl
    from discord.gateway import DiscordWebSocket

    if api_base:
        discord.http.Route.BASE = api_base
    if gateway_url:
        # A yarl.URL: discord.py adds the version and encoding with .with_query().
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)
