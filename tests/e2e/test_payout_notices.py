"""Payout notices through the simulator over HTTP: finalizing a payroll tells each payee their
line by direct message through the REST sink, once; closed DMs (50007), a 429, a retried job,
the guild setting off, a member who opted out and an amendment that changes one payee."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.e2e.conftest import Discord
from tests.support.member_view import problems
from tests.support.payroll_flow import custom_id, member_action, modal_submit, stopped_op, text

from sunday_mining.adapters.discord_rest import DiscordRest
from sunday_mining.adapters.jobs import InProcessJobs, JobHandler
from sunday_mining.adapters.local_blobs import FolderBlobs
from sunday_mining.adapters.sqlite_store import SqliteStore
from sunday_mining.domain.clock import FixedClock
from sunday_mining.entrypoints.factories import ReportSetup, build_services
from sunday_mining.entrypoints.local_server import free_port, running_app
from sunday_mining.interactions.commands import command_json
from sunday_mining.ports.jobs import Job
from sunday_mining.reports.links import ReportLinks
from sunday_mining.services.job_kinds import PAYOUT_NOTICE_JOB, REPORT_JOB
from sunday_mining.web.app import create_app
from sunday_mining_dev.simulator import DevKeyPair, DiscordSimulator, Exchange, SinkState
from sunday_mining_dev.simulator.rest_errors import Route
from sunday_mining_dev.simulator.rest_sink import running_sink
from sunday_mining_dev.simulator.sample_guild import sample_guild

APP_ID = "1300000000000000009"
BOT_TOKEN = "payout-notices-bot-token"


@dataclass
class Box:
    discord: Discord
    jobs: InProcessJobs
    sink: SinkState
    slept: list[float]

    def id(self, name: str) -> str:
        return self.discord.member(name).id

    def dms(self, name: str) -> list[str]:
        return [str(m["content"]) for m in self.sink.direct_messages(self.id(name))]

    def dm_attempts(self, name: str) -> list[int]:
        """The status of every message the app tried to post to this member's DM channel."""
        channel = self.sink.create_dm({"recipient_id": self.id(name)})["id"]
        path = f"/channels/{channel}/messages"
        return [c.status for c in self.sink.log.calls if c.path.endswith(path)]


@pytest.fixture
def box(tmp_path: Path) -> Iterator[Box]:
    keys = DevKeyPair.generate()
    clock = FixedClock(1_795_370_400_000)
    store = SqliteStore(tmp_path / "e2e.sqlite3")
    sink = SinkState(application_id=APP_ID, bot_token=BOT_TOKEN)
    handlers: dict[str, JobHandler] = {}
    jobs = InProcessJobs(handlers, retry_pause_s=0)
    port = free_port("127.0.0.1")
    slept: list[float] = []
    with running_sink(sink) as sink_url:

        def rest() -> DiscordRest:
            return DiscordRest(
                token=BOT_TOKEN, application_id=APP_ID, base_url=sink_url, sleep=slept.append
            )

        setup = ReportSetup(
            blobs=FolderBlobs(tmp_path / "reports"),
            links=ReportLinks(b"s" * 32, f"http://127.0.0.1:{port}"),
            jobs=jobs,
            messenger=rest,
        )
        services = build_services(store, clock, reports=setup)
        assert services.reports is not None
        assert services.make_payout_notices is not None
        handlers[REPORT_JOB] = services.reports.run_job
        make_notices = services.make_payout_notices
        handlers[PAYOUT_NOTICE_JOB] = lambda job: make_notices().run_job(job)
        app = create_app(services, public_key_hex=keys.public_key_hex)
        with running_app(app, port=port) as base:
            sim = DiscordSimulator.over_http(
                base,
                keys=keys,
                definitions=command_json(),
                sink=sink,
                application_id=APP_ID,
                guild=sample_guild(),
            )
            yield Box(Discord(sim, services, clock), jobs, sink, slept)
    jobs.close()
    store.close()


def finalize(box: Box, *, dms: str = "on", total: str = "2,000,000") -> Exchange:
    """ana 2 h, ben 1 h; 2,000,000 less the 10 % org cut splits 1,200,000 and 600,000."""
    discord = box.discord
    session_id = stopped_op(discord, {box.id("ana"): 120, box.id("ben"): 60})
    discord.command("admin", "mining-admin settings set", name="payout-dms", value=dms)
    view = discord.command("purser", "mining payroll", session=session_id)
    view = discord.click("purser", view, custom_id(view, "sm1:pgo:", "Haul"))
    opened = discord.click("purser", view, custom_id(view, "sm1:psale:"))
    view = modal_submit(discord, "purser", opened, {"total": total, "label": "Refinery"})
    return confirm(box, view)


def confirm(box: Box, view: Exchange) -> Exchange:
    discord = box.discord
    view = discord.click("purser", view, custom_id(view, "sm1:pgo:", "Preview"))
    asked = discord.click("purser", view, custom_id(view, "sm1:pask:"))
    final = discord.click("purser", asked, custom_id(asked, "sm1:pfin:"))
    box.jobs.drain()
    return final


def officer_note(box: Box, final: Exchange) -> str:
    (note,) = [
        m for m in box.sink.followup_messages(final.token) if "Payout messages" in m["content"]
    ]
    assert note["flags"] & 64  # ephemeral: the officer's alone
    assert problems(note, public=False) == []
    return str(note["content"])


def test_each_payee_is_told_their_line_once_and_the_officer_how_many(box: Box) -> None:
    final = finalize(box)
    assert "told their line by direct message" in text(final)

    (ana,) = box.dms("ana")
    assert "**Halo run** is final: your line is **1,200,000 aUEC**" in ana
    assert "/mining handle set" in ana  # no handle on record yet
    assert "/mining me" in ana
    assert box.dms("ben") == [
        "💰 The payroll of **Halo run** is final: your line is **600,000 aUEC**.\n"
        "You have no in-game handle on record: set one with /mining handle set so whoever "
        "sends your aUEC knows where to send it.\nSee /mining me for everything you are owed."
    ]
    assert box.dms("purser") == []  # not a payee; the org's cut is told to nobody
    note = officer_note(box, final)
    assert note == "✉️ Payout messages for **Halo run**: 2 payees told."
    for name in ("ana", "ben"):
        dm = box.sink.direct_messages(box.id(name))[0]
        assert problems(dm, public=False) == []


def test_a_member_with_closed_dms_could_not_be_told_and_is_not_retried(box: Box) -> None:
    box.sink.close_dms(box.id("ben"))
    final = finalize(box)
    assert len(box.dms("ana")) == 1
    assert box.dms("ben") == []
    assert box.dm_attempts("ben") == [403]  # one try: 50007 is final
    note = officer_note(box, final)
    assert "1 payee told" in note
    assert f"Could not be told (direct messages closed): <@{box.id('ben')}>." in note
    notices = box.discord.services.payout_notices
    assert notices is not None
    payroll_id = custom_id(final, "sm1:pamend:").split(":")[2]
    outcome = notices.outcome(box.discord.guild_id, payroll_id)
    assert outcome is not None
    assert outcome.not_told == (box.id("ben"),)
    assert outcome.told == (box.id("ana"),)


def still_owed(box: Box, view: Exchange) -> dict[str, str]:
    """The Still owed view's line of each payee, by name."""
    owed = box.discord.click("purser", view, custom_id(view, "sm1:pgo:", "Still owed"))
    assert problems(owed.data, public=False) == []
    lines = text(owed).splitlines()
    return {line.split(" ", 1)[0]: line for line in lines if " — " in line}


def test_still_owed_shows_the_purser_who_could_not_be_told(box: Box) -> None:
    box.sink.close_dms(box.id("ben"))
    final = finalize(box)
    lines = still_owed(box, final)
    assert lines["Ben"].endswith(" · ✉️ could not be told")
    assert "could not be told" not in lines["Ana"]


def test_an_amendment_that_keeps_a_line_keeps_its_could_not_be_told(box: Box) -> None:
    box.sink.close_dms(box.id("ben"))
    final = finalize(box)
    # Ana donates her share to the org: ben's line is what it was, so he is not told again.
    view = box.discord.click("purser", final, custom_id(final, "sm1:pamend:"))
    view = member_action(box.discord, "purser", view, box.id("ana"), "Donates their share")
    second = confirm(box, view)
    assert box.dm_attempts("ben") == [403]
    assert still_owed(box, second)["Ben"].endswith(" · ✉️ could not be told")


def test_a_rate_limit_is_waited_out_and_each_member_still_gets_one_message(box: Box) -> None:
    box.sink.inject(Route.CREATE_MESSAGE, 429, retry_after=0.05)
    finalize(box)
    assert len(box.dms("ana")) == 1
    assert len(box.dms("ben")) == 1
    assert box.sink.pending_faults() == 0
    assert 0.05 in box.slept  # Discord's retry_after, waited before trying again
    assert sorted(box.dm_attempts("ana") + box.dm_attempts("ben")) == [200, 200, 429]


def test_a_retried_job_sends_nobody_the_same_notice_again(box: Box) -> None:
    final = finalize(box)
    payroll_id = custom_id(final, "sm1:pamend:").split(":")[2]
    job = Job(
        PAYOUT_NOTICE_JOB,
        f"payout:{payroll_id}",
        {"guild_id": box.discord.guild_id, "payroll_id": payroll_id, "application_id": APP_ID},
    )
    notices = box.discord.services.payout_notices
    assert notices is not None
    notices.run_job(job)
    notices.run_job(job)
    assert len(box.dms("ana")) == 1
    assert len(box.dms("ben")) == 1
    officer_note(box, final)  # one summary for the officer, not one per run


def test_a_message_made_whose_answer_was_lost_is_not_sent_again_by_the_retried_job(
    box: Box,
) -> None:
    # Discord makes ana's message but answers 502 each time the client tries: the job's first
    # attempt leaves her pending, and its next attempt sends with the same nonce.
    channel = box.sink.create_dm({"recipient_id": box.id("ana")})["id"]
    box.sink.inject(f"/channels/{channel}/messages", 502, times=3, served=True)
    final = finalize(box)
    assert box.dm_attempts("ana") == [502, 502, 502, 200]
    assert len(box.dms("ana")) == 1
    assert len(box.dms("ben")) == 1
    assert officer_note(box, final) == "✉️ Payout messages for **Halo run**: 2 payees told."


def test_nothing_is_sent_while_the_setting_is_off(box: Box) -> None:
    final = finalize(box, dms="off")
    assert "direct message" not in text(final)
    assert box.dms("ana") == []
    assert box.dms("ben") == []
    assert box.sink.log.by_route(str(Route.CREATE_DM)) == []


def test_a_member_who_turned_payout_messages_off_is_not_sent_one(box: Box) -> None:
    box.discord.services.prefs.set(box.discord.guild_id, box.id("ana"), payout_dms=False)
    final = finalize(box)
    assert box.dms("ana") == []
    assert len(box.dms("ben")) == 1
    assert "1 member turned payout messages off." in officer_note(box, final)


def test_the_switch_in_mining_me_keeps_the_member_from_being_sent_one(box: Box) -> None:
    me = box.discord.command("ana", "mining me")
    box.discord.click("ana", me, custom_id(me, "sm1:mepref:", "Turn payout messages off"))
    final = finalize(box)
    assert box.dms("ana") == []
    assert len(box.dms("ben")) == 1
    assert "1 member turned payout messages off." in officer_note(box, final)


def test_an_amendment_tells_only_the_payee_whose_amount_changed(box: Box) -> None:
    final = finalize(box)
    # Ben donates his share to the org: ana's line is what it was, ben's is now nothing.
    view = box.discord.click("purser", final, custom_id(final, "sm1:pamend:"))
    view = member_action(box.discord, "purser", view, box.id("ben"), "Donates their share")
    second = confirm(box, view)
    assert len(box.dms("ana")) == 1
    assert box.dms("ben")[1] == (
        "💰 The payroll of **Halo run** was amended: your line is now **0 aUEC** "
        "(it was 600,000 aUEC).\nSee /mining me for everything you are owed."
    )
    assert officer_note(box, second) == "✉️ Payout messages for **Halo run**: 1 payee told."


def settled_payroll(box: Box, *, donor: str | None = None) -> Exchange:
    """ana 2 h, ben and cy 1 h; ana sold 1,600,000, ben 400,000; the org's 200,000 sits with the
    treasurer (purser); ``donor`` donates their share to the org. Finalized."""
    discord = box.discord
    session_id = stopped_op(discord, {box.id("ana"): 120, box.id("ben"): 60, box.id("cy"): 60})
    discord.command("admin", "mining-admin settings set", name="payout-dms", value="on")
    discord.command("admin", "mining-admin settings treasurer", member=discord.member("purser"))
    discord.command("ben", "mining handle set", handle="Ben_SC")
    view = discord.command("purser", "mining payroll", session=session_id)
    if donor is not None:
        view = member_action(discord, "purser", view, box.id(donor), "Donates their share")
    view = discord.click("purser", view, custom_id(view, "sm1:pgo:", "Haul"))
    for who, total in (("ana", "1600000"), ("ben", "400000")):
        opened = discord.click("purser", view, custom_id(view, "sm1:psale:"))
        fields = {"label": f"{who}'s load", "total": total, "seller": [discord.member(who)]}
        view = modal_submit(discord, "purser", opened, fields)
    return confirm(box, view)


def test_paid_by_transfers_each_payee_is_told_who_sends_them_what(box: Box) -> None:
    """Pool 1,800,000: ana 900,000, ben 450,000, cy 450,000. Ana holds 700,000 more than her
    line and sends it: cy 450,000, purser 200,000, ben 50,000 (no fee)."""
    settled_payroll(box)

    (ana,) = box.dms("ana")
    assert "your line is **900,000 aUEC**" in ana
    assert ana.split("\n")[1] == (
        f"You hold 1,600,000 aUEC from your sale: keep 900,000 aUEC and send the rest: "
        f"<@{box.id('cy')}> 450,000, <@{box.id('purser')}> 200,000, "
        f"<@{box.id('ben')}> (in game: Ben_SC) 50,000. Once an officer posts the transfers in "
        "the channel, tick each one you sent with Tick my transfers."
    )
    (ben,) = box.dms("ben")
    assert ben.split("\n")[1] == (
        f"It reaches you by transfer: <@{box.id('ana')}> sends you 50,000 aUEC."
    )
    (cy,) = box.dms("cy")
    assert cy.split("\n")[1] == (
        f"It reaches you by transfer: <@{box.id('ana')}> sends you 450,000 aUEC."
    )
    for name in ("ana", "ben", "cy"):
        dm = box.sink.direct_messages(box.id(name))[0]
        assert problems(dm, public=False) == []


def test_an_amendment_that_only_changes_a_seller_tells_each_member_whose_transfers_changed(
    box: Box,
) -> None:
    """Cy sells ben's load instead: nobody's line changes, but ana now sends ben 450,000 and
    cy 50,000, and ben no longer sends anything; the purser's 200,000 from ana is the same."""
    final = settled_payroll(box)
    view = box.discord.click("purser", final, custom_id(final, "sm1:pamend:"))
    view = box.discord.click("purser", view, custom_id(view, "sm1:pgo:", "Haul"))
    card = box.discord.select("purser", view, custom_id(view, "sm1:pseller:"), ["1"])
    view = box.discord.select("purser", card, custom_id(card, "sm1:pslu:"), [box.id("cy")])
    second = confirm(box, view)

    for name in ("ana", "ben", "cy"):
        _first, amended = box.dms(name)
        assert amended.startswith("💰 The payroll of **Halo run** was amended: your line is still ")
        assert ", but who sends what changed." in amended
    assert f"send the rest: <@{box.id('ben')}> (in game: Ben_SC) 450,000" in box.dms("ana")[1]
    assert f"<@{box.id('ana')}> sends you 450,000 aUEC" in box.dms("ben")[1]
    assert f"<@{box.id('ana')}> sends you 50,000 aUEC" in box.dms("cy")[1]
    assert box.dms("purser") == []
    assert officer_note(box, second) == "✉️ Payout messages for **Halo run**: 3 payees told."


def test_a_seller_with_no_line_of_their_own_is_told_what_to_send(box: Box) -> None:
    """Ben donates his share: his line is nothing, but his sale of 400,000 must be sent on."""
    settled_payroll(box, donor="ben")
    (ben,) = box.dms("ben")
    assert ben.startswith("💰 The payroll of **Halo run** is final: your line is **0 aUEC**.")
    assert "You hold 400,000 aUEC from your sale: keep 0 aUEC and send the rest: " in ben
