"""The reliability suite's rig: the real app over real HTTP (interactions and worker ingest),
two simulated guilds signing with the same key, every row of the SQLite store readable (and
restorable) straight from the file, and a seeded world to attack."""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.support.discord_contract import check_interaction_response

from sunday_mining.adapters.sqlite_ddl import TABLE_NAME
from sunday_mining.adapters.sqlite_store import SqliteStore
from sunday_mining.domain.clock import FixedClock
from sunday_mining.domain.presence import VoiceEvent
from sunday_mining.entrypoints.factories import Services, build_services
from sunday_mining.entrypoints.local_server import running_app
from sunday_mining.interactions.commands import command_json
from sunday_mining.interactions.responses import EPHEMERAL
from sunday_mining.ports.store import Store
from sunday_mining.services import keys
from sunday_mining.services.replays import seen_key
from sunday_mining.services.voice import VoiceBatch
from sunday_mining.web.app import create_app
from sunday_mining.web.interactions import FAILED
from sunday_mining_dev.simulator import DevKeyPair, DiscordSimulator, Exchange, sample_guild

WORKER_SECRET = "r" * 48
T0 = 1_795_370_400_000  # 2026-11-22 18:00 UTC, as in the other suites

Row = tuple[Any, ...]
# "#MEMBER" and "#SEEN": the member-name cache and the marks of interactions seen.
BOOKKEEPING = tuple(
    pk.removeprefix(keys.guild_pk("0")) for pk in (keys.members_pk("0"), seen_key("0", "1")[0])
)
# What an HTTP/1.1 field value may hold (RFC 9110 field-vchar, SP, HTAB, obs-text).
_FIELD_VALUE = re.compile(r"[\t\x20-\x7e\x80-\xff]*")


def without_bookkeeping(rows: list[Row]) -> list[Row]:
    return [row for row in rows if not str(row[0]).endswith(BOOKKEEPING)]


def sendable_header(value: str) -> bool:
    """Whether an HTTP client can put ``value`` in a header at all (no CR, LF, NUL...)."""
    return bool(_FIELD_VALUE.fullmatch(value)) and value == value.strip(" \t")


@dataclass
class World:
    """What the seed left in one guild: ids to aim at and custom ids the app rendered."""

    guild_id: str
    op_session: str = ""  # a stopped Sunday op with a payroll draft
    draft_id: str = ""
    adhoc_stopped: str = ""  # ana's stopped adhoc session
    adhoc_running: str = ""  # ana's running adhoc session
    custom_ids: list[str] = field(default_factory=list)  # every button/select of the payroll
    components: dict[str, dict[str, Any]] = field(default_factory=dict)  # by custom id
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)  # what each sits on


@dataclass
class Rig:
    base: str
    http: httpx.Client
    keys: DevKeyPair
    services: Services
    clock: FixedClock
    db_path: Path
    sim: DiscordSimulator  # guild A
    other: DiscordSimulator  # guild B: same app, same signing key
    worlds: dict[str, World] = field(default_factory=dict)

    # --- raw HTTP ---

    def signed_headers(self, body: bytes, *, timestamp: str | None = None) -> dict[str, str]:
        stamp = timestamp if timestamp is not None else str(int(time.time()))
        return {
            "Content-Type": "application/json",
            "X-Signature-Ed25519": self.keys.sign(stamp, body),
            "X-Signature-Timestamp": stamp,
        }

    def post(self, body: bytes | Iterator[bytes], headers: dict[str, str]) -> httpx.Response:
        # Latin-1 bytes: header values are octets on the wire, and fuzzed ones are not ASCII.
        raw = {name: value.encode("latin-1") for name, value in headers.items()}
        return self.http.post("/interactions", content=body, headers=raw)

    def post_signed(self, body: bytes) -> httpx.Response:
        return self.post(body, self.signed_headers(body))

    # --- the store, straight from the file ---

    def rows(self) -> list[Row]:
        """Every row but the member-name cache and the marks of interactions seen: an accepted
        interaction remembers its caller's display name (services/names.py) and keeps its mark
        (services/replays.py), which is bookkeeping about who asked and what arrived, not a
        change the request made; everything else must be byte-for-byte the same after an
        invalid request. (A refused one leaves neither: compare ``all_rows`` for those.)"""
        return without_bookkeeping(self.all_rows())

    def all_rows(self) -> list[Row]:
        with sqlite3.connect(self.db_path) as connection:
            return connection.execute(f"SELECT * FROM {TABLE_NAME} ORDER BY 1, 2").fetchall()

    def restore(self, rows: list[Row]) -> None:
        """Put the table back exactly as ``rows`` (from ``all_rows``) after a case that wrote."""
        if not rows:
            return
        marks = ", ".join("?" for _ in rows[0])
        connection = sqlite3.connect(self.db_path, isolation_level=None, timeout=10)
        try:
            connection.execute("BEGIN IMMEDIATE")
            connection.execute(f"DELETE FROM {TABLE_NAME}")
            connection.executemany(f"INSERT INTO {TABLE_NAME} VALUES ({marks})", rows)
            connection.execute("COMMIT")
        finally:
            connection.close()


def is_ephemeral(answer: dict[str, Any]) -> bool:
    return bool(int(answer.get("data", {}).get("flags") or 0) & EPHEMERAL)


def is_refusal(answer: dict[str, Any]) -> bool:
    """A refusal is one short ephemeral sentence: a type-4 message with content only."""
    data = answer.get("data", {})
    return (
        answer.get("type") == 4
        and bool(data.get("content"))
        and not data.get("embeds")
        and not data.get("components")
    )


def assert_sane_answer(payload: Any, response: httpx.Response) -> dict[str, Any] | None:
    """Never a 5xx; a 200 is valid for Discord, never the catch-all failure, and a bare
    content-only message (the refusal shape) is always ephemeral. Returns the 200's body."""
    assert response.status_code < 500, (response.status_code, response.text[:300])
    if response.status_code != 200:
        return None
    answer = response.json()
    assert isinstance(payload, dict)
    check_interaction_response(payload, answer)
    assert FAILED not in str(answer.get("data", {}).get("content", "")), payload
    if is_refusal(answer):
        assert is_ephemeral(answer), answer
    return answer


def checked(exchange: Exchange) -> Exchange:
    assert exchange.status == 200, exchange.response_text
    assert not exchange.problems, exchange.problems
    check_interaction_response(exchange.payload, exchange.response)
    return exchange


def component_ids(exchange: Exchange, *, enabled_only: bool = False) -> list[str]:
    found = []
    for action_row in exchange.data.get("components", []):
        for component in action_row.get("components", []):
            if component.get("custom_id") and not (enabled_only and component.get("disabled")):
                found.append(str(component["custom_id"]))
    return found


def raw_component(
    sim: DiscordSimulator, who: str, custom_id: str, values: list[str]
) -> dict[str, Any]:
    """A click (or, with ``values``, a select) on a message the simulator never saw: the
    envelope of a real interaction from ``who``, with any custom id at all."""
    guild = sim.guild
    message = {
        "id": guild.ids.next(),
        "channel_id": guild.text_channels()[0].id,
        "type": 0,
        "content": "",
        "flags": 0,
        "components": [],
    }
    payload = sim.payloads.command(guild.member(who), "mining status", {})
    payload["type"] = 3
    payload["message"] = message
    payload["data"] = {"custom_id": custom_id, "component_type": 3 if values else 2}
    if values:
        payload["data"]["values"] = values
    return payload


def _keep(world: World, exchange: Exchange) -> list[str]:
    """Remember the message and every component ``exchange`` rendered; return their ids."""
    for action_row in exchange.data.get("components", []):
        for component in action_row.get("components", []):
            custom_id = component.get("custom_id")
            known = world.components.get(custom_id or "")
            if custom_id and (known is None or known.get("disabled")):
                # Keep an enabled copy: a step's own button is disabled on that step's view.
                world.components[custom_id] = component
                if exchange.message is not None:
                    world.messages[custom_id] = exchange.message
    return component_ids(exchange)


def _seat(services: Services, guild_id: str, users: list[str], channel: str, seq: int) -> None:
    now = services.clock.now_ms()
    events = tuple(
        VoiceEvent(now, "C1", seq + n, user, channel) for n, user in enumerate(users, start=1)
    )
    services.voice.record(VoiceBatch(guild_id, "C1", seq, events=events))


def seed_guild(rig: Rig, sim: DiscordSimulator) -> World:
    """Set a guild up as a real org would: two mining channels, the three roles, a stopped op
    with a payroll draft, and ana's adhoc sessions (one stopped, one running)."""
    guild = sim.guild
    for name in ("Side", "Side 2"):
        guild.add_voice_channel(name)
    world = World(guild.id)

    def run(who: str, path: str, **options: Any) -> Exchange:
        return checked(sim.command(guild.member(who), path, **options))

    run("admin", "mining-admin channels add", channel=guild.channel("Mining 1"), dispatch=True)
    run("admin", "mining-admin channels add", channel=guild.channel("Mining 2"))
    for kind, role in (("leader", "Leader"), ("payroll", "Payroll"), ("adhoc", "Adhoc")):
        run("admin", "mining-admin roles add", kind=kind, role=guild.role(role))
    crew = [guild.member(n).id for n in ("ana", "ben", "cy")]
    _seat(rig.services, guild.id, crew, guild.channel("Mining 1").id, 1)
    run("lead", "mining start", name="Halo run")
    rig.clock.advance(minutes=40)
    stopped = run("lead", "mining stop")
    (session,) = rig.services.sessions.recent(guild.id)[0]
    world.op_session = session.session_id
    world.custom_ids += _keep(world, stopped)

    view = run("purser", "mining payroll", session=world.op_session)
    world.custom_ids += _keep(world, view)
    # A sale total as the haul, so that the preview and finalize steps have something to show.
    purser = guild.member("purser")
    haul = next(c for c in component_ids(view) if c.startswith("sm1:pgo:") and c.endswith(":h"))
    haul_view = checked(sim.click(purser, view, haul))
    sale = next(c for c in component_ids(haul_view) if c.startswith("sm1:psale:"))
    opened = checked(sim.click(purser, haul_view, sale))
    fields = {"label": "ARC-L1", "total": "1 000 000"}
    checked(sim.submit_modal(purser, opened.data["custom_id"], fields, modal=opened))
    for step in [c for c in component_ids(view, enabled_only=True) if c.startswith("sm1:pgo:")]:
        world.custom_ids += _keep(world, checked(sim.click(purser, view, step)))
    world.draft_id = world.custom_ids[-1].split(":")[2]

    _seat(rig.services, guild.id, [guild.member("ana").id], guild.channel("Side").id, 10)
    run("ana", "mining adhoc new", channel=guild.channel("Side"), name="Old rocks")
    rig.clock.advance(minutes=10)
    run("ana", "mining stop")
    run("ana", "mining adhoc new", channel=guild.channel("Dispatch"), name="Live rocks")
    for session in rig.services.sessions.by_creator(guild.id, guild.member("ana").id)[0]:
        if session.is_active:
            world.adhoc_running = session.session_id
        else:
            world.adhoc_stopped = session.session_id
    world.custom_ids = sorted(set(world.custom_ids))
    return world


@contextmanager
def running_rig(db_path: Path, wrap: Callable[[Store], Store] | None = None) -> Iterator[Rig]:
    """The app on a fresh SQLite file (its store wrapped by ``wrap``), both guilds seeded."""
    keys = DevKeyPair.generate()
    clock = FixedClock(T0)
    sqlite = SqliteStore(db_path)
    services = build_services(wrap(sqlite) if wrap else sqlite, clock)
    app = create_app(services, public_key_hex=keys.public_key_hex, worker_secret=WORKER_SECRET)
    definitions = command_json()
    with (
        running_app(app) as base,
        httpx.Client(base_url=base, timeout=10.0) as http,
        DiscordSimulator.over_http(base, keys=keys, definitions=definitions) as sim,
        DiscordSimulator.over_http(
            base,
            keys=keys,
            guild=sample_guild(seed=7),
            application_id=sim.application_id,
            definitions=definitions,
        ) as other,
    ):
        assert sim.guild.id != other.guild.id
        built = Rig(base, http, keys, services, clock, db_path, sim, other)
        for simulator in (sim, other):
            built.worlds[simulator.guild.id] = seed_guild(built, simulator)
        yield built
    sqlite.close()


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    """One seeded app per test module; cases that write restore the rows themselves."""
    with running_rig(tmp_path_factory.mktemp("reliability") / "store.sqlite3") as built:
        yield built
