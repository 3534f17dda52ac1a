"""FakeDiscord: Discord's REST login routes and gateway v10 on one loopback port.

The real, unpatched discord.py client connects to it once `patch_discord()` points two class
attributes at the fake. Tests script the world (voice joins, moves, leaves) and connection
faults (op 7, a 4000 close, op 9, an outage) and assert on what the fake observed.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import socket
from collections.abc import Awaitable, Callable, Iterator
from types import TracebackType
from typing import Any, Self

from aiohttp import WSMessage, WSMsgType, web

from sunday_mining_dev.fake_gateway import payloads
from sunday_mining_dev.fake_gateway.model import FakeGuild, FakeMember
from sunday_mining_dev.fake_gateway.payloads import Json
from sunday_mining_dev.fake_gateway.session import Connection, Session

# Gateway intents (bits) the fake cares about.
GUILDS = 1 << 0
GUILD_MEMBERS = 1 << 1
GUILD_VOICE_STATES = 1 << 7
GUILD_PRESENCES = 1 << 8

# Gateway opcodes.
OP_HEARTBEAT = 1
OP_IDENTIFY = 2
OP_PRESENCE_UPDATE = 3
OP_VOICE_STATE_UPDATE = 4
OP_RESUME = 6
OP_RECONNECT = 7
OP_REQUEST_GUILD_MEMBERS = 8
OP_INVALID_SESSION = 9
OP_HELLO = 10
OP_HEARTBEAT_ACK = 11

# Gateway close codes the fake sends.
CLOSE_UNKNOWN_ERROR = 4000
CLOSE_DECODE_ERROR = 4002
CLOSE_NOT_AUTHENTICATED = 4003
CLOSE_AUTHENTICATION_FAILED = 4004
CLOSE_ALREADY_AUTHENTICATED = 4005
CLOSE_INVALID_INTENTS = 4013

DEFAULT_HEARTBEAT_INTERVAL_MS = 41250
API_PREFIX = "/api/v10"
GATEWAY_PATH = "/gw"
RESUME_PATH = "/resume"

VoiceRequest = dict[str, str | bool | None]
FrameHandler = Callable[[Connection, Any], Awaitable[None]]


class FakeDiscord:
    """A loopback Discord for one bot. Not thread-safe; use from one event loop."""

    def __init__(
        self,
        *,
        guilds: list[FakeGuild],
        bot_user_id: str = "900000000000000001",
        token: str = "fake-token",  # noqa: S107 - the fake's own token, not a secret
        application_id: str = "900000000000000002",
        bot_username: str = "Sunday Mining",
        heartbeat_interval_ms: int = DEFAULT_HEARTBEAT_INTERVAL_MS,
        required_intents: int = GUILDS | GUILD_VOICE_STATES,
    ) -> None:
        self.token = token
        self.application_id = application_id
        self.bot = FakeMember(id=bot_user_id, username=bot_username, bot=True)
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.required_intents = required_intents
        # Copies: scripted changes must not leak into the caller's fixtures.
        self.guilds: dict[str, FakeGuild] = {g.id: self._with_bot(g) for g in guilds}
        self._init_observations()
        self._sessions: dict[str, Session] = {}
        self._connections: set[Connection] = set()
        self._offline = False
        self._released = asyncio.Event()
        self._released.set()
        self._waiters: list[asyncio.Future[None]] = []
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._handlers: dict[int, FrameHandler] = {
            OP_HEARTBEAT: self._on_heartbeat,
            OP_IDENTIFY: self._on_identify,
            OP_PRESENCE_UPDATE: self._on_ignored,
            OP_VOICE_STATE_UPDATE: self._on_voice_request,
            OP_RESUME: self._on_resume,
            OP_REQUEST_GUILD_MEMBERS: self._on_request_members,
        }

    def _init_observations(self) -> None:
        self.identify_count = 0
        self.resume_count = 0  # successful RESUMEs
        self.rejected_resumes = 0  # RESUMEs of an unknown session, answered with op 9 false
        self.heartbeats_received = 0
        self.intents: int | None = None  # of the last IDENTIFY
        self.voice_state_requests: list[VoiceRequest] = []
        self.rest_requests: list[tuple[str, str]] = []  # (method, path), every REST call
        self.unknown_requests: list[tuple[str, str]] = []  # the ones answered 404
        self.connection_paths: list[str] = []  # every gateway connection attempt, in order
        self.refused_connections = 0  # attempts answered 503 while offline
        self.held_connections = 0  # attempts waiting right now in hold_connections(True)
        self.close_codes: list[int | None] = []  # per closed connection, whoever closed it
        self.protocol_errors: list[str] = []  # anything the real Discord would reject

    def _with_bot(self, guild: FakeGuild) -> FakeGuild:
        guild = copy.deepcopy(guild)
        if all(m.id != self.bot.id for m in guild.members):
            guild.members.append(copy.copy(self.bot))
        return guild

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get(GATEWAY_PATH, self._gateway)
        app.router.add_get(RESUME_PATH, self._gateway)
        app.router.add_get(f"{API_PREFIX}/users/@me", self._rest_me)
        app.router.add_get(f"{API_PREFIX}/oauth2/applications/@me", self._rest_application)
        app.router.add_get(f"{API_PREFIX}/gateway/bot", self._rest_gateway_bot)
        app.router.add_get(f"{API_PREFIX}/gateway", self._rest_gateway)
        app.router.add_route("*", "/{tail:.*}", self._rest_unknown)
        # Short shutdown: a hung client must not hold a test's teardown for a minute.
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))  # loopback only, ephemeral port
        await web.SockSite(runner, sock).start()
        self._runner = runner
        self._port = int(sock.getsockname()[1])

    async def stop(self) -> None:
        self._released.set()  # let held attempts finish instead of hanging the shutdown
        for connection in list(self._connections):
            await connection.close(1001)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("FakeDiscord is not started")
        return self._port

    @property
    def rest_base(self) -> str:
        return f"http://127.0.0.1:{self.port}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}{GATEWAY_PATH}"

    @property
    def resume_gateway_url(self) -> str:
        # A different path from gateway_url, so tests can see which one the client used.
        return f"ws://127.0.0.1:{self.port}{RESUME_PATH}"

    @contextlib.contextmanager
    def patch_discord(self) -> Iterator[None]:
        """Point discord.py at the fake. Process-global: one patched fake at a time."""
        import discord.http
        import yarl
        from discord.gateway import DiscordWebSocket

        old_base, old_gateway = discord.http.Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
        discord.http.Route.BASE = self.rest_base
        # Must be a yarl.URL: from_client() calls .with_query() on it.
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)
        try:
            yield
        finally:
            discord.http.Route.BASE = old_base
            DiscordWebSocket.DEFAULT_GATEWAY = old_gateway

    # -- observation helpers ---------------------------------------------------------------

    def guild(self, guild_id: str) -> FakeGuild:
        try:
            return self.guilds[guild_id]
        except KeyError:
            raise ValueError(f"unknown guild {guild_id}") from None

    @property
    def session_ids(self) -> list[str]:
        """Sessions that can still be resumed, oldest first."""
        return list(self._sessions)

    @property
    def connected(self) -> bool:
        """Whether some client is identified (or resumed) on an open connection."""
        return any(s.connection is not None for s in self._sessions.values())

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        """Wait until predicate() holds; it is re-checked after every change the fake sees."""
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                while not predicate():
                    waiter: asyncio.Future[None] = loop.create_future()
                    self._waiters.append(waiter)
                    await waiter
        except TimeoutError:
            raise TimeoutError(f"fake Discord: condition not met within {timeout} s") from None

    def _notify(self) -> None:
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    # -- scripted world changes ------------------------------------------------------------

    async def voice_join(self, guild_id: str, user_id: str, channel_id: str) -> None:
        guild = self.guild(guild_id)
        if user_id in guild.voice_states:
            raise ValueError(f"{user_id} is already in voice; use voice_move")
        guild.place(user_id, channel_id)
        await self._announce(guild, user_id)

    async def voice_move(self, guild_id: str, user_id: str, channel_id: str) -> None:
        guild = self._in_voice(guild_id, user_id)
        guild.place(user_id, channel_id)
        await self._announce(guild, user_id)

    async def voice_leave(self, guild_id: str, user_id: str) -> None:
        guild = self._in_voice(guild_id, user_id)
        guild.place(user_id, None)
        await self._announce(guild, user_id)

    async def voice_toggle_mute(self, guild_id: str, user_id: str) -> None:
        guild = self._in_voice(guild_id, user_id)
        guild.self_muted ^= {user_id}
        await self._announce(guild, user_id)

    async def voice_toggle_deaf(self, guild_id: str, user_id: str) -> None:
        guild = self._in_voice(guild_id, user_id)
        guild.self_deafened ^= {user_id}
        await self._announce(guild, user_id)

    def add_member(self, guild_id: str, member: FakeMember) -> None:
        """A new guild member. No event: GUILD_MEMBER_ADD needs the privileged members intent."""
        self.guild(guild_id).members.append(member)

    def _in_voice(self, guild_id: str, user_id: str) -> FakeGuild:
        guild = self.guild(guild_id)
        if user_id not in guild.voice_states:
            raise ValueError(f"{user_id} is not in voice in guild {guild_id}")
        return guild

    async def _announce(self, guild: FakeGuild, user_id: str) -> None:
        channel_id = guild.voice_states.get(user_id)
        update = payloads.voice_state_update(guild, user_id, channel_id)
        await self._broadcast("VOICE_STATE_UPDATE", update)

    async def _broadcast(self, event: str, data: Json) -> None:
        """Dispatch to every live session; disconnected ones keep it for replay on RESUME."""
        for session in list(self._sessions.values()):
            async with session.lock:
                await session.dispatch(event, data)
        self._notify()

    # -- connection faults -----------------------------------------------------------------

    async def request_reconnect(self) -> None:
        """op 7 RECONNECT on every identified connection: the client closes and RESUMEs."""
        live = self._identified_connections()
        if not live:
            raise RuntimeError("no identified gateway connection")
        for connection in live:
            await connection.send({"op": OP_RECONNECT, "d": None})

    async def drop_connection(self, code: int = CLOSE_UNKNOWN_ERROR) -> None:
        """Close every open connection with `code`; 4000 lets the client RESUME."""
        connections = list(self._connections)
        if not connections:
            raise RuntimeError("no open gateway connection")
        for connection in connections:
            await connection.close(code)

    async def invalidate_session(self, resumable: bool = False) -> None:
        """op 9 to live sessions. Not resumable: every session (also disconnected ones) is
        forgotten, its unsent events with it, so the next RESUME gets op 9 false too."""
        for session in list(self._sessions.values()):
            if not resumable:
                del self._sessions[session.id]
            if session.connection is not None:
                await session.connection.send({"op": OP_INVALID_SESSION, "d": resumable})
        self._notify()

    def set_offline(self, offline: bool) -> None:
        """While offline, gateway connection attempts get HTTP 503 (the client backs off,
        0-2 s for the first retry, then doubling). Does not cut a live connection: call
        drop_connection() for that. REST stays up."""
        self._offline = offline

    def hold_connections(self, hold: bool) -> None:
        """While held, gateway connection attempts wait before the websocket handshake.
        Unlike set_offline there is no client backoff: releasing lets the client in at once,
        so a test can change the world while the client is certainly disconnected."""
        if hold:
            self._released.clear()
        else:
            self._released.set()

    def _identified_connections(self) -> list[Connection]:
        return [c for c in self._connections if c.session is not None]

    # -- gateway ---------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        self.connection_paths.append(request.path)
        await self._wait_if_held()
        if self._offline:
            self.refused_connections += 1
            self._notify()
            return _json(503, payloads.error(503, "Service Unavailable"))
        ws = web.WebSocketResponse(compress=False)
        await ws.prepare(request)
        connection = Connection(ws=ws, path=request.path)
        self._connections.add(connection)
        try:
            await self._serve(connection)
        finally:
            self._connections.discard(connection)
            self._closed(connection)
        return ws

    async def _wait_if_held(self) -> None:
        if self._released.is_set():
            return
        self.held_connections += 1
        self._notify()
        try:
            await self._released.wait()
        finally:
            self.held_connections -= 1

    async def _serve(self, connection: Connection) -> None:
        hello = {"op": OP_HELLO, "d": {"heartbeat_interval": self.heartbeat_interval_ms}}
        await connection.send(hello)
        self._notify()
        async for message in connection.ws:
            frame = _decode(message)
            if frame is None:
                await self._reject(connection, CLOSE_DECODE_ERROR, f"undecodable {message!r}")
            else:
                await self._on_frame(connection, frame)
            self._notify()

    def _closed(self, connection: Connection) -> None:
        code = connection.server_close_code or connection.ws.close_code
        self.close_codes.append(code)
        session = connection.session
        if session is not None and session.connection is connection:
            session.connection = None
            # As on Discord, a client closing with 1000/1001 ends its session for good.
            if connection.server_close_code is None and code in (1000, 1001):
                self._sessions.pop(session.id, None)
        self._notify()

    async def _on_frame(self, connection: Connection, frame: Json) -> None:
        op, data = frame.get("op"), frame.get("d")
        handler = self._handlers.get(op) if isinstance(op, int) else None
        if handler is None:
            self.protocol_errors.append(f"unknown opcode {op!r}")
        elif op != OP_HEARTBEAT and not isinstance(data, dict):
            await self._reject(connection, CLOSE_DECODE_ERROR, f"op {op} without an object")
        elif connection.session is None and op not in (OP_HEARTBEAT, OP_IDENTIFY, OP_RESUME):
            await self._reject(connection, CLOSE_NOT_AUTHENTICATED, f"op {op} before IDENTIFY")
        else:
            await handler(connection, data)

    async def _reject(self, connection: Connection, code: int, why: str) -> None:
        self.protocol_errors.append(why)
        await connection.close(code)

    async def _on_ignored(self, connection: Connection, data: Any) -> None:
        return None

    async def _on_heartbeat(self, connection: Connection, data: Any) -> None:
        self.heartbeats_received += 1
        await connection.send({"op": OP_HEARTBEAT_ACK, "d": None})

    async def _on_identify(self, connection: Connection, data: Json) -> None:
        if connection.session is not None:
            await self._reject(connection, CLOSE_ALREADY_AUTHENTICATED, "IDENTIFY sent twice")
            return
        if data.get("token") != self.token:
            await self._reject(connection, CLOSE_AUTHENTICATION_FAILED, "IDENTIFY: bad token")
            return
        intents = int(data.get("intents") or 0)
        self.intents = intents
        if intents & self.required_intents != self.required_intents:
            why = f"IDENTIFY intents {intents} lack {self.required_intents}"
            await self._reject(connection, CLOSE_INVALID_INTENTS, why)
            return
        self.identify_count += 1
        await self._start_session(connection, Session(intents=intents, shard=data.get("shard")))

    async def _start_session(self, connection: Connection, session: Session) -> None:
        """READY then one GUILD_CREATE per guild, back to back (discord.py's on_ready waits
        only guild_ready_timeout after the last GUILD_CREATE)."""
        async with session.lock:
            # Registration and the snapshot happen with no await in between, so every world
            # change is either in the snapshot or dispatched after it, never both or neither.
            self._sessions[session.id] = session
            connection.session, session.connection = session, connection
            events = [("READY", self._ready(session)), *self._guild_creates(session)]
            for event, data in events:
                await session.dispatch(event, data)

    def _ready(self, session: Session) -> Json:
        return payloads.ready(
            self.bot,
            list(self.guilds.values()),
            session_id=session.id,
            resume_gateway_url=self.resume_gateway_url,
            application_id=self.application_id,
            shard=session.shard,
        )

    def _guild_creates(self, session: Session) -> list[tuple[str, Json]]:
        # Full member lists only where Discord sends them; otherwise the bot and voice users.
        all_members = bool(session.intents & GUILD_PRESENCES)
        return [
            ("GUILD_CREATE", payloads.guild_create(g, self.bot.id, all_members=all_members))
            for g in self.guilds.values()
        ]

    async def _on_resume(self, connection: Connection, data: Json) -> None:
        if data.get("token") != self.token:
            await self._reject(connection, CLOSE_AUTHENTICATION_FAILED, "RESUME: bad token")
            return
        session = self._sessions.get(str(data.get("session_id")))
        if session is None:
            self.rejected_resumes += 1
            await connection.send({"op": OP_INVALID_SESSION, "d": False})
            return
        previous = session.connection
        async with session.lock:
            for frame in session.missed_since(int(data.get("seq") or 0)):
                await connection.send(frame)
            # Numbered but not kept: replaying RESUMED later would fire on_resumed twice.
            await connection.send(session.frame("RESUMED", {"_trace": ["fake-discord"]}))
            connection.session, session.connection = session, connection
        self.resume_count += 1
        if previous is not None and previous is not connection:
            await previous.close(CLOSE_UNKNOWN_ERROR)  # a session has one connection at a time

    async def _on_voice_request(self, connection: Connection, data: Json) -> None:
        request: VoiceRequest = {
            "guild_id": _snowflake(data.get("guild_id")),
            "channel_id": _snowflake(data.get("channel_id")),
            "self_deaf": bool(data.get("self_deaf")),
            "self_mute": bool(data.get("self_mute")),
        }
        self.voice_state_requests.append(request)
        guild = self.guilds.get(str(request["guild_id"]))
        channel_id = request["channel_id"]
        if guild is None or not (channel_id is None or isinstance(channel_id, str)):
            self.protocol_errors.append(f"op 4 for unknown guild: {request}")
            return
        if channel_id is not None and not self._bot_may_join(guild, channel_id):
            return  # Discord answers nothing at all: the client's connect times out
        assert connection.session is not None  # _on_frame checked it
        await self._move_bot(guild, channel_id, request, connection.session.id)

    def _bot_may_join(self, guild: FakeGuild, channel_id: str) -> bool:
        try:
            return guild.may_join(self.bot.id, channel_id)
        except ValueError as exc:
            self.protocol_errors.append(f"op 4: {exc}")
            return False

    async def _move_bot(
        self, guild: FakeGuild, channel_id: str | None, request: VoiceRequest, session_id: str
    ) -> None:
        # The bot's voice session id is its gateway session id, as on Discord.
        guild.place(self.bot.id, channel_id, session_id=session_id)
        if channel_id is not None:
            mute, deaf = bool(request["self_mute"]), bool(request["self_deaf"])
            guild.set_self_flags(self.bot.id, mute=mute, deaf=deaf)
        await self._announce(guild, self.bot.id)
        if channel_id is not None:
            # A null endpoint means "no voice server yet": a real VoiceClient would wait (there
            # is no voice server here); change_voice_state() ignores this event.
            server = {"token": "fake-voice-token", "guild_id": guild.id, "endpoint": None}
            await self._broadcast("VOICE_SERVER_UPDATE", server)

    async def _on_request_members(self, connection: Connection, data: Json) -> None:
        guild = self.guilds.get(str(data.get("guild_id")))
        session = connection.session
        if guild is None or session is None:
            self.protocol_errors.append(f"op 8 for unknown guild: {data.get('guild_id')}")
            return
        chunk = {
            "guild_id": guild.id,
            "members": [payloads.guild_member(m) for m in guild.members],
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [],
            "nonce": data.get("nonce"),
        }
        async with session.lock:
            await session.dispatch("GUILD_MEMBERS_CHUNK", chunk)

    # -- REST ------------------------------------------------------------------------------

    def _authorized(self, request: web.Request) -> bool:
        self.rest_requests.append((request.method, request.path))
        self._notify()
        return request.headers.get("Authorization") == f"Bot {self.token}"

    async def _rest_me(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _json(401, payloads.error(401, "Unauthorized"))
        return _json(200, payloads.me(self.bot))

    async def _rest_application(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _json(401, payloads.error(401, "Unauthorized"))
        return _json(200, payloads.application(self.application_id, self.bot))

    async def _rest_gateway_bot(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _json(401, payloads.error(401, "Unauthorized"))
        limit = {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}
        body = {"url": self.gateway_url, "shards": 1, "session_start_limit": limit}
        return _json(200, body)

    async def _rest_gateway(self, request: web.Request) -> web.Response:
        self._authorized(request)  # no auth needed, but recorded like every REST call
        return _json(200, {"url": self.gateway_url})

    async def _rest_unknown(self, request: web.Request) -> web.Response:
        self._authorized(request)
        self.unknown_requests.append((request.method, request.path))
        return _json(404, payloads.error(404, "Not Found"))


def _json(status: int, body: Json) -> web.Response:
    # Exactly "application/json": with "; charset=utf-8" (web.json_response) discord.py's
    # json_or_text() returns a str and login fails with a TypeError.
    headers = {"Content-Type": "application/json"}
    return web.Response(status=status, body=json.dumps(body).encode(), headers=headers)


def _decode(message: WSMessage) -> Json | None:
    """A client frame as a JSON object; None for binary, malformed or non-object frames."""
    if message.type is not WSMsgType.TEXT:
        return None
    try:
        frame = json.loads(message.data)
    except json.JSONDecodeError:
        return None
    return frame if isinstance(frame, dict) else None


def _snowflake(value: object) -> str | None:
    """IDs arrive as JSON numbers from discord.py; the fake compares them as strings."""
    return None if value is None else str(value)
