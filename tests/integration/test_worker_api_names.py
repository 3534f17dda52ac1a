"""The optional ``names`` of a voice batch: accepted, validated, stored for the members the
batch is about, and never at the cost of the voice records."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from tests.support.worker_api import GUILD, ROCK, App, app, batch, event

from sunday_mining.domain.errors import Unavailable
from sunday_mining.domain.presence import VoiceEvent, VoiceSnapshot
from sunday_mining.services.names import MemberNames
from sunday_mining.services.voice import VoiceBatch, VoiceIngestService

__all__ = ["app"]  # the fixture, imported for pytest to find

ANA, BEN, JUKEBOX = "42", "43", "49"


def named(seq: int, names: Any, *events: dict[str, Any]) -> dict[str, Any]:
    return {**batch(seq, *events), "names": names}


def leased(app: App) -> int:
    assert app.post("/lease", {"worker_id": "w1", "ttl_s": 60}).json()["granted"]
    return app.clock.now_ms()


def test_names_of_the_members_in_a_batch_are_stored(app: App) -> None:
    now = leased(app)
    body = named(1, {ANA: "Rockbreaker"}, event(now, 1, ANA, ROCK))
    assert app.post("/batches", body).status_code == 200
    assert app.services.names.lookup(GUILD, [ANA]) == {ANA: "Rockbreaker"}


def test_names_of_bots_and_of_members_absent_from_the_batch_are_not_kept(app: App) -> None:
    now = leased(app)
    jukebox = {**event(now, 2, JUKEBOX, ROCK), "bot": True}
    body = named(1, {ANA: "Ana", BEN: "Ben", JUKEBOX: "Jukebox"}, event(now, 1, ANA, ROCK), jukebox)
    assert app.post("/batches", body).status_code == 200
    assert app.services.names.lookup(GUILD, [ANA, BEN, JUKEBOX]) == {ANA: "Ana"}


def test_names_from_a_snapshot_are_stored(app: App) -> None:
    now = leased(app)
    snapshot = {"t_ms": now, "seq": 1, "channels": {ROCK: [ANA, BEN]}, "bots": []}
    body = {**batch(1), "snapshots": [snapshot], "names": {ANA: "Ana", BEN: "Ben"}}
    assert app.post("/batches", body).status_code == 200
    assert app.services.names.lookup(GUILD, [ANA, BEN]) == {ANA: "Ana", BEN: "Ben"}


def test_a_batch_without_names_from_an_older_worker_is_still_valid(app: App) -> None:
    now = leased(app)
    answer = app.post("/batches", batch(1, event(now, 1, ANA, ROCK)))
    assert answer.status_code == 200
    assert app.services.names.lookup(GUILD, [ANA]) == {}


def test_a_replayed_batch_changes_no_name(app: App) -> None:
    now = leased(app)
    app.post("/batches", named(1, {ANA: "Ana"}, event(now, 1, ANA, ROCK)))
    again = app.post("/batches", named(1, {ANA: "Someone else"}, event(now, 1, ANA, ROCK)))
    assert again.json()["duplicate"] is True
    assert app.services.names.lookup(GUILD, [ANA]) == {ANA: "Ana"}


@pytest.mark.parametrize(
    "names",
    [
        [ANA, "Ana"],  # not an object
        {ANA: 7},  # not a string
        {ANA: None},
        {"not-an-id": "Ana"},
        {ANA: "x" * 1001},  # absurdly long
        {str(10**17 + n): "m" for n in range(1001)},  # too many
    ],
)
def test_a_malformed_names_field_is_refused(app: App, names: Any) -> None:
    now = leased(app)
    answer = app.post("/batches", named(1, names, event(now, 1, ANA, ROCK)))
    assert answer.status_code == 400


def test_unchanged_names_in_later_batches_are_not_written_again(app: App) -> None:
    crowd = {str(10**17 + n): f"miner {n}" for n in range(200)}

    def record(seq: int) -> int:
        seen = VoiceSnapshot(app.clock.now_ms(), "c1", seq, {ROCK: frozenset(crowd)})
        return app.services.voice.record(
            VoiceBatch(GUILD, "c1", seq, (), (seen,), crowd)
        ).names_written

    assert record(1) == 200
    assert [record(seq) for seq in (2, 3, 4)] == [0, 0, 0]


class _BrokenNames(MemberNames):
    def remember(self, guild_id: str, names: Mapping[str, str], *, source: str) -> int:
        raise Unavailable()


def test_a_store_failure_on_names_keeps_the_voice_records(app: App) -> None:
    services = app.services
    broken = _BrokenNames(services.store, services.clock)
    voice = VoiceIngestService(services.store, services.clock, services.sessions, broken)
    services.guilds.add_channel(GUILD, ROCK)
    services.sessions.start_sunday(GUILD, "lead")
    joined = VoiceEvent(app.clock.now_ms(), "c1", 1, ANA, ROCK)
    result = voice.record(VoiceBatch(GUILD, "c1", 1, (joined,), names={ANA: "Ana"}))
    assert (result.stored, result.names_written) == (1, 0)
