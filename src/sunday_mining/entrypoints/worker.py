"""The worker's composition root: `run_worker` (tests, embedding) and `main` (the CLI).

Life of a worker: acquire the lease → connect to the gateway and heartbeat → on a 409 stop the
gateway and go back to acquiring; on a crash back off and reconnect; on SIGTERM/SIGINT leave
voice, flush and deliver what is left (briefly), release the lease and exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import random
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from sunday_mining.domain.errors import ValidationError
from sunday_mining.ports.worker_protocol import Heartbeat, HeartbeatAnswer
from sunday_mining.worker.app_client import AppClient, AppError, AuthError
from sunday_mining.worker.budget import IdentifyBudget
from sunday_mining.worker.config import WorkerSettings
from sunday_mining.worker.delivery import Delivery
from sunday_mining.worker.lag import LoopLag
from sunday_mining.worker.lease import (
    Heartbeater,
    LeaseLost,
    WorkerMisconfigured,
    acquire_lease,
    wait_or_stop,
)
from sunday_mining.worker.presence import Presence
from sunday_mining.worker.recorder import Recorder, wall_ms
from sunday_mining.worker.spool import Spool

if TYPE_CHECKING:
    import discord

    from sunday_mining.worker.gateway import GatewayBridge

    ClientFactory = Callable[[GatewayBridge], discord.Client]

log = logging.getLogger("sunday_mining.worker")

EXIT_OK = 0
EXIT_CRASHED = 1
EXIT_APP_AUTH = 2  # the app refused our signature: wrong secret or clock
EXIT_DISCORD_AUTH = 3  # Discord refused the token or the intents; reconnecting cannot help
EXIT_CONFIG = 4
# Gateway close codes after which Discord says not to reconnect.
_FATAL_CLOSE_CODES = {4004, 4010, 4011, 4012, 4013, 4014}
# A session that lasted this long was not part of a crash loop.
_STABLE_SESSION_S = 600.0
_LEAVE_VOICE_S = 3.0
_GATEWAY_CLOSE_S = 5.0


class _Outcome(enum.Enum):
    STOP = "stop"
    LEASE_LOST = "lease lost"
    CRASH = "crash"
    APP_AUTH = "app refused the signature"
    DISCORD_AUTH = "discord refused the login"
    BROKEN = "a part of the worker stopped"


class Worker:
    def __init__(
        self,
        settings: WorkerSettings,
        app: AppClient,
        spool: Spool,
        budget: IdentifyBudget,
        client_factory: ClientFactory,
        clock_ms: Callable[[], int] = wall_ms,
    ) -> None:
        from sunday_mining.worker.gateway import DiscordVoice, GatewayBridge

        self.settings = settings
        self.app = app
        self.spool = spool
        self.budget = budget
        self._factory = client_factory
        self.lag = LoopLag()
        self.delivery = Delivery(spool, app, settings.worker_id)
        self.recorder = Recorder(
            self.delivery.submit, batch_max=settings.batch_max_records, clock_ms=clock_ms
        )
        self.presence = Presence(
            DiscordVoice(
                lambda: self.bridge.client,
                settings.voice_mode,
                connect_timeout_s=settings.voice_confirm_s,
            ),
            confirm_s=settings.voice_confirm_s,
            backoff_max_s=settings.voice_backoff_max_s,
        )
        self.bridge = GatewayBridge(self.recorder, self.presence, budget, on_ready=self._poke)
        self.heartbeater: Heartbeater | None = None
        self.watch: dict[str, tuple[str, ...]] = {}
        self.sessions = 0
        self._background: list[asyncio.Task[None]] = []
        self._rng = random.Random()

    # --- the heartbeat -------------------------------------------------------------------------

    def _poke(self) -> None:
        # Right after READY: learn where the bot should sit without waiting a whole interval.
        if self.heartbeater is not None:
            self.heartbeater.poke()

    def build_heartbeat(self) -> Heartbeat:
        connected = self.recorder.state == "connected" and self.bridge.client is not None
        guilds = self.bridge.guild_ids() if connected else []
        watch = {g: channels for g, channels in self.watch.items() if g in guilds}
        return Heartbeat(
            worker_id=self.settings.worker_id,
            conn=self.recorder.conn,
            sent_ms=wall_ms(),
            state=self.recorder.state,
            latency_ms=self.bridge.latency_ms() if connected else None,
            reconnects_24h=max(0, self.budget.count_24h() - 1) + self.recorder.resumes_24h(),
            guilds=guilds,
            gaps=self.recorder.take_gaps(),
            voice=self.presence.voice_report(guilds) if connected else {},
            channels=self.presence.channel_report(watch) if connected else {},
            loop_lag_p99_ms=self.lag.p99_ms,
        )

    async def _on_answer(self, answer: HeartbeatAnswer) -> None:
        self.presence.set_desired(answer.presence)
        self.watch = {g: tuple(channels) for g, channels in answer.watch.items()}
        self.delivery.nudge()
        await self.touch_health()

    def _undelivered(self, heartbeat: Heartbeat) -> None:
        self.recorder.return_gaps(heartbeat.gaps)

    async def touch_health(self) -> None:
        if self.settings.health_file is not None:
            await asyncio.to_thread(_touch, self.settings.health_file)

    # --- the life of the worker ----------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> int:
        self._background = background = [
            asyncio.create_task(self.lag.run(), name="loop-lag"),
            asyncio.create_task(self.delivery.run(), name="delivery"),
            asyncio.create_task(
                self.recorder.run_flusher(self.settings.batch_flush_s), name="batch-flusher"
            ),
        ]
        log.info(
            "worker starting",
            extra={
                "worker_id": self.settings.worker_id,
                "voice_mode": self.settings.voice_mode,
                "spooled": len(self.spool),
                "identifies_24h": self.budget.count_24h(),
            },
        )
        code, holding = EXIT_OK, False
        try:
            code, holding = await self._lifecycle(stop)
        except AuthError as exc:
            log.error("stopping: %s", exc)
            code = EXIT_APP_AUTH
        except WorkerMisconfigured as exc:
            log.error("stopping: %s", exc)
            code = EXIT_CONFIG
        finally:
            await self._shutdown(holding=holding and code != EXIT_APP_AUTH)
            for task in background:
                task.cancel()
            await asyncio.gather(*background, return_exceptions=True)
        log.info("worker stopped", extra={"exit_code": code})
        return code

    async def _lifecycle(self, stop: asyncio.Event) -> tuple[int, bool]:
        crashes = 0
        settings = self.settings
        while not stop.is_set():
            holding = await acquire_lease(
                self.app,
                settings.worker_id,
                settings.lease_ttl_s,
                settings.lease_retry_interval_s,
                stop,
                self.touch_health,
            )
            if not holding:
                return EXIT_OK, False
            self.delivery.resume()
            started = time.monotonic()
            outcome = await self._session(stop)
            if outcome is _Outcome.STOP:
                return EXIT_OK, True
            if outcome is _Outcome.LEASE_LOST:
                self.delivery.pause()
                log.warning("lease lost: gateway stopped, waiting for the lease again")
                continue
            if outcome is _Outcome.APP_AUTH:
                log.error("stopping: %s", self.delivery.fatal or "the app refused the signature")
                return EXIT_APP_AUTH, False
            if outcome is _Outcome.DISCORD_AUTH:
                return EXIT_DISCORD_AUTH, True
            if outcome is _Outcome.BROKEN:
                # Spooling or delivery died: exit so the supervisor restarts a whole worker.
                return EXIT_CRASHED, True
            stable = time.monotonic() - started > _STABLE_SESSION_S
            crashes = 1 if stable else crashes + 1
            delay = self._restart_delay(crashes)
            log.error(
                "gateway session ended; reconnecting after a backoff",
                extra={"crashes": crashes, "delay_s": round(delay, 1)},
            )
            if await self._back_off(stop, delay):
                return EXIT_OK, True
        return EXIT_OK, False

    async def _back_off(self, stop: asyncio.Event, delay_s: float) -> bool:
        """Wait before reconnecting, heartbeating meanwhile (state "disconnected") so the lease
        and the app's view of the worker stay current. True if ``stop`` was set."""
        beats = asyncio.create_task(self._new_heartbeater().run(), name="heartbeat")
        try:
            stopped = await wait_or_stop(stop, delay_s)
        finally:
            beats.cancel()
            await asyncio.gather(beats, return_exceptions=True)
        error = None if beats.cancelled() else beats.exception()
        if isinstance(error, AuthError):
            raise error
        if isinstance(error, LeaseLost):
            self.delivery.pause()  # the next acquire_lease() waits for it
        return stopped

    def _new_heartbeater(self) -> Heartbeater:
        return Heartbeater(
            self.app,
            self.build_heartbeat,
            self._on_answer,
            self._undelivered,
            self.settings.heartbeat_interval_s,
        )

    def _restart_delay(self, crashes: int) -> float:
        base, cap = self.settings.restart_backoff_s, self.settings.restart_backoff_max_s
        ceiling = min(cap, base * 2.0 ** min(crashes - 1, 30))
        return ceiling * (0.5 + self._rng.random() / 2)

    async def _session(self, stop: asyncio.Event) -> _Outcome:
        settings = self.settings
        self.sessions += 1
        self.recorder.starting()
        client = self._factory(self.bridge)
        self.bridge.attach(client)
        self.heartbeater = self._new_heartbeater()
        tasks: dict[str, asyncio.Task[object]] = {
            "gateway": asyncio.create_task(client.start(settings.bot_token), name="gateway"),
            "heartbeat": asyncio.create_task(self.heartbeater.run(), name="heartbeat"),
            "presence": asyncio.create_task(self.presence.run(), name="presence"),
            "snapshots": asyncio.create_task(
                self.bridge.run_snapshots(settings.snapshot_interval_s), name="snapshots"
            ),
            "stop": asyncio.create_task(stop.wait()),
            "lease_lost": asyncio.create_task(self.delivery.lease_lost.wait()),
            "fatal": asyncio.create_task(self.delivery.fatal_event.wait()),
        }
        outcome = _Outcome.CRASH
        try:
            done, _ = await asyncio.wait(
                [*tasks.values(), *self._background], return_when=asyncio.FIRST_COMPLETED
            )
            broken = [task for task in self._background if task in done]
            for task in broken:
                error = None if task.cancelled() else task.exception()
                log.error("%s stopped", task.get_name(), exc_info=error)
            outcome = _Outcome.BROKEN if broken else _outcome(tasks, done)
            if outcome is _Outcome.STOP:
                await self.presence.leave_all(_LEAVE_VOICE_S)
        finally:
            await self._end_session(client, tasks)
        return outcome

    async def _end_session(
        self, client: discord.Client, tasks: dict[str, asyncio.Task[object]]
    ) -> None:
        others = [task for name, task in tasks.items() if name != "gateway"]
        for task in others:
            task.cancel()
        self.bridge.closing()
        with contextlib.suppress(Exception):
            async with asyncio.timeout(_GATEWAY_CLOSE_S):
                await client.close()
        gateway = tasks["gateway"]
        done, _ = await asyncio.wait([gateway], timeout=_GATEWAY_CLOSE_S)
        if not done:
            gateway.cancel()
        _, stuck = await asyncio.wait([gateway, *others], timeout=_GATEWAY_CLOSE_S)
        for task in stuck:
            log.error("task did not stop; abandoned", extra={"task": task.get_name()})
        # Only now: the gateway task dispatches a last "disconnect" on its way out.
        self.recorder.stopped()
        self.bridge.detach()
        self.heartbeater = None

    async def _shutdown(self, *, holding: bool) -> None:
        self.recorder.flush()
        if not await self.delivery.wait_spooled(self.settings.shutdown_grace_s):
            log.error("could not write every batch to the spool before exiting")
        if holding:
            if not await self.delivery.drain(self.settings.shutdown_grace_s):
                log.warning(
                    "exiting with undelivered batches; they stay spooled for the next start",
                    extra={"spooled": len(self.spool)},
                )
            try:
                released = await self.app.release(self.settings.worker_id)
                log.info("lease released", extra={"released": released})
            except AppError as exc:
                log.warning("could not release the lease", extra={"reason": str(exc)})


def _outcome(tasks: dict[str, asyncio.Task[object]], done: set[asyncio.Task[object]]) -> _Outcome:
    if tasks["fatal"] in done:
        return _Outcome.APP_AUTH
    for name in ("heartbeat", "gateway", "presence", "snapshots"):
        task = tasks[name]
        if task not in done or task.cancelled():
            continue
        error = task.exception()
        if isinstance(error, AuthError):
            raise error
        if isinstance(error, LeaseLost):
            return _Outcome.LEASE_LOST
        if name == "gateway" and _discord_refused(error):
            log.error("stopping: Discord refused the bot (%s)", type(error).__name__)
            return _Outcome.DISCORD_AUTH
        if error is not None:
            log.error("%s failed", name, exc_info=error)
        else:
            log.error("%s ended unexpectedly", name)
        return _Outcome.CRASH
    if tasks["stop"] in done:
        return _Outcome.STOP
    return _Outcome.LEASE_LOST


def _discord_refused(error: BaseException | None) -> bool:
    import discord

    if isinstance(error, discord.LoginFailure | discord.PrivilegedIntentsRequired):
        return True
    return isinstance(error, discord.ConnectionClosed) and error.code in _FATAL_CLOSE_CODES


def _touch(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()


def default_client_factory(bridge: GatewayBridge) -> discord.Client:
    from sunday_mining.worker.gateway import WorkerClient

    return WorkerClient(bridge)


async def run_worker(
    settings: WorkerSettings,
    *,
    client_factory: ClientFactory | None = None,
    stop_event: asyncio.Event | None = None,
    app_transport: httpx.AsyncBaseTransport | None = None,
    clock_ms: Callable[[], int] = wall_ms,
) -> int:
    """Run the worker until ``stop_event`` is set (or SIGTERM/SIGINT when none is given).

    ``client_factory(bridge)`` builds the discord client of each gateway session (a fresh one
    every time); tests pass ``lambda b: WorkerClient(b, identify_delay=False, ...)``.
    ``app_transport`` lets a test talk to the app in process (e.g. ``httpx.ASGITransport``).
    Returns the exit code: 0 stopped, 2 the app refused the secret, 3 Discord refused the bot.
    """
    stop = stop_event if stop_event is not None else asyncio.Event()
    installed = _install_signals(stop) if stop_event is None else []
    app = AppClient(
        settings.app_url,
        settings.worker_secret,
        timeout_s=settings.http_timeout_s,
        transport=app_transport,
    )
    spool = await Spool.open(settings.spool_dir)
    try:
        budget = await IdentifyBudget.load(
            settings.spool_dir,
            base_s=settings.restart_backoff_s,
            max_s=settings.restart_backoff_max_s,
        )
        # ``clock_ms`` stamps voice records; tests share one controllable clock with the app.
        worker = Worker(
            settings, app, spool, budget, client_factory or default_client_factory, clock_ms
        )
        return await worker.run(stop)
    finally:
        await spool.close()
        await app.aclose()
        loop = asyncio.get_running_loop()
        for sig in installed:
            loop.remove_signal_handler(sig)


def _install_signals(stop: asyncio.Event) -> list[signal.Signals]:
    loop = asyncio.get_running_loop()
    installed = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, _on_signal, stop, sig)
        except (NotImplementedError, RuntimeError):
            continue
        installed.append(sig)
    return installed


def _on_signal(stop: asyncio.Event, sig: signal.Signals) -> None:
    log.info("stopping on a signal", extra={"signal": sig.name})
    stop.set()


def main() -> int:
    """The `sunday-mining worker` command."""
    from sunday_mining.worker import logs

    try:
        settings = WorkerSettings.from_env()
    except ValidationError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return EXIT_CONFIG
    logs.configure(settings.log_level)
    try:
        import discord  # noqa: F401 - only to fail early with a clear message
    except ImportError:
        print(
            "error: the worker needs discord.py: pip install 'sunday-mining[worker]'",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    from sunday_mining.worker.endpoints import point_discord_at

    point_discord_at(settings.discord_api_base, settings.discord_gateway_url)
    return asyncio.run(run_worker(settings))
