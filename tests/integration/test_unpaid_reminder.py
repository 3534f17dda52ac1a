"""The weekly reminder of unpaid lines on a fake clock: due (lines older than the setting are
listed in the report channel, oldest first, with names, handles and amounts), not due, the
setting off, twice in one week (posted once) and the next week (posted again); the message
keeps the phone-screen rule however many lines are owed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.support.member_view import problems
from tests.support.payroll import ANA, BEN, GUILD, OFFICER, fresh_prices, ready_draft

from sunday_mining.adapters.local_blobs import FolderBlobs
from sunday_mining.adapters.sqlite_store import SqliteStore
from sunday_mining.domain.books import PayeeLine
from sunday_mining.domain.clock import FixedClock
from sunday_mining.domain.errors import DiscordUnavailable
from sunday_mining.entrypoints.factories import ReportSetup, Services, build_services
from sunday_mining.entrypoints.local_server import UnpaidReminderTimer
from sunday_mining.reports.links import ReportLinks
from sunday_mining.services.unpaid_reminder import UnpaidReminder, reminder_text

REPORTS = "555000000000000001"
DAY_MS = 86_400_000
# A Monday, 10:00 UTC (2026-11-30).
MONDAY_MS = 1_796_032_800_000


class Channel:
    """What the bot posted, per channel (the ChannelPoster the reminder is given). A nonce
    seen before gets its first message back, as Discord's enforced nonce does."""

    def __init__(self) -> None:
        self.posted: list[tuple[str, str]] = []
        self.down = 0  # how many posts fail before one goes through
        self.lost = 0  # how many posts are made but answered with an error
        self._by_nonce: dict[tuple[str, str], str] = {}

    def send_channel_message(
        self, channel_id: str, *, content: str, nonce: str | None = None
    ) -> str:
        if self.down:
            self.down -= 1
            raise DiscordUnavailable("Discord didn't answer; try again shortly.")
        seen = self._by_nonce.get((channel_id, nonce)) if nonce is not None else None
        if seen is None:
            self.posted.append((channel_id, content))
            seen = str(len(self.posted))
            if nonce is not None:
                self._by_nonce[(channel_id, nonce)] = seen
        if self.lost:
            self.lost -= 1
            raise DiscordUnavailable("Discord is having trouble right now.")
        return seen


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(MONDAY_MS)


@pytest.fixture
def channel() -> Channel:
    return Channel()


@pytest.fixture
def services(tmp_path: Path, clock: FixedClock, channel: Channel) -> Iterator[Services]:
    store = SqliteStore(tmp_path / "reminder.sqlite3")
    setup = ReportSetup(
        blobs=FolderBlobs(tmp_path / "reports"),
        links=ReportLinks(b"k" * 32, "https://sm.example"),
        channel_poster=lambda: channel,
    )
    yield build_services(store, clock, reports=setup)
    store.close()


def reminder(services: Services) -> UnpaidReminder:
    assert services.make_unpaid_reminder is not None
    return services.make_unpaid_reminder()


@pytest.fixture
def owed(services: Services, clock: FixedClock) -> None:
    """A final payroll (ana and ben owed) finalized on the Monday, ana's handle on record, a
    reminder after 7 days and a report channel."""
    payroll = fresh_prices(services, clock)
    draft = ready_draft(services, clock, payroll)
    clock.set(MONDAY_MS)
    payroll.finalize(GUILD, draft.payroll_id, OFFICER, expected_rev=draft.rev)
    services.handles.set(GUILD, ANA, "Ana_Miner", by=ANA)
    services.guilds.set_setting(GUILD, "unpaid-reminder-days", "7")
    services.guilds.set_report_channel(GUILD, REPORTS)


def test_lines_unpaid_longer_than_the_setting_are_listed_in_the_report_channel(
    services: Services, clock: FixedClock, channel: Channel, owed: None
) -> None:
    clock.set(MONDAY_MS + 8 * DAY_MS)
    assert reminder(services).remind_all() == 1
    ((where, content),) = channel.posted
    assert where == REPORTS
    lines = content.splitlines()
    assert lines[0] == "⏳ **Unpaid for more than 7 days**, oldest first:"
    assert lines[1].startswith(f"• <@{ANA}> (`Ana_Miner`) — **")
    assert " · Halo run · since <t:" in lines[1]
    assert lines[2].startswith(f"• <@{BEN}> (no handle) — **")
    assert lines[-1] == "Payroll officers: mark them paid with /mining owed."
    assert problems({"content": content}, public=True) == []


def test_nothing_is_posted_before_a_line_is_old_enough(
    services: Services, clock: FixedClock, channel: Channel, owed: None
) -> None:
    clock.set(MONDAY_MS + 3 * DAY_MS)
    assert reminder(services).remind_all() == 0
    assert channel.posted == []


def test_nothing_is_posted_while_the_reminder_is_off(
    services: Services, clock: FixedClock, channel: Channel, owed: None
) -> None:
    services.guilds.set_setting(GUILD, "unpaid-reminder-days", "0")
    clock.set(MONDAY_MS + 30 * DAY_MS)
    assert reminder(services).remind_all() == 0
    assert channel.posted == []


def test_a_guild_is_reminded_once_a_week_however_often_the_schedule_runs(
    services: Services, clock: FixedClock, channel: Channel, owed: None
) -> None:
    clock.set(MONDAY_MS + 8 * DAY_MS)  # Tuesday of the next week
    assert reminder(services).remind_all() == 1
    clock.advance(minutes=60)
    assert reminder(services).remind_all() == 0
    clock.set(MONDAY_MS + 13 * DAY_MS)  # Sunday, the same week
    assert reminder(services).remind_all() == 0
    assert len(channel.posted) == 1
    clock.set(MONDAY_MS + 14 * DAY_MS)  # Monday: a new week
    assert reminder(services).remind_all() == 1
    assert len(channel.posted) == 2


def test_a_run_that_could_not_post_fails_so_its_retry_posts_once(
    services: Services, clock: FixedClock, channel: Channel, owed: None
) -> None:
    clock.set(MONDAY_MS + 8 * DAY_MS)
    channel.down = 1
    with pytest.raises(DiscordUnavailable):
        reminder(services).remind_all()
    assert channel.posted == []
    assert reminder(services).remind_all() == 1  # the schedule's retry
    assert reminder(services).remind_all() == 0  # a duplicated event
    assert len(channel.posted) == 1


def test_a_post_made_whose_answer_was_lost_is_not_posted_again_by_the_retry(
    services: Services, clock: FixedClock, channel: Channel, owed: None
) -> None:
    clock.set(MONDAY_MS + 8 * DAY_MS)
    channel.lost = 1
    with pytest.raises(DiscordUnavailable):
        reminder(services).remind_all()
    assert reminder(services).remind_all() == 1  # the schedule's retry, with the same nonce
    assert len(channel.posted) == 1


def test_paid_lines_are_left_out(
    services: Services, clock: FixedClock, channel: Channel, owed: None
) -> None:
    payroll = fresh_prices(services, clock)
    (final,) = services.books.final_payrolls(GUILD)
    payroll.set_paid(GUILD, final.payroll_id, OFFICER, [ANA], [ANA])
    clock.set(MONDAY_MS + 8 * DAY_MS)
    assert reminder(services).remind_all() == 1
    ((_, content),) = channel.posted
    assert f"<@{ANA}>" not in content
    assert f"<@{BEN}>" in content


def test_the_in_process_timer_posts_through_the_same_service(
    services: Services, clock: FixedClock, channel: Channel, owed: None
) -> None:
    clock.set(MONDAY_MS + 8 * DAY_MS)
    timer = UnpaidReminderTimer(services.make_unpaid_reminder)
    assert timer.sweep() == 1
    assert timer.sweep() == 0
    assert len(channel.posted) == 1


def test_a_long_list_fits_one_phone_screen_and_counts_the_rest() -> None:
    lines = [
        PayeeLine(
            f"{100_000_000_000_000_000 + n}",
            "p",
            "s",
            "A session with a long name that goes on and on",
            1,
            0,
            1_234_567,
            owed_since_ms=MONDAY_MS + n,
        )
        for n in range(40)
    ]
    handles = {line.payee_id: "H" * 60 for line in lines}
    content = reminder_text(lines, handles, 14)

    # Every name shown at Discord's longest (32 characters), every date as a long one.
    def shown(line: str) -> str:
        return re.sub(r"<t:\d+:d>", "30 November 2026", re.sub(r"<@\d+>", "@" + "N" * 32, line))

    assert problems({"content": content}, public=True, names=shown) == []
    assert "more lines, " in content
    assert len(content) <= 2000
