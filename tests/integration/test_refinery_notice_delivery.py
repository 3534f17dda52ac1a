"""A ready refinery job on the embedded default (what ``sunday-mining serve`` builds): the
channel post pings exactly its owner and nobody else, and the owner's direct message goes out
through the real Discord REST client, here against the simulator's REST sink over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.support.refinery_jobs import GUILD, OWNER, READY, REPORT_CHANNEL, due_job
from tests.support.sink import SinkServer, sink_fixtures

from sunday_mining.config import Settings
from sunday_mining.domain.clock import FixedClock
from sunday_mining.entrypoints.factories import Services, build_from_settings
from sunday_mining_dev.simulator import SinkState

APP_ID, BOT_TOKEN = "1300000000000000011", "r" * 60
sink_server, sink = sink_fixtures(APP_ID, BOT_TOKEN)


@pytest.fixture
def app(
    tmp_path: Path, clock: FixedClock, sink: SinkState, sink_server: SinkServer
) -> Iterator[Services]:
    settings = Settings(
        sqlite_path=tmp_path / "serve.sqlite3",
        discord_application_id=APP_ID,
        discord_bot_token=BOT_TOKEN,
        discord_api_base=sink_server.base_url,
        price_refresh_s=0,
    )
    services = build_from_settings(settings, clock)
    services.guilds.set_report_channel(GUILD, REPORT_CHANNEL)
    yield services
    reports = services.reports
    if reports is not None and reports.jobs is not None:
        reports.jobs.close()


def test_the_ready_notice_pings_the_owner_and_nobody_else(
    app: Services, clock: FixedClock, sink: SinkState
) -> None:
    due_job(app, clock)
    assert app.refinery.notify_all_due() == 1
    posts = sink.log.by_route("channel.create_message")
    (post,) = [p for p in posts if p.path.endswith(f"/channels/{REPORT_CHANNEL}/messages")]
    assert post.request["content"] == f"<@{OWNER.user_id}> {READY}"
    assert post.request["allowed_mentions"] == {"parse": [], "users": [OWNER.user_id]}


def test_the_owners_direct_message_goes_through_the_discord_rest_client(
    app: Services, clock: FixedClock, sink: SinkState
) -> None:
    due_job(app, clock)
    app.refinery.notify_all_due()
    assert [m["content"] for m in sink.direct_messages(OWNER.user_id)] == [READY]
    assert app.errors.last_day() == {}


def test_an_owner_who_turned_refinery_messages_off_gets_no_direct_message(
    app: Services, clock: FixedClock, sink: SinkState
) -> None:
    app.prefs.set(GUILD, OWNER.user_id, refinery_dms=False)
    due_job(app, clock)
    assert app.refinery.notify_all_due() == 1
    assert sink.log.by_route("users.create_dm") == []
    assert len(sink.channel_messages(REPORT_CHANNEL)) == 1


def test_closed_dms_on_discord_are_counted_once_and_not_retried(
    app: Services, clock: FixedClock, sink: SinkState
) -> None:
    sink.close_dms(OWNER.user_id)
    due_job(app, clock)
    assert app.refinery.notify_all_due() == 1
    clock.advance(minutes=5)
    assert app.refinery.notify_all_due() == 0
    assert app.errors.last_day() == {"refinery DM refused: DMs closed": 1}
    assert len(sink.channel_messages(REPORT_CHANNEL)) == 1


def test_a_notice_made_but_answered_with_a_502_is_not_made_again_by_the_clients_retry(
    app: Services, clock: FixedClock, sink: SinkState
) -> None:
    dm_channel = sink.create_dm({"recipient_id": OWNER.user_id})["id"]
    sink.inject(f"/channels/{dm_channel}/messages", 502, served=True)
    sink.inject(f"/channels/{REPORT_CHANNEL}/messages", 502, served=True)
    due_job(app, clock)
    assert app.refinery.notify_all_due() == 1
    assert [m["content"] for m in sink.direct_messages(OWNER.user_id)] == [READY]
    assert len(sink.channel_messages(REPORT_CHANNEL)) == 1
    assert sink.pending_faults() == 0
