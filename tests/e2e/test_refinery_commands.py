"""/mining refinery through the simulator over HTTP: adding a job through its form (with the
estimate), the list with its buttons, collecting, editing the time left and cancelling, and the
permission checked again on every button and form. Every answer passes the contract checker."""

from __future__ import annotations

from tests.support.discord_box import Discord
from tests.support.payroll_flow import components, custom_id, modal_submit, stopped_op

from sunday_mining.domain.prices import OrePrice, PriceSnapshot, TerminalPrice
from sunday_mining.domain.refining import JobState
from sunday_mining.services.prices import PriceService
from sunday_mining_dev.simulator import Exchange

JOB = {
    "terminal": "Refinement Processing - MIC-L1",
    "method": "Dinyx",
    "ores": "Quantainium 48, Gold 12.5",
    "cost": "25,000",
    "time": "2h 30m",
}


def add_job(discord: Discord, who: str = "ben", **fields: str) -> Exchange:
    opened = discord.command(who, "mining refinery add")
    return modal_submit(discord, who, opened, {**JOB, **fields})


def job_id(answer: Exchange) -> str:
    return custom_id(answer, "sm1:rfc:").rsplit(":", 1)[1]


def confirmation(answer: Exchange) -> tuple[str, str]:
    """A success answer's title and text: one private embed, never bare content (the shape
    every refusal takes)."""
    assert answer.ephemeral
    assert not answer.content
    (embed,) = answer.data["embeds"]
    return embed["title"], embed["description"]


def test_the_form_has_five_inputs_and_the_answer_shows_the_estimate(discord: Discord) -> None:
    opened = discord.command("ben", "mining refinery add")
    assert opened.response_type == 9
    assert len(opened.data["components"]) == 5
    answer = modal_submit(discord, "ben", opened, JOB)
    assert answer.ephemeral
    embed = answer.data["embeds"][0]
    assert embed["fields"][0]["name"] == "Expected (estimate)"
    assert embed["fields"][0]["value"] == (
        "Quantainium: 48 SCU raw → about 21.6 SCU refined, 22 SCU to collect in whole boxes\n"
        "Gold: 12.5 SCU raw → about 5.62 SCU refined, 6 SCU to collect in whole boxes"
    )
    assert "estimate" in embed["footer"]["text"]
    assert [c["label"] for c in components(answer)] == ["Collect", "Time left", "Cancel"]


def test_the_add_answer_says_what_is_expected_to_be_collected_not_that_it_was(
    discord: Discord,
) -> None:
    answer = add_job(discord)
    embed = answer.data["embeds"][0]
    shown = " ".join([embed["description"], *(f["value"] for f in embed["fields"])])
    assert "collected" not in shown  # nothing is collected when the job has just started
    assert "22 SCU to collect in whole boxes" in shown


def test_a_form_that_cant_be_read_gets_one_sentence_and_nothing_is_stored(
    discord: Discord,
) -> None:
    answer = add_job(discord, method="Boiling")
    assert answer.ephemeral
    assert (
        answer.content == "'Boiling' isn't a refining method; pick one from the list, e.g. Dinyx."
    )
    assert discord.services.refinery.mine(discord.guild_id, discord.member("ben").id) == []


def test_the_refinery_autocomplete_offers_the_snapshots_refineries(discord: Discord) -> None:
    snapshot = PriceSnapshot(
        fetched_ms=discord.clock.now_ms(),
        game_version="4.5",
        source="uex",
        prices={
            59: OrePrice.from_terminals(
                59,
                [
                    TerminalPrice(242, "Refinement Processing - MIC-L1", 56_000),
                    TerminalPrice(7, "Area18 TDD", 50_000),
                ],
            )
        },
    )
    PriceService(discord.services.store, discord.clock)._save(snapshot, discord.clock.now_ms())
    offered = discord.autocomplete("ben", "mining refinery add", "terminal", "mic")
    assert [c["name"] for c in offered.data["choices"]] == ["Refinement Processing - MIC-L1"]
    add_job(discord, terminal="mic-l1")
    (job,) = discord.services.refinery.mine(discord.guild_id, discord.member("ben").id)
    assert (job.terminal_id, job.terminal_name) == (242, "Refinement Processing - MIC-L1")


def test_the_list_shows_the_time_left_and_collecting_takes_the_counted_scu(
    discord: Discord,
) -> None:
    add_job(discord)
    listed = discord.command("ben", "mining refinery list")
    field = listed.data["embeds"][0]["fields"][0]
    assert field["name"] == "1 · MIC-L1 · Dinyx Solventation"
    assert "Quantainium 48, Gold 12.5 SCU raw · ready in 2h 30m" in field["value"]
    opened = discord.click("ben", listed, custom_id(listed, "sm1:rfc:"))
    assert [c["component"]["value"] for c in opened.data["components"]] == ["22", "6"]
    inputs = [c["component"]["custom_id"] for c in opened.data["components"]]
    done = modal_submit(discord, "ben", opened, dict(zip(inputs, ["21", "6"], strict=True)))
    assert confirmation(done) == (
        "Refinery job collected",
        "Collected at MIC-L1: Quantainium 21, Gold 6 SCU. The payroll of its session can take it "
        "in.",
    )
    (job,) = discord.services.refinery.all_jobs(discord.guild_id)
    assert job.state is JobState.COLLECTED
    assert [o.refined_centi for o in job.ores] == [2_100, 600]


def test_another_member_cant_touch_a_job_an_officer_can(discord: Discord) -> None:
    discord.setup_guild()
    job = job_id(add_job(discord))
    listed = discord.command("ben", "mining refinery list")
    refused = discord.click("cy", listed, f"sm1:rfx:{job}")
    assert refused.ephemeral
    assert refused.content.startswith("Only the member who added that job")
    opened = discord.click("purser", listed, f"sm1:rft:{job}")
    assert opened.data["components"][0]["component"]["value"] == "2h 30m"
    moved = modal_submit(discord, "purser", opened, {"time": "45m"})
    assert confirmation(moved)[0] == "Refinery job: time left changed"
    assert confirmation(moved)[1].startswith("The job at MIC-L1 (Quantainium, Gold) is now ready")
    cancelled = discord.click("lead", listed, f"sm1:rfx:{job}")
    assert confirmation(cancelled) == (
        "Refinery job cancelled",
        "Cancelled the job at MIC-L1 (Quantainium, Gold); no notice will come.",
    )
    again = discord.click("ben", listed, f"sm1:rfx:{job}")
    assert again.content == "That job is cancelled already; it can't be cancelled now."


def test_collect_time_left_and_cancel_confirm_while_a_refusal_stays_one_sentence(
    discord: Discord,
) -> None:
    first, second = job_id(add_job(discord)), job_id(add_job(discord, time="1h"))
    listed = discord.command("ben", "mining refinery list")
    opened = discord.click("ben", listed, f"sm1:rfc:{first}")
    inputs = [c["component"]["custom_id"] for c in opened.data["components"]]
    collected = modal_submit(discord, "ben", opened, dict(zip(inputs, ["21", "6"], strict=True)))
    opened = discord.click("ben", listed, f"sm1:rft:{second}")
    moved = modal_submit(discord, "ben", opened, {"time": "45m"})
    cancelled = discord.click("ben", listed, f"sm1:rfx:{second}")
    titles = [confirmation(a)[0] for a in (collected, moved, cancelled)]
    assert titles == [
        "Refinery job collected",
        "Refinery job: time left changed",
        "Refinery job cancelled",
    ]
    refused = discord.click("ben", listed, f"sm1:rfx:{second}")
    assert refused.ephemeral
    assert "embeds" not in refused.data
    assert refused.content == "That job is cancelled already; it can't be cancelled now."


def test_a_form_submitted_by_someone_who_may_not_change_the_job_is_refused(
    discord: Discord,
) -> None:
    job = job_id(add_job(discord))
    listed = discord.command("ben", "mining refinery list")
    opened = discord.click("ben", listed, f"sm1:rft:{job}")
    # The form travels to another member (a replayed or forged submit): refused on arrival.
    refused = modal_submit(discord, "cy", opened, {"time": "1m"})
    assert refused.content.startswith("Only the member who added that job")


def test_every_open_job_of_the_org_is_for_officers(discord: Discord) -> None:
    discord.setup_guild()
    add_job(discord)
    add_job(discord, "cy", time="1h")
    refused = discord.command("ben", "mining refinery list", all=True)
    assert refused.content == "Only op leaders and payroll officers can list every job."
    listed = discord.command("lead", "mining refinery list", all=True)
    names = [f["value"] for f in listed.data["embeds"][0]["fields"]]
    assert len(names) == 2
    assert "ready in 1h" in names[0]


def test_a_long_list_is_paged(discord: Discord) -> None:
    for hours in range(1, 7):
        add_job(discord, time=f"{hours}h")
    first = discord.command("ben", "mining refinery list")
    assert first.data["embeds"][0]["footer"]["text"] == "Page 1 of 2"
    assert len(first.data["embeds"][0]["fields"]) == 4
    second = discord.click("ben", first, custom_id(first, "sm1:rfl:", "Next"))
    assert [f["name"][0] for f in second.data["embeds"][0]["fields"]] == ["5", "6"]


# --- the haul from collected jobs -------------------------------------------------------------


def collected_job(discord: Discord, who: str, session_id: str, ores: str, got: list[str]) -> str:
    opened = discord.command(who, "mining refinery add", session=session_id)
    added = modal_submit(discord, who, opened, {**JOB, "ores": ores})
    form = discord.click(who, added, custom_id(added, "sm1:rfc:"))
    inputs = [c["component"]["custom_id"] for c in form.data["components"]]
    modal_submit(discord, who, form, dict(zip(inputs, got, strict=True)))
    return job_id(added)


def test_the_haul_step_takes_in_the_sessions_collected_jobs_once(discord: Discord) -> None:
    ids = {who: discord.member(who).id for who in ("ana", "ben")}
    session_id = stopped_op(discord, {ids["ana"]: 120, ids["ben"]: 90})
    collected_job(discord, "ana", session_id, "Quantainium 48", ["22"])
    # Collected a minute apart: lines come in order of collection (at one instant, the ids'
    # random part would decide which fee is "(2)").
    discord.clock.set(discord.clock.now_ms() + 60_000)
    collected_job(discord, "ben", session_id, "Quantainium 20, Gold 10", ["9", "5"])
    add_job(discord, "ben")  # open, and of no session: left out
    picker = discord.command("purser", "mining payroll")
    view = discord.select("purser", picker, "sm1:ppick", [session_id])
    view = discord.click("purser", view, custom_id(view, "sm1:pgo:", "Haul"))
    view = discord.click("purser", view, custom_id(view, "sm1:pstale:"))  # the bundled prices
    for _ in range(2):  # a second press changes nothing
        view = discord.click("purser", view, custom_id(view, "sm1:prefj:"))
        assert view.data.get("components"), view.content
    draft = discord.services.payroll.get(
        discord.guild_id, custom_id(view, "sm1:prefj:").split(":")[2]
    )
    # Gold came from Ben's job alone: Ben holds it. Ana's and Ben's jobs both gave
    # Quantainium: the officer taking them in is its seller until they say who sold it.
    assert sorted((x.ore_name, x.scu_centi, x.seller_id) for x in draft.income) == [
        ("Gold", 500, ids["ben"]),
        ("Quantainium", 3_100, discord.member("purser").id),
    ]
    assert [(e.label, e.amount, e.claimant_id) for e in draft.expenses] == [
        ("Refinery fee, MIC-L1", 25_000, ids["ana"]),
        ("Refinery fee, MIC-L1 (2)", 25_000, ids["ben"]),
    ]


def test_the_haul_step_without_collected_jobs_says_so_and_changes_nothing(
    discord: Discord,
) -> None:
    ids = {who: discord.member(who).id for who in ("ana",)}
    session_id = stopped_op(discord, {ids["ana"]: 120})
    picker = discord.command("purser", "mining payroll")
    view = discord.select("purser", picker, "sm1:ppick", [session_id])
    view = discord.click("purser", view, custom_id(view, "sm1:pgo:", "Haul"))
    before = discord.store_items()
    answer = discord.click("purser", view, custom_id(view, "sm1:prefj:"))
    assert answer.content.startswith("No collected refinery job in this session yet")
    assert discord.store_items() == before


def _stored_snapshot_with_yields(discord: Discord) -> None:
    snapshot = PriceSnapshot(
        fetched_ms=discord.clock.now_ms(),
        game_version="4.5",
        source="uex",
        prices={
            59: OrePrice.from_terminals(
                59, [TerminalPrice(242, "Refinement Processing - MIC-L1", 56_000)]
            )
        },
        yields={242: {59: 10}},  # invented for the test
    )
    PriceService(discord.services.store, discord.clock)._save(snapshot, discord.clock.now_ms())


def test_the_estimate_uses_the_refinerys_uex_bonus_when_the_prices_have_it(
    discord: Discord,
) -> None:
    _stored_snapshot_with_yields(discord)
    answer = add_job(discord, terminal="MIC-L1")
    embed = answer.data["embeds"][0]
    # Quantainium +10 %: 4,800 x 0.85 x 1.10 x 0.5293 = 2,375.498 cSCU; Gold has no row: none.
    assert embed["fields"][0]["value"] == (
        "Quantainium: 48 SCU raw → about 23.75 SCU refined, 24 SCU to collect in whole boxes\n"
        "Gold: 12.5 SCU raw → about 5.62 SCU refined, 6 SCU to collect in whole boxes"
    )
    assert "MIC-L1's refinery bonus from UEX" in embed["footer"]["text"]


def test_without_yield_figures_the_estimate_says_it_uses_no_bonus(discord: Discord) -> None:
    answer = add_job(discord)  # the bundled sample prices: no refinery yields in them
    footer = answer.data["embeds"][0]["footer"]["text"]
    assert footer == (
        "Refined SCU is an estimate (game 4.5 method yields, default ore factor, no refinery "
        "bonus, as the stored prices have no UEX yield figures for MIC-L1); type what you "
        "actually collect."
    )
