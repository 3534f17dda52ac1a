"""The owner's direct message when a refinery job is ready, beside the channel post: sent unless
the member turned refinery messages off, and a member whose DMs are closed (Discord's 50007)
is logged and counted, never retried, while the channel post still goes out."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.support.refinery_jobs import GUILD, OWNER, READY, REPORT_CHANNEL, due_job

from sunday_mining.adapters.local_blobs import FolderBlobs
from sunday_mining.adapters.sqlite_store import SqliteStore
from sunday_mining.domain.clock import FixedClock
from sunday_mining.domain.errors import DiscordUnavailable
from sunday_mining.entrypoints.factories import ReportSetup, Services, build_services
from sunday_mining.ports.discord import DiscordApiError
from sunday_mining.reports.links import ReportLinks


class Messenger:
    """The bot's REST client: channel posts, and direct messages that may be refused."""

    def __init__(self) -> None:
        self.posted: list[tuple[str, str]] = []
        self.direct: list[tuple[str, str]] = []
        self.attempts = 0
        self.refuse: Exception | None = None

    def send_channel_message(
        self,
        channel_id: str,
        *,
        content: str,
        nonce: str | None = None,
        ping_users: tuple[str, ...] = (),
    ) -> str:
        self.posted.append((channel_id, content))
        return "m1"

    def send_direct_message(self, user_id: str, *, content: str, nonce: str | None = None) -> str:
        self.attempts += 1
        if self.refuse is not None:
            raise self.refuse
        self.direct.append((user_id, content))
        return "d1"


@pytest.fixture
def messenger() -> Messenger:
    return Messenger()


@pytest.fixture
def app(tmp_path: Path, clock: FixedClock, messenger: Messenger) -> Iterator[Services]:
    store = SqliteStore(tmp_path / "dm.sqlite3")
    setup = ReportSetup(
        FolderBlobs(tmp_path / "reports"),
        ReportLinks(b"k" * 32, "https://sm.example"),
        channel_poster=lambda: messenger,
    )
    services = build_services(store, clock, reports=setup)
    services.guilds.set_report_channel(GUILD, REPORT_CHANNEL)
    yield services
    store.close()


def test_the_owner_is_told_by_direct_message_beside_the_channel_post(
    app: Services, clock: FixedClock, messenger: Messenger
) -> None:
    due_job(app, clock)
    assert app.refinery.notify_all_due() == 1
    assert messenger.posted == [(REPORT_CHANNEL, f"<@{OWNER.user_id}> {READY}")]
    assert messenger.direct == [(OWNER.user_id, READY)]


def test_a_member_who_turned_refinery_messages_off_gets_only_the_channel_post(
    app: Services, clock: FixedClock, messenger: Messenger
) -> None:
    app.prefs.set(GUILD, OWNER.user_id, refinery_dms=False)
    due_job(app, clock)
    assert app.refinery.notify_all_due() == 1
    assert len(messenger.posted) == 1
    assert messenger.attempts == 0


def test_turning_payout_messages_off_leaves_refinery_messages_on(
    app: Services, clock: FixedClock, messenger: Messenger
) -> None:
    app.prefs.set(GUILD, OWNER.user_id, payout_dms=False)
    due_job(app, clock)
    app.refinery.notify_all_due()
    assert messenger.direct == [(OWNER.user_id, READY)]


def test_closed_dms_are_logged_and_counted_once_and_the_channel_post_still_goes_out(
    app: Services, clock: FixedClock, messenger: Messenger, caplog: pytest.LogCaptureFixture
) -> None:
    messenger.refuse = DiscordApiError(403, 50007, "the direct message")
    due_job(app, clock)
    with caplog.at_level(logging.INFO, logger="sunday_mining.services.refinery"):
        assert app.refinery.notify_all_due() == 1
    assert len(messenger.posted) == 1
    assert messenger.attempts == 1
    assert app.errors.last_day() == {"refinery DM refused: DMs closed": 1}
    refused = [r for r in caplog.records if r.getMessage() == "refinery DM refused"]
    assert [getattr(r, "dms_closed", None) for r in refused] == [True]
    clock.advance(minutes=30)
    assert app.refinery.notify_all_due() == 0  # never retried
    assert messenger.attempts == 1


def test_discord_down_for_the_direct_message_is_counted_and_not_retried(
    app: Services, clock: FixedClock, messenger: Messenger
) -> None:
    messenger.refuse = DiscordUnavailable()
    due_job(app, clock)
    assert app.refinery.notify_all_due() == 1
    assert len(messenger.posted) == 1
    assert app.errors.last_day() == {"Discord unavailable": 1}
    assert app.refinery.notify_all_due() == 0
    assert messenger.attempts == 1


def test_a_client_without_direct_messages_still_posts_in_the_channel(
    tmp_path: Path, clock: FixedClock
) -> None:
    posted: list[str] = []

    class ChannelOnly:
        def send_channel_message(
            self,
            channel_id: str,
            *,
            content: str,
            nonce: str | None = None,
            ping_users: tuple[str, ...] = (),
        ) -> str:
            posted.append(content)
            return "m1"

    store = SqliteStore(tmp_path / "channel-only.sqlite3")
    setup = ReportSetup(
        FolderBlobs(tmp_path / "reports"),
        ReportLinks(b"k" * 32, "https://sm.example"),
        channel_poster=ChannelOnly,
    )
    try:
        app = build_services(store, clock, reports=setup)
        app.guilds.set_report_channel(GUILD, REPORT_CHANNEL)
        due_job(app, clock)
        assert app.refinery.notify_all_due() == 1
        assert posted == [f"<@{OWNER.user_id}> {READY}"]
    finally:
        store.close()
