"""Gateway connections and sessions of the fake.

A *connection* is one websocket; a *session* outlives connections (that is what RESUME is for).
Every dispatch of a session is numbered and kept, so a resume can replay what the client missed.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass, field

from aiohttp import web

from sunday_mining_dev.fake_gateway.payloads import Json


@dataclass(eq=False)
class Connection:
    ws: web.WebSocketResponse
    path: str
    session: Session | None = None
    # Set when the fake closes the socket: aiohttp then reports 1000, not the code it sent.
    server_close_code: int | None = None
    _send_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def send(self, payload: Json) -> bool:
        """Send one TEXT frame; False when the socket is already gone (the caller may replay)."""
        async with self._send_lock:  # keeps frames whole when tasks send concurrently
            if self.ws.closed:
                return False
            try:
                await self.ws.send_str(json.dumps(payload))
            except ConnectionResetError:
                return False
            return True

    async def close(self, code: int) -> None:
        self.server_close_code = code
        await self.ws.close(code=code)


@dataclass(eq=False)
class Session:
    intents: int
    shard: list[int] | None = None
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    seq: int = 0
    history: list[Json] = field(default_factory=list)
    connection: Connection | None = None
    # Held while numbering + sending, so dispatches and a resume's replay never interleave.
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def frame(self, event: str, data: Json) -> Json:
        self.seq += 1
        return {"op": 0, "t": event, "s": self.seq, "d": data}

    async def dispatch(self, event: str, data: Json) -> None:
        """Number, keep and (when connected) send one event. Call with `lock` held."""
        frame = self.frame(event, data)
        self.history.append(frame)
        if self.connection is not None:
            await self.connection.send(frame)

    def missed_since(self, seq: int) -> list[Json]:
        return [frame for frame in self.history if frame["s"] > seq]
