"""The recorder puts the display names of the members in a batch's records beside them."""

from __future__ import annotations

from typing import Any

from sunday_mining.ports.worker_protocol import MAX_BATCH_NAMES, MAX_NAME_CHARS
from sunday_mining.worker.recorder import Recorder

GUILD = "1000"
VC1 = "11"
ANA, BEN, BOT = "41", "42", "49"


def recorder(batch_max: int = 50) -> tuple[Recorder, list[dict[str, Any]]]:
    sent: list[dict[str, Any]] = []
    rec = Recorder(sent.append, batch_max=batch_max, clock_ms=lambda: 1_795_370_400_000)
    rec.connected(resumed=False)
    return rec, sent


def test_an_event_carries_the_member_s_name() -> None:
    rec, sent = recorder()
    rec.voice_change(GUILD, ANA, None, VC1, bot=False, name="Rockbreaker")
    rec.flush()
    assert sent[0]["names"] == {ANA: "Rockbreaker"}


def test_bots_and_ignored_toggles_carry_no_name() -> None:
    rec, sent = recorder()
    rec.voice_change(GUILD, BOT, None, VC1, bot=True, name="Jukebox")
    rec.voice_change(GUILD, ANA, VC1, VC1, bot=False, name="Ana")  # a mute toggle: no record
    rec.flush()
    assert "names" not in sent[0]


def test_a_snapshot_names_only_its_seated_members_who_are_not_bots() -> None:
    rec, sent = recorder()
    names = {ANA: "Ana", BEN: "Ben", BOT: "Jukebox", "77": "Elsewhere"}
    rec.snapshot(GUILD, {VC1: [ANA, BOT]}, [BOT], names)
    rec.flush()
    assert sent[0]["names"] == {ANA: "Ana"}


def test_a_batch_flushed_when_full_carries_the_name_of_its_last_record() -> None:
    rec, sent = recorder(batch_max=1)
    rec.voice_change(GUILD, ANA, None, VC1, bot=False, name="Ana")
    rec.voice_change(GUILD, BEN, None, VC1, bot=False, name="Ben")
    assert [batch["names"] for batch in sent] == [{ANA: "Ana"}, {BEN: "Ben"}]


def test_names_are_cut_to_the_protocol_s_bounds() -> None:
    rec, sent = recorder()
    crowd = [str(10**17 + n) for n in range(MAX_BATCH_NAMES + 5)]
    rec.snapshot(GUILD, {VC1: crowd}, [], dict.fromkeys(crowd, "x" * 300))
    rec.flush()
    names = sent[0]["names"]
    assert len(names) == MAX_BATCH_NAMES
    assert {len(name) for name in names.values()} == {MAX_NAME_CHARS}
