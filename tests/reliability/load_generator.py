"""The load test's second process: signed interactions at a fixed rate against a running app.

Usage: ``python -m tests.reliability.load_generator BASE_URL SEED_HEX RATE SECONDS``. It sets
the sample guild up (not timed), then sends an open-loop mix at RATE per second for SECONDS —
PING, /mining status, ore autocomplete, and adhoc sessions started and stopped by five members
on five channels — and prints one JSON line: counts, errors, latency percentiles and the rate
reached. Every tenth answer is checked against Discord's contract.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

import httpx
from tests.support.discord_contract import ContractViolation, check_interaction_response

from sunday_mining.interactions.commands import command_json
from sunday_mining.web.interactions import FAILED
from sunday_mining_dev.simulator import DevKeyPair, PayloadFactory, sample_guild
from sunday_mining_dev.simulator.tamper import signed_request

# Members without the leader role: each may stop only the adhoc session they started.
CREW = ("ana", "ben", "cy", "purser", "dee")
# Per 10 slots: what each one sends (the adhoc slots toggle one member's session).
MIX = (
    "ping",
    "status",
    "ping",
    "autocomplete",
    "status",
    "adhoc",
    "ping",
    "status",
    "ping",
    "autocomplete",
)


class Load:
    def __init__(self, base: str, keys: DevKeyPair) -> None:
        self.keys = keys
        self.guild = sample_guild()
        self.guild.add_member("dee")
        for n in range(len(CREW)):
            self.guild.add_voice_channel(f"Load {n}")
        self.payloads = PayloadFactory("4242", self.guild, definitions=command_json())
        self.http = httpx.AsyncClient(
            base_url=base, timeout=10.0, limits=httpx.Limits(max_connections=64)
        )
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.kinds: dict[str, int] = {}
        self.checked = 0
        self.running = dict.fromkeys(CREW, False)
        self.busy = dict.fromkeys(CREW, False)
        self.sent = 0

    async def send(self, payload: dict[str, Any], kind: str, *, check: bool) -> dict[str, Any]:
        headers, body = signed_request(self.keys, payload, int(time.time()))
        started = time.perf_counter()
        try:
            response = await self.http.post(
                "/interactions",
                content=body,
                headers={**headers, "Content-Type": "application/json"},
            )
        except httpx.HTTPError as error:
            self.errors.append(f"{kind}: {type(error).__name__}")
            return {}
        self.latencies.append((time.perf_counter() - started) * 1000)
        self.kinds[kind] = self.kinds.get(kind, 0) + 1
        if response.status_code != 200:
            self.errors.append(f"{kind}: HTTP {response.status_code} {response.text[:120]}")
            return {}
        answer: dict[str, Any] = response.json()
        if FAILED in json.dumps(answer):
            self.errors.append(f"{kind}: the catch-all failure answer")
        if check:
            try:
                check_interaction_response(payload, answer)
                self.checked += 1
            except ContractViolation as violation:
                self.errors.append(f"{kind}: {violation}")
        return answer

    def command(self, who: str, path: str, **options: Any) -> dict[str, Any]:
        return self.payloads.command(self.guild.member(who), path, options)

    async def setup(self) -> None:
        admin = "admin"
        for name in ("Mining 1", "Mining 2"):
            channel = self.guild.channel(name)
            await self.send(
                self.command(admin, "mining-admin channels add", channel=channel),
                "setup",
                check=True,
            )

    async def one(self, slot: int) -> None:
        kind = MIX[slot % len(MIX)]
        check = slot % 10 == 0 or kind == "adhoc"
        if kind == "ping":
            await self.send(self.payloads.ping(), kind, check=check)
        elif kind == "status":
            await self.send(self.command(CREW[slot % 5], "mining status"), kind, check=check)
        elif kind == "autocomplete":
            member = self.guild.member(CREW[slot % 5])
            payload = self.payloads.autocomplete(member, "mining prices", "ore", "a", {})
            await self.send(payload, kind, check=check)
        else:
            await self.toggle(CREW[(slot // len(MIX)) % len(CREW)], check=check)

    async def toggle(self, who: str, *, check: bool) -> None:
        if self.busy[who]:  # the previous toggle is still in flight: send a status instead
            await self.send(self.command(who, "mining status"), "status", check=check)
            return
        self.busy[who] = True
        try:
            if self.running[who]:
                answer = await self.send(
                    self.command(who, "mining stop"), "adhoc stop", check=check
                )
                self.running[who] = not _said(answer, "Stopped by")
            else:
                channel = self.guild.channel(f"Load {CREW.index(who)}")
                payload = self.command(who, "mining adhoc new", channel=channel, name=f"{who} load")
                answer = await self.send(payload, "adhoc start", check=check)
                self.running[who] = _said(answer, "started by")
                if not self.running[who] and answer:
                    self.errors.append(f"adhoc start refused: {json.dumps(answer)[:200]}")
        finally:
            self.busy[who] = False

    async def run(self, rate: float, seconds: float) -> dict[str, Any]:
        await self.setup()
        total = int(rate * seconds)
        tasks = []
        started = time.perf_counter()
        for slot in range(total):
            delay = started + slot / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(self.one(slot)))
            self.sent += 1
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - started
        await self.http.aclose()
        ordered = sorted(self.latencies)
        return {
            "sent": self.sent,
            "answered": len(ordered),
            "seconds": round(elapsed, 2),
            "rate": round(self.sent / elapsed, 2),
            "target_rate": rate,
            "p50_ms": round(_percentile(ordered, 50), 1),
            "p99_ms": round(_percentile(ordered, 99), 1),
            "max_ms": round(ordered[-1], 1) if ordered else None,
            "kinds": self.kinds,
            "contract_checked": self.checked,
            "errors": len(self.errors),
            "first_errors": self.errors[:10],
        }


def _said(answer: dict[str, Any], text: str) -> bool:
    return text in str(answer.get("data", {}).get("content", ""))


def _percentile(ordered: list[float], p: float) -> float:
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))
    return ordered[index]


def main(argv: list[str]) -> int:
    base, seed, rate, seconds = argv[0], argv[1], float(argv[2]), float(argv[3])
    load = Load(base, DevKeyPair.from_seed_hex(seed))
    print(json.dumps(asyncio.run(load.run(rate, seconds))), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
