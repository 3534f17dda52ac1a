"""/mining start, stop, status and adhoc, driven through the simulator over HTTP."""

from __future__ import annotations

from tests.e2e.conftest import Discord
from tests.support.member_view import problems

from sunday_mining.domain.presence import VoiceEvent
from sunday_mining.interactions.commands import HELP_TOPICS
from sunday_mining.services.voice import VoiceBatch
from sunday_mining_dev.simulator.transcript import names_in

EPHEMERAL = 64


def seat(discord: Discord, user: str, channel: str, seq: int) -> None:
    """The voice worker reports a member sitting down in a channel."""
    member = discord.member(user)
    channel_id = discord.sim.guild.channel(channel).id
    event = VoiceEvent(discord.clock.now_ms(), "C1", seq, member.id, channel_id)
    discord.services.voice.record(VoiceBatch(discord.guild_id, "C1", seq, events=(event,)))


def test_start_status_stop_shows_who_gets_paid(discord: Discord) -> None:
    discord.setup_guild()
    seat(discord, "ana", "Mining 1", 1)
    started = discord.command("lead", "mining start", name="Halo run")
    assert "**Halo run** started by" in started.content
    assert "1 already there" in started.content
    assert not started.ephemeral

    discord.clock.advance(minutes=20)
    seat(discord, "ben", "Mining 2", 2)
    discord.clock.advance(minutes=40)
    status = discord.command("ben", "mining status")
    assert status.ephemeral
    embed = status.data["embeds"][0]
    assert "Halo run" in embed["title"]
    assert "Running for 1 h 00 min" in embed["description"]
    assert any(f["name"] == "Participants" and f["value"] == "2" for f in embed["fields"])

    stopped = discord.command("lead", "mining stop")
    summary = stopped.data["embeds"][0]
    assert "has stopped" in summary["title"]
    fields = {f["name"]: f["value"] for f in summary["fields"]}
    assert fields["Participants"] == "2 in voice · 2 paid"
    assert fields["Credited time"] == "1:40:00"
    buttons = [b["label"] for b in stopped.data["components"][0]["components"]]
    assert buttons == ["Everyone's time", "Payroll"]

    everyone = discord.click("cy", stopped, f"sm1:slist:{_session_id(discord, 'Halo run')}")
    assert everyone.ephemeral
    ana, ben = discord.member("ana").id, discord.member("ben").id
    listed = everyone.data["embeds"][0]["description"].splitlines()[1:]
    assert listed == [f"`  1.` ✅ <@{ana}> — 1:00:00", f"`  2.` ✅ <@{ben}> — 0:40:00"]


def _session_id(discord: Discord, name: str) -> str:
    sessions, _ = discord.services.sessions.recent(discord.guild_id)
    return next(s.session_id for s in sessions if s.name == name)


def test_the_stop_summary_and_status_give_start_and_stop_to_the_second(
    discord: Discord,
) -> None:
    discord.setup_guild()
    discord.clock.advance(seconds=7)
    started_s = discord.clock.now_ms() // 1000
    discord.command("lead", "mining start", name="Halo run")
    discord.clock.advance(minutes=42, seconds=9)
    status = discord.command("ben", "mining status")
    assert (
        f"started by <@{discord.member('lead').id}> at <t:{started_s}:T>"
        in (status.data["embeds"][0]["description"])
    )
    stopped = discord.command("lead", "mining stop")
    stopped_s = discord.clock.now_ms() // 1000
    description = stopped.data["embeds"][0]["description"]
    assert description.startswith(f"<t:{started_s}:T> → <t:{stopped_s}:T> · 0:42:09 on ")


def test_the_public_stop_summary_of_a_big_op_fits_a_phone_screen(discord: Discord) -> None:
    discord.setup_guild()
    guild = discord.sim.guild
    crew = [guild.add_member(f"miner{n:02d}", global_name=f"Miner {n:02d}") for n in range(45)]
    for seq, miner in enumerate(crew, start=1):
        seat(discord, miner.username, "Mining 1" if seq % 2 else "Mining 2", seq)
    discord.command("lead", "mining start", name="Big op")
    for seq, miner in enumerate(crew[:10], start=100):
        discord.clock.advance(minutes=1)
        event = VoiceEvent(discord.clock.now_ms(), "C1", seq, miner.id, None)
        discord.services.voice.record(VoiceBatch(discord.guild_id, "C1", seq, events=(event,)))
    discord.clock.advance(minutes=120)
    stopped = discord.command("lead", "mining stop")

    assert not stopped.ephemeral
    assert problems(stopped.data, public=True, names=names_in(guild)) == []
    assert stopped.content.count("<@") + str(stopped.data["embeds"]).count("<@") <= 4
    fields = {f["name"]: f["value"] for f in stopped.data["embeds"][0]["fields"]}
    assert fields["Participants"] == "45 in voice · 35 paid · 10 below the 15 min minimum"


def test_a_start_on_many_channels_counts_them_instead_of_listing_them(discord: Discord) -> None:
    guild = discord.sim.guild
    for number in range(12):
        channel = guild.add_voice_channel(f"Rock {number}")
        discord.command("admin", "mining-admin channels add", channel=channel)
    started = discord.command("admin", "mining start", name="Wide op")
    assert "Tracking 12 mining channels; 0 already there." in started.content
    assert problems(started.data, public=True, names=names_in(guild)) == []


def test_everyones_time_pages_through_the_whole_list_for_the_member_alone(
    discord: Discord,
) -> None:
    discord.setup_guild()
    guild = discord.sim.guild
    crew = [guild.add_member(f"miner{n:02d}") for n in range(45)]
    for seq, miner in enumerate(crew, start=1):
        seat(discord, miner.username, "Mining 1", seq)
    discord.command("lead", "mining start", name="Big op")
    discord.clock.advance(minutes=60, seconds=5)
    stopped = discord.command("lead", "mining stop")
    session_id = _session_id(discord, "Big op")

    seen: list[str] = []
    page = discord.click("ben", stopped, f"sm1:slist:{session_id}")
    assert page.ephemeral
    assert page.response_type == 4  # a new message of the member's own, not the public one
    for number in (1, 2, 3):
        embed = page.data["embeds"][0]
        assert embed["footer"]["text"] == f"Page {number} of 3"
        seen += embed["description"].splitlines()[1:]
        if number < 3:
            page = discord.click("ben", page, f"sm1:slist:{session_id}:{number}:n")
            assert page.response_type == 7
    assert len(seen) == 45
    assert {line.split("<@")[1].split(">")[0] for line in seen} == {m.id for m in crew}
    assert all(line.endswith("— 1:00:05") for line in seen)


def test_everyones_time_of_another_guilds_session_is_not_found(discord: Discord) -> None:
    other = discord.services.sessions.start_adhoc("999", "1", "42")
    discord.services.sessions.stop("999", other.session_id)
    discord.setup_guild()
    discord.command("lead", "mining start")
    stopped = discord.command("lead", "mining stop")
    message = dict(stopped.message or {})
    forged = f"sm1:slist:{other.session_id}"
    message["components"] = [
        {"type": 1, "components": [{"type": 2, "style": 2, "label": "x", "custom_id": forged}]}
    ]
    answer = discord.click("ben", message, forged)  # type: ignore[arg-type]
    assert answer.ephemeral
    assert "can't find that session" in answer.content


def test_the_status_refresh_button_updates_the_message(discord: Discord) -> None:
    discord.setup_guild()
    discord.command("lead", "mining start")
    status = discord.command("lead", "mining status")
    discord.clock.advance(minutes=5)
    refreshed = discord.click("lead", status, "sm1:status")
    assert refreshed.response_type == 7
    assert "Running for 5 min" in refreshed.data["embeds"][0]["description"]


def test_status_with_nothing_running_explains_setup_in_an_unconfigured_server(
    discord: Discord,
) -> None:
    status = discord.command("ben", "mining status")
    assert status.data["embeds"][0]["title"] == "Sunday Mining is not set up here yet"


def test_status_warns_when_the_voice_worker_has_not_reported(discord: Discord) -> None:
    discord.setup_guild()
    discord.command("lead", "mining start")
    status = discord.command("lead", "mining status")
    worker = next(f for f in status.data["embeds"][0]["fields"] if f["name"] == "Voice worker")
    assert worker["value"].startswith("⚠️")


def test_a_second_start_is_refused_and_changes_nothing(discord: Discord) -> None:
    discord.setup_guild()
    discord.command("lead", "mining start", name="First")
    before = discord.store_items()
    again = discord.command("admin", "mining start")
    assert again.ephemeral
    assert again.content == (
        "A Sunday op is already running ('First'); stop it with /mining stop first."
    )
    assert discord.store_items() == before


def test_a_member_without_the_leader_role_cannot_start(discord: Discord) -> None:
    discord.setup_guild()
    before = discord.store_items()
    refused = discord.command("ben", "mining start")
    assert refused.ephemeral
    assert "Only op leaders" in refused.content
    assert discord.store_items() == before


def test_start_in_an_unconfigured_server_says_how_to_set_up(discord: Discord) -> None:
    for who in ("ben", "lead", "admin"):
        refused = discord.command(who, "mining start")
        assert refused.ephemeral
        assert refused.content.startswith("Sunday Mining is not set up on this server yet")
        assert "`/mining-admin channels add`" in refused.content
        assert "`/mining-admin roles add kind:leader`" in refused.content
        assert "Only op leaders" not in refused.content
    assert discord.store_items() == []


def test_a_member_in_a_server_without_a_leader_role_hears_who_names_one(
    discord: Discord,
) -> None:
    discord.command(
        "admin", "mining-admin channels add", channel=discord.sim.guild.channel("Mining 1")
    )
    refused = discord.command("ben", "mining start")
    assert "no leader role yet" in refused.content
    assert "`/mining-admin roles add kind:leader`" in refused.content


def test_stop_with_nothing_running_says_so(discord: Discord) -> None:
    refused = discord.command("lead", "mining stop")
    assert refused.ephemeral
    assert refused.content.startswith("Nothing is running")


def test_adhoc_new_load_and_list(discord: Discord) -> None:
    channel = discord.sim.guild.channel("Mining 2")
    made = discord.command("ben", "mining adhoc new", channel=channel, name="Rock hunt")
    assert "**Rock hunt** started" in made.content
    discord.clock.advance(minutes=30)
    stopped = discord.command("ben", "mining stop")
    assert "Rock hunt has stopped" in stopped.data["embeds"][0]["title"]

    suggestions = discord.autocomplete("ben", "mining adhoc load", "session", "rock")
    (choice,) = suggestions.data["choices"]
    assert choice["name"].startswith("Rock hunt")
    loaded = discord.command("ben", "mining adhoc load", session=choice["value"])
    assert "running again" in loaded.content

    listing = discord.command("ben", "mining adhoc list")
    assert listing.ephemeral
    assert "**Rock hunt**" in listing.data["embeds"][0]["description"]


def test_adhoc_on_a_text_channel_is_refused(discord: Discord) -> None:
    refused = discord.command(
        "ben", "mining adhoc new", channel=discord.sim.guild.channel("general")
    )
    assert refused.ephemeral
    assert "is not a voice channel" in refused.content
    assert discord.store_items() == []


def test_adhoc_on_a_channel_of_the_running_op_is_refused(discord: Discord) -> None:
    discord.setup_guild()
    discord.command("lead", "mining start", name="Op")
    before = discord.store_items()
    refused = discord.command(
        "ben", "mining adhoc new", channel=discord.sim.guild.channel("Mining 1")
    )
    assert "already tracked by 'Op'" in refused.content
    assert discord.store_items() == before


def test_only_the_creator_or_a_leader_can_load_an_adhoc_session(discord: Discord) -> None:
    discord.setup_guild()
    channel = discord.sim.guild.channel("Dispatch")
    discord.command("ben", "mining adhoc new", channel=channel, name="Bens")
    discord.command("ben", "mining stop")
    (session,) = discord.services.sessions.by_creator(discord.guild_id, discord.member("ben").id)[0]
    before = discord.store_items()
    refused = discord.command("cy", "mining adhoc load", session=session.session_id)
    assert "Only its creator or an op leader" in refused.content
    assert discord.store_items() == before
    assert (
        "running again"
        in discord.command("lead", "mining adhoc load", session=session.session_id).content
    )


def test_a_made_up_session_id_is_not_found(discord: Discord) -> None:
    refused = discord.command("ben", "mining adhoc load", session="not-a-session")
    assert refused.ephemeral
    assert "Pick one of your sessions" in refused.content


def test_another_guilds_session_cannot_be_loaded(discord: Discord) -> None:
    other = discord.services.sessions.start_adhoc("999", "1", "42")
    discord.services.sessions.stop("999", other.session_id)
    refused = discord.command("admin", "mining adhoc load", session=other.session_id)
    assert "can't find that session" in refused.content


def test_stop_offers_a_choice_when_several_sessions_are_the_callers(discord: Discord) -> None:
    discord.setup_guild()
    discord.command("lead", "mining start", name="Op")
    discord.command(
        "lead", "mining adhoc new", channel=discord.sim.guild.channel("Dispatch"), name="Side"
    )
    picker = discord.command("lead", "mining stop")
    assert picker.ephemeral
    options = picker.data["components"][0]["components"][0]["options"]
    assert [o["label"] for o in options] == ["Op", "Side"] or [o["label"] for o in options] == [
        "Side",
        "Op",
    ]
    side = next(o["value"] for o in options if o["label"] == "Side")
    stopped = discord.select("lead", picker, "sm1:stop", [side])
    assert "Side has stopped" in stopped.data["embeds"][0]["title"]
    assert [s.name for s in discord.services.sessions.active(discord.guild_id)] == ["Op"]


def test_a_stale_or_tampered_button_gets_a_polite_answer(discord: Discord) -> None:
    discord.setup_guild()
    status = discord.command("lead", "mining status")
    message = dict(status.message or {})
    message["components"] = [
        {
            "type": 1,
            "components": [
                {"type": 2, "style": 2, "label": "Old", "custom_id": "sm0:status"},
                {"type": 2, "style": 2, "label": "Odd", "custom_id": "sm1:nope:x"},
                {"type": 2, "style": 2, "label": "Evil", "custom_id": "sm1:alist:../../G#1"},
            ],
        }
    ]
    for custom_id in ("sm0:status", "sm1:nope:x", "sm1:alist:../../G#1"):
        answer = discord.click("lead", message, custom_id)  # type: ignore[arg-type]
        assert answer.ephemeral
        assert "older message" in answer.content


def test_help_covers_every_topic(discord: Discord) -> None:
    overview = discord.command("ben", "mining help")
    assert len(overview.data["embeds"][0]["fields"]) == len(HELP_TOPICS)
    for topic in HELP_TOPICS:
        page = discord.command("ben", "mining help", topic=topic)
        assert "Example" in page.data["embeds"][0]["description"]
        assert problems(page.data, public=False) == []
    admin = discord.command("ben", "mining help", topic="admin").data["embeds"][0]
    assert "`/mining-admin settings report-channel channel:#payroll`" in admin["description"]


def test_a_day_old_button_still_works_after_a_cold_start(discord: Discord) -> None:
    channel = discord.sim.guild.channel("Mining 2")
    for number in range(12):
        discord.command("ben", "mining adhoc new", channel=channel, name=f"Run {number}")
        discord.clock.advance(minutes=5)
        discord.command("ben", "mining stop")
    listing = discord.command("ben", "mining adhoc list")
    older = listing.data["components"][0]["components"][1]
    assert older["label"] == "Older"

    # A new process on the same database, a day later: nothing was kept in memory.
    discord.clock.advance(minutes=24 * 60)
    with discord.cold_start() as fresh:
        page = fresh.click(discord.member("ben"), listing, older["custom_id"])
    assert page.status == 200
    assert page.response_type == 7
    description = page.data["embeds"][0]["description"]
    assert "**Run 1**" in description
    assert "**Run 0**" in description
    assert "**Run 11**" not in description
