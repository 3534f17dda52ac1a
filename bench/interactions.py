"""Benchmark: warm signed interactions through the real app, against a signed PING.

    python -m bench.interactions [--samples 200]

The app is built as the tests build it (SQLite store, the real FastAPI app, the worker API on)
and driven in-process by the Discord simulator over httpx's ASGI transport, each request signed
with a real Ed25519 key and checked by the app. In-process rather than uvicorn over loopback:
on AWS there is no HTTP server either (mangum hands the event straight to the ASGI app), and a
socket, uvicorn's parser and a second process competing for two cores would add noise that is
not the app's. The PING goes through the same transport, signature check and router, so the
ratio is what a command adds on top of the fixed cost of any interaction.

Measured: ``/mining status`` on an active op with 100 members seated across two tracked
channels (some moved, some left), ``/mining start`` (seeding the 90 members still seated from
guild presence; the op is stopped between samples through the service, outside the timing), and
the payroll Preview button on the stopped 100-member op (a sale, the 10 % org cut, compute and
render).
Each sample is followed by a PING, so a busy moment on the machine hits both.
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.results import Row, Section, judged, median, ms, percentile
from sunday_mining.adapters.sqlite_store import SqliteStore
from sunday_mining.domain.clock import FixedClock
from sunday_mining.domain.presence import VoiceEvent
from sunday_mining.entrypoints.factories import Services, build_services
from sunday_mining.interactions import custom_ids
from sunday_mining.interactions.commands import command_json
from sunday_mining.schema.migrations import migrate
from sunday_mining.services.voice import VoiceBatch
from sunday_mining.web.app import create_app
from sunday_mining_dev.simulator import DevKeyPair, DiscordSimulator, Exchange, SimUser

SAMPLES = 500
WARMUP = 20
MEMBERS = 100
BAR = 3.0
T0 = 1_795_370_400_000  # Sunday 2026-11-22 18:00 UTC
WORKER_SECRET = "b" * 64
SLOW_MACHINE_S = 120.0


@dataclass
class Op:
    """The simulator, the services behind the app and the 100-member op's ids."""

    sim: DiscordSimulator
    services: Services
    clock: FixedClock
    session_id: str = ""
    seq: int = 0

    @property
    def guild_id(self) -> str:
        return self.sim.guild.id

    def who(self, name: str) -> SimUser:
        return self.sim.guild.member(name)

    def send(self, exchange: Exchange) -> Exchange:
        """The answer, or an error: a benchmark of a broken command measures nothing."""
        if exchange.status != 200 or exchange.problems:
            raise RuntimeError(
                f"{exchange.label}: {exchange.status} {exchange.problems} "
                f"{exchange.response_text[:300]}"
            )
        return exchange

    def seat(self, moves: list[tuple[str, str | None]]) -> None:
        """Report voice moves as the worker does, one batch."""
        now = self.clock.now_ms()
        events = []
        for user, channel in moves:
            self.seq += 1
            events.append(VoiceEvent(now, "bench-conn", self.seq, user, channel))
        self.services.voice.record(
            VoiceBatch(self.guild_id, "bench-conn", self.seq, events=tuple(events))
        )


def _crew(members: int) -> list[str]:
    return [str(310_000_000_000_000_000 + 7_919 * n) for n in range(members)]


@contextmanager
def running_op(members: int = MEMBERS) -> Iterator[Op]:
    """A configured guild with ``members`` seated in two tracked channels and an active op on
    which half an hour of moves and leaves has happened."""
    with tempfile.TemporaryDirectory(prefix="sm-bench-") as folder:
        clock = FixedClock(T0)
        store = SqliteStore(Path(folder) / "bench.sqlite3")
        migrate(store, clock)
        services = build_services(store, clock)
        keys = DevKeyPair.generate()
        app = create_app(services, public_key_hex=keys.public_key_hex, worker_secret=WORKER_SECRET)
        # The bench measures latency itself: a slow machine must not turn into a failed run.
        sim = DiscordSimulator.in_process(
            app, keys=keys, definitions=command_json(), deadline_s=SLOW_MACHINE_S
        )
        with sim:
            op = Op(sim, services, clock)
            _configure(op)
            crew = _crew(members)
            one, two = (sim.guild.channel(n).id for n in ("Mining 1", "Mining 2"))
            op.seat([(u, one if i % 2 else two) for i, u in enumerate(crew)])
            op.send(sim.command(op.who("lead"), "mining start", name="Bench Sunday"))
            op.session_id = services.sessions.active(op.guild_id)[0].session_id
            for step in range(6):
                clock.advance(minutes=5)
                op.seat([(u, two if (i + step) % 3 else one) for i, u in enumerate(crew[::7])])
            op.seat([(u, None) for u in crew[::11]])
            clock.advance(minutes=5)
            yield op
        store.close()


def _configure(op: Op) -> None:
    guild, admin = op.sim.guild, op.who("admin")
    for name, dispatch in (("Mining 1", True), ("Mining 2", False)):
        options: dict[str, Any] = {"channel": guild.channel(name)}
        if dispatch:
            options["dispatch"] = True
        op.send(op.sim.command(admin, "mining-admin channels add", **options))
    for kind, role in (("leader", "Leader"), ("payroll", "Payroll")):
        op.send(op.sim.command(admin, "mining-admin roles add", kind=kind, role=guild.role(role)))
    op.send(op.sim.command(admin, "mining-admin settings set", name="org-cut", value="10"))


def _timed(
    op: Op, samples: int, warmup: int, interaction: Callable[[], Exchange], expect: str
) -> tuple[list[float], list[float]]:
    """Seconds per sample of ``interaction`` (whose every answer says ``expect``: a polite
    refusal is fast and proves nothing) and of the PING sent right after each."""
    took: list[float] = []
    pings: list[float] = []
    for i in range(warmup + samples):
        answer = op.send(interaction())
        if expect not in answer.response_text:
            raise RuntimeError(f"{answer.label}: no {expect!r} in {answer.response_text[:300]}")
        ping = op.send(op.sim.ping())
        if i >= warmup:
            took.append(answer.elapsed_ms / 1000)
            pings.append(ping.elapsed_ms / 1000)
    return took, pings


def measure(samples: int = SAMPLES, warmup: int = WARMUP, members: int = MEMBERS) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with running_op(members) as op:
        lead, purser = op.who("lead"), op.who("purser")

        def status() -> Exchange:
            return op.sim.command(lead, "mining status")

        fields = {f["name"]: f["value"] for f in op.send(status()).data["embeds"][0]["fields"]}
        if fields.get("Participants") != str(members):
            raise RuntimeError(f"status does not show the op's {members} members: {fields}")
        results["/mining status (100-member op)"] = _timed(
            op, samples, warmup, status, "Participants"
        )

        op.send(op.sim.command(lead, "mining stop"))
        stopped = op.session_id
        draft = op.services.payroll.open(op.guild_id, stopped, purser.id)
        op.services.payroll.add_sale(op.guild_id, draft.payroll_id, purser.id, "Sale", 9_876_543)
        view = op.send(op.sim.command(purser, "mining payroll", session=stopped))
        preview_id = custom_ids.make("pgo", draft.payroll_id, "r")

        def preview() -> Exchange:
            return op.sim.click(purser, view, preview_id)

        results["payroll Preview (100 payees)"] = _timed(op, samples, warmup, preview, "Gross")

        def start() -> Exchange:
            for session in op.services.sessions.active(op.guild_id):
                op.services.sessions.stop(op.guild_id, session.session_id)
            op.clock.advance(minutes=1)
            return op.sim.command(lead, "mining start")

        results["/mining start (90 seated)"] = _timed(op, samples, warmup, start, " started by ")
    return results


def section(quick: bool = False) -> Section:
    samples, warmup = (3, 1) if quick else (SAMPLES, WARMUP)
    results = measure(samples, warmup)
    s = Section(
        title="Warm signed interactions",
        bars="warm signed interaction p99 \u2264 3 \u00d7 a signed PING",
        method=(
            f"{samples} samples of each after {warmup} unmeasured ones, in one process, through "
            "the Discord simulator over httpx's ASGI transport (no socket): each request is "
            "signed with a real Ed25519 key and verified by the app, which runs on a SQLite "
            "store. In-process rather than uvicorn over loopback because on AWS there is no "
            "HTTP server either (mangum hands the event to the ASGI app), and a socket plus a "
            "server process on two shared cores would add noise that is not the app's. "
            "Latency is the simulator's request time (POST to answer). `/mining start` is "
            "timed alone: the previous op is stopped through the service before each sample."
        ),
        floor=(
            "a signed PING (type 1) through the same transport, signature check and router, "
            "sent right after each sample so both see the same moment of the machine."
        ),
    )
    for label, (took, pings) in results.items():
        p50, p99 = median(took), percentile(took, 0.99)
        f50, f99 = median(pings), percentile(pings, 0.99)
        s.rows.append(Row(f"{label} p50", ms(p50), ms(f50), p50 / f50))
        s.rows.append(
            Row(
                f"{label} p99",
                ms(p99),
                ms(f99),
                p99 / f99,
                f"≤ {BAR:.0f} \u00d7 PING p99",
                judged(p99 / f99 <= BAR),
            )
        )
    s.notes.append(
        "DESIGN's bar names status on a 100-member op as its example; it is applied to each "
        "interaction measured here."
    )
    return s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=SAMPLES)
    args = parser.parse_args()
    for label, (took, pings) in measure(args.samples).items():
        print(
            f"{label:<34} p50 {ms(median(took)):>9}  p99 {ms(percentile(took, 0.99)):>9}   "
            f"PING p50 {ms(median(pings)):>9}  p99 {ms(percentile(pings, 0.99)):>9}"
        )


if __name__ == "__main__":
    main()
