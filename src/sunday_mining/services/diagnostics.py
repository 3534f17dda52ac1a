"""/mining diagnostics: every part of the app checked at once, each with its fix.

Checks run concurrently with a short timeout each, so a hung dependency shows as ❌ instead of
holding the answer past Discord's deadline.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from sunday_mining.domain import ores
from sunday_mining.domain.clock import Clock
from sunday_mining.domain.errors import DomainError
from sunday_mining.domain.wording import counted
from sunday_mining.ports.store import Store
from sunday_mining.schema.health import SCHEMA_FIX
from sunday_mining.services import keys
from sunday_mining.services.diagnostic_probes import Check, Probes, Status
from sunday_mining.services.errors import ErrorLog
from sunday_mining.services.guilds import GuildService
from sunday_mining.services.prices import PriceService
from sunday_mining.services.sessions import SessionService
from sunday_mining.services.worker import (
    STALE_AFTER_MS,
    WorkerFreshness,
    outdated_worker_at,
    worker_freshness,
)

CHECK_TIMEOUT_S = 1.5
# A value or fix longer than this is cut (a worker's error text can be anything): one line must
# never crowd the others out of the message.
MAX_CHECK_CHARS = 300
DAY_MS = 86_400_000
_PERMISSIONS = ("VIEW_CHANNEL", "CONNECT")
_QUEUE = "On-failure queue"
_UNREAD = (
    "Check that SM_FAILURE_QUEUE_URL names the stack's FailureQueue and that the app may call "
    "sqs:GetQueueAttributes on it (the template grants both), then try again."
)
_REBUILD_QUEUED = (
    "Read the messages in FailureQueue in the SQS console (each carries its job and error), "
    "press Rebuild report on the payrolls they name, then purge the queue."
)
_REBUILD_LOCAL = "Press Rebuild report on the affected payrolls; the app's log has each error."


def _clipped(text: str) -> str:
    return text if len(text) <= MAX_CHECK_CHARS else text[: MAX_CHECK_CHARS - 1] + "…"


def _bounded(check: Check) -> Check:
    fix = None if check.fix is None else _clipped(check.fix)
    return Check(_clipped(check.area), check.status, _clipped(check.value), fix)


def _ok(area: str, value: str) -> Check:
    return Check(area, Status.OK, value)


def _warn(area: str, value: str, fix: str) -> Check:
    return Check(area, Status.WARN, value, fix)


def _fail(area: str, value: str, fix: str) -> Check:
    return Check(area, Status.FAIL, value, fix)


class DiagnosticsService:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        guilds: GuildService,
        sessions: SessionService,
        prices: PriceService,
        errors: ErrorLog,
        probes: Probes,
        *,
        timeout_s: float = CHECK_TIMEOUT_S,
    ) -> None:
        self._store, self._clock, self._guilds = store, clock, guilds
        self._sessions, self._prices, self._errors = sessions, prices, errors
        self._probes = probes
        self._timeout_s = timeout_s
        self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="sm-diag")

    def run(self, guild_id: str) -> list[Check]:
        checks: list[tuple[str, Callable[[], list[Check]]]] = [
            ("Database", self._store_checks),
            ("Prices", self._price_checks),
            ("Voice worker", lambda: self._worker_checks(guild_id)),
            ("Channels", lambda: self._channel_checks(guild_id)),
            ("Discord", self._discord_checks),
            ("Reports", self._report_checks),
            (_QUEUE, self._failed_job_checks),
            ("Recent errors", self._error_checks),
        ]
        futures: list[tuple[str, Future[list[Check]]]] = [
            (area, self._pool.submit(check)) for area, check in checks
        ]
        deadline = time.monotonic() + self._timeout_s
        results: list[Check] = []
        for area, future in futures:
            try:
                results += future.result(timeout=max(0.0, deadline - time.monotonic()))
            except FutureTimeout:
                results.append(
                    _fail(
                        area,
                        f"no answer within {self._timeout_s:g} s",
                        "It is hung or very slow; check its logs and try again.",
                    )
                )
            except DomainError as failure:
                results.append(_fail(area, failure.message, "Fix the cause above and retry."))
            except Exception:  # a check must never take the whole command down
                results.append(_fail(area, "the check itself failed", "See the app's logs."))
        return [_bounded(check) for check in results]

    # --- the checks ---------------------------------------------------------------------------

    def _store_checks(self) -> list[Check]:
        started = time.perf_counter()
        self._store.get(("META", "SCHEMA"))
        latency = (time.perf_counter() - started) * 1000
        reach = _ok("Database", f"reachable, {latency:.0f} ms")
        if latency > 500:
            reach = _warn("Database", f"slow, {latency:.0f} ms", "Check the database's load.")
        problems = self._probes.schema_problems()
        if not problems:
            return [reach, _ok("Schema", "keys, indexes, TTL, backups and version match")]
        return [
            reach,
            _fail(
                "Schema",
                "; ".join(p.rstrip(".") for p in problems),
                SCHEMA_FIX,
            ),
        ]

    def _price_checks(self) -> list[Check]:
        now = self._clock.now_ms()
        snapshot = self._prices.current()
        found: list[Check] = []
        if snapshot.source == "bundled":
            found.append(
                _warn(
                    "Prices",
                    "only the bundled offline sample",
                    "Let the scheduled price refresh run, or run `sunday-mining refresh-prices`.",
                )
            )
        elif snapshot.is_stale(now):
            found.append(
                _warn(
                    "Prices",
                    f"snapshot {snapshot.age_ms(now) // 3_600_000} h old",
                    "The price refresh is failing; see its last error below.",
                )
            )
        else:
            found.append(_ok("Prices", f"snapshot {snapshot.age_ms(now) // 60_000} min old"))
        last = self._prices.last_refresh()
        if last is not None and not last.ok:
            found.append(
                _warn(
                    "Price refresh",
                    f"last run failed: {last.reason}",
                    "UEX may be down; the last good prices stay in use.",
                )
            )
        missing = snapshot.missing([o for o in ores.all_ores() if not o.is_raw])
        if missing:
            names = ", ".join(o.name for o in missing[:5])
            found.append(
                _warn(
                    "Ores without a price",
                    f"{len(missing)}: {names}",
                    "Officers must type a price for these.",
                )
            )
        return found

    def _heartbeat(self) -> dict[str, Any]:
        return self._store.get(keys.worker_heartbeat_key(), consistent=False) or {}

    def _worker_checks(self, guild_id: str) -> list[Check]:
        now = self._clock.now_ms()
        fresh = worker_freshness(self._store, now)
        outdated = self._outdated_worker(fresh)
        if fresh.age_ms is None:
            return [
                *outdated,
                _fail(
                    "Voice worker",
                    "never reported",
                    "Start the voice worker (see the admin guide); without it no time is recorded.",
                ),
            ]
        beat = self._heartbeat()
        age_s = fresh.age_ms // 1000
        latency = beat.get("latency_ms")
        shown = "unknown" if latency is None else f"{latency} ms"
        value = (
            f"heard {age_s} s ago, gateway latency {shown}, "
            f"{counted(int(beat.get('reconnects_24h') or 0), 'reconnect')} today, "
            f"lease {beat.get('worker_id')}"
        )
        found = [
            *outdated,
            _fail("Voice worker", value, "It stopped reporting: restart it and check its logs.")
            if fresh.age_ms > STALE_AFTER_MS
            else _ok("Voice worker", value),
        ]
        voice = (beat.get("voice") or {}).get(guild_id) or {}
        wanted, actual = voice.get("requested"), voice.get("channel_id")
        if wanted != actual:
            found.append(
                _warn(
                    "Bot in dispatch",
                    f"asked for {_channel(wanted)}, sits in "
                    f"{_channel(actual)}: {voice.get('error') or 'joining'}",
                    "Give the bot View Channel and Connect there, or free a seat.",
                )
            )
        return found

    def _outdated_worker(self, fresh: WorkerFreshness) -> list[Check]:
        """A worker of protocol v1 refused since the last heartbeat of an up-to-date one."""
        refused_ms = outdated_worker_at(self._store)
        if refused_ms is None or (fresh.last_heartbeat_ms or 0) > refused_ms:
            return []
        minutes = max(0, fresh.now_ms - refused_ms) // 60_000
        return [
            _fail(
                "Voice worker version",
                f"a worker of protocol v1 was refused {minutes} min ago",
                "Upgrade the voice worker to this release: the app no longer accepts the old "
                "worker's signatures (docs/worker-protocol.md).",
            )
        ]

    def _channel_checks(self, guild_id: str) -> list[Check]:
        config = self._guilds.get(guild_id)
        if not config.channels:
            return [
                _warn("Channels", "no mining channels", "Add them with /mining-admin channels add.")
            ]
        report = ((self._heartbeat().get("channels") or {}).get(guild_id)) or {}
        found: list[Check] = []
        for channel in config.channels:
            seen = report.get(channel.channel_id)
            label = f"<#{channel.channel_id}>" + (" (dispatch)" if channel.dispatch else "")
            if seen is None:
                found.append(
                    _warn(
                        label,
                        "not reported by the worker yet",
                        "Wait for the next heartbeat, or check that it exists.",
                    )
                )
                continue
            lacking = [p for p in seen.get("missing", []) if p in _PERMISSIONS]
            if lacking:
                found.append(
                    _fail(
                        label,
                        "bot lacks " + ", ".join(lacking),
                        "Allow the bot's role View Channel and Connect there.",
                    )
                )
            elif seen.get("full"):
                found.append(_warn(label, "full", "Raise the user limit or free a seat."))
            else:
                found.append(_ok(label, "visible, joinable"))
        return found

    def _discord_checks(self) -> list[Check]:
        probes = self._probes
        if not probes.discord_configured:
            return [
                _fail(
                    "Discord",
                    "application id or public key not set",
                    "Set DISCORD_APPLICATION_ID and DISCORD_PUBLIC_KEY.",
                )
            ]
        found = [_ok("Discord", "application id and public key set")]
        if probes.discord_token is None:
            found.append(_warn("Bot token", "not set", "Set DISCORD_BOT_TOKEN."))
            return found
        try:
            found.append(_ok("Bot token", f"accepted ({probes.discord_token()})"))
        except DomainError:
            found.append(
                _fail(
                    "Bot token",
                    "refused by Discord",
                    "Reset the token in the developer portal and update the secret.",
                )
            )
            return found
        if probes.commands_current is not None and not probes.commands_current():
            found.append(
                _warn(
                    "Commands",
                    "registered set differs from this build",
                    "Run `sunday-mining register-commands`.",
                )
            )
        elif probes.commands_current is not None:
            found.append(_ok("Commands", "registered and current"))
        return found

    def _report_checks(self) -> list[Check]:
        if self._probes.reports is None:
            return [
                _warn(
                    "Reports",
                    "off: no link-signing key",
                    "Put SM_LINK_SIGNING_KEY in the app's secret (docs/deploy.md) and redeploy.",
                )
            ]
        return [self._probes.reports()]

    def _failed_job_checks(self) -> list[Check]:
        probe = self._probes.failed_jobs
        if probe is None:
            return []  # not visible from here: no line rather than a guess
        try:
            waiting = probe.count()
        except DomainError as failure:
            unread = f"couldn't read the on-failure queue: {failure.message}"
            return [_warn(_QUEUE, unread, _UNREAD)]
        since = " since this process started (held in memory)" if probe.in_memory else ""
        if waiting == 0:
            return [_ok(_QUEUE, f"empty{since}")]
        jobs = f"{waiting} failed job{'' if waiting == 1 else 's'}"
        if probe.in_memory:
            return [_warn(_QUEUE, f"{jobs}{since}", _REBUILD_LOCAL)]
        return [_warn(_QUEUE, f"{jobs} waiting", _REBUILD_QUEUED)]

    def _error_checks(self) -> list[Check]:
        counts = self._errors.last_day()
        if not counts:
            return [_ok("Recent errors", "none in the last day")]
        text = ", ".join(f"{kind}: {n}" for kind, n in sorted(counts.items()))
        return [_warn("Recent errors", text, "See the logs for details.")]


def _channel(channel_id: str | None) -> str:
    return f"<#{channel_id}>" if channel_id else "nothing"
