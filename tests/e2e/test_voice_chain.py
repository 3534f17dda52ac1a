"""The whole voice chain: the loopback fake Discord → the real discord.py client in the worker →
the app's ingest API → the store → credited time. One controllable clock is shared by the
worker (which stamps what it sees) and the app, so credited seconds can be checked exactly.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from tests.support.voice_chain import (
    ANA,
    BEN,
    CY,
    DEE,
    GUILD,
    HAUL,
    JUKEBOX,
    LOBBY,
    ROCK,
    WAIT_S,
    chain,
    start_one_worker,
    world,
)


@pytest.mark.asyncio
async def test_joins_moves_and_leaves_give_exact_credited_seconds(tmp_path: Path) -> None:
    async with chain(tmp_path, world(**{ANA: ROCK, DEE: HAUL})) as c:
        await start_one_worker(c)
        session = c.services.sessions.start_sunday(GUILD, "lead")
        fake = c.fake
        await c.advance(10)
        await fake.voice_join(GUILD, BEN, ROCK)
        await c.until(lambda: len(c.stored_events()) == 1, "ben's join")
        await c.advance(20)
        await fake.voice_move(GUILD, ANA, HAUL)  # between tracked channels: seamless
        await fake.voice_move(GUILD, BEN, LOBBY)  # to an untracked channel: ben's time ends
        await c.until(lambda: len(c.stored_events()) == 3, "the moves")
        await c.advance(15)
        await fake.voice_join(GUILD, CY, HAUL)
        await fake.voice_toggle_mute(GUILD, CY)  # mute toggles never split time
        await fake.voice_join(GUILD, JUKEBOX, ROCK)  # bots never count
        await c.until(lambda: len(c.stored_events()) == 4, "cy's join")
        await c.advance(5)
        await fake.voice_leave(GUILD, ANA)
        await c.until(lambda: len(c.stored_events()) == 5, "ana's leave")
        await c.advance(10)
        c.services.sessions.stop(GUILD, session.session_id)
        await c.advance(2, connected=False)  # dee stays on after the stop: it must not count

        credited = c.credited(session.session_id)
        assert {u: p.credited_seconds for u, p in credited.items()} == {
            ANA: 50 * 60,
            BEN: 20 * 60,
            CY: 15 * 60,
            DEE: 60 * 60,  # present from before the start to after the stop: the whole session
        }
        assert not any(p.gap_affected for p in credited.values())


@pytest.mark.asyncio
async def test_a_resume_replays_missed_events_and_flags_the_gap(tmp_path: Path) -> None:
    async with chain(tmp_path, world(**{ANA: ROCK})) as c:
        await start_one_worker(c)
        session = c.services.sessions.start_sunday(GUILD, "lead")
        await c.advance(5)
        c.fake.hold_connections(True)
        await c.fake.drop_connection()
        await c.fake.voice_join(GUILD, BEN, ROCK)  # happens while the worker is away
        await c.advance(2, connected=False)
        resumes = c.fake.resume_count
        c.fake.hold_connections(False)
        await c.until(lambda: c.fake.resume_count == resumes + 1, "the resume")
        await c.until(lambda: len(c.stored_events()) == 1, "the replayed join")
        await c.advance(13)
        c.services.sessions.stop(GUILD, session.session_id)

        credited = c.credited(session.session_id)
        assert c.fake.identify_count == 1  # resumed, not re-identified
        # The replayed join arrives late: it is stamped when it was seen, and the gap is shown.
        assert credited[ANA].credited_seconds == 20 * 60
        assert credited[BEN].credited_seconds == 13 * 60
        # Ben's join could have happened at any time in the gap; Ana sat through it.
        assert credited[BEN].gap_affected
        assert not credited[ANA].gap_affected


@pytest.mark.asyncio
async def test_an_invalid_session_reconciles_from_an_empty_fresh_snapshot(tmp_path: Path) -> None:
    async with chain(tmp_path, world(**{ANA: ROCK, BEN: HAUL})) as c:
        await start_one_worker(c)
        session = c.services.sessions.start_sunday(GUILD, "lead")
        await c.advance(10)
        c.fake.hold_connections(True)
        identifies = c.fake.identify_count
        await c.fake.invalidate_session(resumable=False)
        # Until the worker has taken in the invalid session it is still "connected" and its
        # minute snapshots still list both from its cache: the clock must not move before.
        await c.until(lambda: c.worker_state() != "connected", "the worker leaving the session")
        # Both leave while the worker is away; Discord will not replay this.
        await c.fake.voice_leave(GUILD, ANA)
        await c.fake.voice_leave(GUILD, BEN)
        await c.advance(3, connected=False)
        c.fake.hold_connections(False)
        await c.until(lambda: c.fake.identify_count == identifies + 1, "a fresh IDENTIFY")
        await c.until(lambda: c.seated() == {}, "the empty snapshot")
        await c.advance(5)
        c.services.sessions.stop(GUILD, session.session_id)

        credited = c.credited(session.session_id)
        # Closed at the last time each was known present (the last snapshot before the gap),
        # and flagged for the officer.
        assert {u: p.credited_seconds for u, p in credited.items()} == {ANA: 600, BEN: 600}
        assert all(p.gap_affected for p in credited.values())


@pytest.mark.asyncio
async def test_records_made_while_the_app_is_down_are_spooled_then_delivered_once(
    tmp_path: Path,
) -> None:
    async with chain(tmp_path, world(**{ANA: ROCK})) as c:
        await start_one_worker(c)
        session = c.services.sessions.start_sunday(GUILD, "lead")
        await c.advance(1)
        c.transport.down = True
        await c.fake.voice_join(GUILD, BEN, ROCK)
        await c.fake.voice_join(GUILD, CY, HAUL)
        await asyncio.sleep(0.3)  # the worker tries, fails and spools
        assert c.stored_events() == []
        c.transport.down = False
        await c.until(lambda: len(c.stored_events()) == 2, "the spooled batches")
        await c.advance(9)
        c.services.sessions.stop(GUILD, session.session_id)

        events = c.stored_events()
        assert len(events) == len({(e["conn"], e["seq"]) for e in events}) == 2
        credited = c.credited(session.session_id)
        assert {u: p.credited_seconds for u, p in credited.items()} == {
            ANA: 600,
            BEN: 540,
            CY: 540,
        }


@pytest.mark.asyncio
async def test_a_second_worker_waits_for_the_lease_instead_of_double_writing(
    tmp_path: Path,
) -> None:
    async with chain(tmp_path, world(**{ANA: ROCK})) as c:
        first = await start_one_worker(c)
        second = asyncio.Event()
        c.start_worker("w2", second)
        await asyncio.sleep(0.5)
        assert c.fake.identify_count == 1  # the second never even connects to Discord
        session = c.services.sessions.start_sunday(GUILD, "lead")
        await c.fake.voice_join(GUILD, BEN, ROCK)
        await c.until(lambda: len(c.stored_events()) == 1, "ben's join")

        first.set()  # a graceful stop releases the lease; the second takes over
        assert await asyncio.wait_for(c.workers.pop(0), WAIT_S) == 0
        await c.until(lambda: c.fake.identify_count == 2, "the second worker connecting")
        await c.until(
            lambda: (c.services.worker.heartbeat_item() or {}).get("worker_id") == "w2",
            "the second worker's heartbeat",
        )
        await c.fake.voice_leave(GUILD, BEN)
        await c.until(lambda: len(c.stored_events()) == 2, "ben's leave")
        events = c.stored_events()
        assert len({(e["conn"], e["seq"]) for e in events}) == 2
        c.services.sessions.stop(GUILD, session.session_id)


@pytest.mark.asyncio
async def test_the_bot_sits_in_dispatch_during_an_op_and_leaves_after(tmp_path: Path) -> None:
    async with chain(tmp_path, world(**{ANA: ROCK})) as c:
        c.services.guilds.add_channel(GUILD, LOBBY, dispatch=True)
        await start_one_worker(c)
        session = c.services.sessions.start_sunday(GUILD, "lead")

        def bot_seat() -> str | None:
            return c.fake.guild(GUILD).voice_states.get(c.fake.bot.id)

        await c.until(lambda: bot_seat() == LOBBY, "the bot joining dispatch")
        request = c.fake.voice_state_requests[-1]
        assert request["channel_id"] == LOBBY
        assert request["self_deaf"] is True

        def reported() -> dict[str, object]:
            beat = c.services.worker.heartbeat_item() or {}
            return dict((beat.get("voice") or {}).get(GUILD) or {})

        await c.until(lambda: reported().get("channel_id") == LOBBY, "the worker reporting it")
        c.services.sessions.stop(GUILD, session.session_id)
        await c.until(lambda: bot_seat() is None, "the bot leaving")
        # The bot never counts, even sitting in a tracked channel.
        assert c.fake.bot.id not in c.credited(session.session_id)
