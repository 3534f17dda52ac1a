"""Refinery jobs, the domain core: methods and the yield estimate against the worked examples
of the refining reference, the time left as players type it, a job's transitions with exactly
one due notice, and what collected jobs add to a payroll's haul."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sunday_mining.domain import refining
from sunday_mining.domain.errors import StateConflict, ValidationError
from sunday_mining.domain.guild import DonationPolicy
from sunday_mining.domain.payroll import IncomeLine, LineKind, Participant, PayrollInput, compute
from sunday_mining.domain.refining import (
    METHODS,
    JobState,
    Method,
    OreAmount,
    RefineryJob,
    cancel,
    collect,
    collected_scu,
    due_notice,
    edit_time_left,
    estimate,
    format_time_left,
    haul_inputs,
    mark_notified,
    method_by_code,
    open_job,
    parse_method,
    parse_ore_amounts,
    parse_scu,
    parse_time_left,
    raw_ores,
    refined_centi,
)

FEW = settings(max_examples=200, deadline=None)
MIN = 60_000
HOUR = 60 * MIN
DAY = 24 * HOUR
T0 = 1_780_000_000_000  # a Sunday afternoon, UTC epoch ms

# Catalogue ids (uex.md): refined / raw.
QUANT, QUANT_RAW = 58, 59
GOLD, GOLD_RAW = 33, 34
QUARTZ_RAW = 61
ICE_RAW = 125
DINYX = method_by_code("DIN")


# --- methods ---------------------------------------------------------------------------------

# refining.md, "Method factor (4.5)": code, name, yield, time x, cost x; UEX ratings
# yield/cost/speed from the same section.
REFERENCE_METHODS = [
    ("DIN", "Dinyx Solventation", "0.5293", "12", "1", (3, 1, 1)),
    ("FRX", "Ferron Exchange", "0.5293", "4", "2", (3, 2, 1)),
    ("PYR", "Pyrometric Chromalysis", "0.5293", "2", "6", (3, 3, 1)),
    ("EST", "Electrostarolysis", "0.45", "1", "2", (2, 2, 2)),
    ("TND", "Thermonatic Deposition", "0.45", "3", "1", (2, 2, 1)),
    ("GAS", "Gaskin Process", "0.45", "0.5", "6", (2, 3, 3)),
    ("COR", "Cormack", "0.3705", "0.25", "2", (1, 2, 3)),
    ("KZW", "Kazen Winnowing", "0.3705", "0.75", "1", (1, 2, 2)),
    ("XCR", "XCR Reaction", "0.3705", "0.125", "6", (1, 3, 3)),
]


def test_there_are_nine_methods_each_with_its_own_code() -> None:
    assert len(METHODS) == 9
    assert len({m.code for m in METHODS}) == 9


@pytest.mark.parametrize(("code", "name", "yield_", "time", "cost", "ratings"), REFERENCE_METHODS)
def test_each_method_has_the_reference_figures_for_game_version_4_5(
    code: str, name: str, yield_: str, time: str, cost: str, ratings: tuple[int, int, int]
) -> None:
    method = method_by_code(code)
    assert refining.GAME_VERSION == "4.5"
    assert method.name == name
    assert (method.yield_factor, method.time_factor, method.cost_factor) == (
        Decimal(yield_),
        Decimal(time),
        Decimal(cost),
    )
    assert (method.rating_yield, method.rating_cost, method.rating_speed) == ratings


def test_the_4_5_yield_tiers_are_the_old_tiers_times_0_5293_to_four_places() -> None:
    # refining.md: "Before 4.5 the three tiers were 1.0 / 0.85 / 0.70; 4.5's values are those
    # x 0.5293". The table rounds the products (0.85 x 0.5293 = 0.449905 is given as 0.45), and
    # the table is what the estimate uses.
    tiers = sorted({m.yield_factor for m in METHODS}, reverse=True)
    old = [Decimal("1.0"), Decimal("0.85"), Decimal("0.70")]
    for new, before in zip(tiers, old, strict=True):
        assert abs(new - before * Decimal("0.5293")) < Decimal("0.0001")


@pytest.mark.parametrize("typed", ["DIN", "din", "Dinyx", "dinyx  solventation", " Dinyx "])
def test_a_method_is_found_by_its_code_its_name_or_its_first_word(typed: str) -> None:
    assert parse_method(typed) is DINYX


def test_an_unknown_method_says_to_pick_one_from_the_list() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_method("Smelting")
    assert caught.value.message == (
        "'Smelting' isn't a refining method; pick one from the list, e.g. Dinyx."
    )


def test_an_unknown_stored_method_code_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        method_by_code("OLD")


# --- the yield estimate ----------------------------------------------------------------------


def test_refining_md_worked_example_48_scu_quantainium_at_plus_3_percent_dinyx_collects_27() -> (
    None
):
    # refining.md, "Worked example (ore factor taken as 1.0)": 4,800 x 1.03 x 0.5293
    # = 2,616.86 cSCU -> 26.17 SCU -> 27 SCU collected.
    refined = refined_centi(4_800, DINYX, bonus_percent=3, ore_factor=Decimal(1))
    assert refined == 2_617
    assert collected_scu(refined) == 27


def test_uex_md_upstream_example_100_cscu_gold_with_the_pre_4_5_top_tier_gives_85() -> None:
    # uex.md, "Conversions and refining facts": pre-4.5 the top tier gave 85 % with the 0.85
    # ore factor (100 cSCU Gold at ARC-L1 with Dinyx -> 85).
    pre_4_5_dinyx = replace(DINYX, yield_factor=Decimal("1.0"))
    assert refined_centi(100, pre_4_5_dinyx) == 85


def test_the_default_ore_factor_is_the_public_tools_0_85() -> None:
    assert str(refining.DEFAULT_ORE_FACTOR) == "0.85"
    # 4,800 x 0.85 x 1.03 x 0.5293 = 2,224.33 cSCU -> 23 boxes
    assert refined_centi(4_800, DINYX, 3) == 2_224


def test_a_refinery_without_a_row_for_an_ore_gives_it_no_bonus() -> None:
    # refining.md: "A refinery without a row for an ore has no bonus (factor 1)".
    amounts = [OreAmount(QUANT_RAW, 4_800)]
    without = estimate(amounts, DINYX, bonuses={})
    assert without == estimate(amounts, DINYX, bonuses={QUANT_RAW: 0})
    assert without[0].bonus_percent == 0


def test_a_negative_bonus_lowers_the_yield() -> None:
    # Quartz (Raw) at MIC-L1: -3 % (UEX refineries_yields).
    got = estimate([OreAmount(QUARTZ_RAW, 10_000)], DINYX, {QUARTZ_RAW: -3}, {})
    # 10,000 x 0.85 x 0.97 x 0.5293 = 4,364.0785 -> 4,364 cSCU -> 44 boxes
    assert (got[0].refined_centi, got[0].collected_scu) == (4_364, 44)


def test_boxes_are_rounded_up_per_ore_not_per_job() -> None:
    factors = {QUANT_RAW: Decimal(1), GOLD_RAW: Decimal(1)}
    amounts = [OreAmount(QUANT_RAW, 100), OreAmount(GOLD_RAW, 100)]
    got = estimate(amounts, DINYX, {}, factors)
    assert [y.refined_centi for y in got] == [53, 53]  # 106 cSCU together would be 2 boxes too
    assert [y.collected_scu for y in got] == [1, 1]


def test_a_whole_number_of_scu_is_not_rounded_up_to_another_box() -> None:
    assert collected_scu(2_600) == 26
    assert collected_scu(2_601) == 27
    assert collected_scu(0) == 0


def test_the_refined_amount_is_rounded_to_the_cscu_before_the_boxes_are_counted() -> None:
    # 4,913 x 1 x 1 x 0.5293 = 2,600.4509 cSCU: it reads 26.00 SCU and fills 26 boxes, not 27.
    refined = refined_centi(4_913, DINYX, 0, Decimal(1))
    assert refined == 2_600
    assert collected_scu(refined) == 26


def test_an_ore_factor_of_0_inert_material_refines_to_nothing() -> None:
    assert refined_centi(5_000, DINYX, 13, Decimal(0)) == 0


@pytest.mark.parametrize(
    ("raw", "bonus", "factor"),
    [(4_800, 3, 0.85), (4_800.0, 3, Decimal(1)), (-1, 0, Decimal(1)), (100, 101, Decimal(1))],
)
def test_the_estimate_refuses_floats_and_out_of_range_inputs(
    raw: object, bonus: int, factor: object
) -> None:
    with pytest.raises(ValueError, match=r"must be|is a"):
        refined_centi(raw, DINYX, bonus, factor)  # type: ignore[arg-type]


@FEW
@given(
    raw=st.integers(0, 10_000_000),
    method=st.sampled_from(METHODS),
    bonus=st.integers(-9, 13),
    factor=st.sampled_from([Decimal(1), Decimal("0.85"), Decimal("0.5"), Decimal(0)]),
)
def test_the_boxes_hold_the_refined_ore_and_never_more_than_went_in(
    raw: int, method: Method, bonus: int, factor: Decimal
) -> None:
    refined = refined_centi(raw, method, bonus, factor)
    boxes = collected_scu(refined)
    assert (boxes - 1) * 100 < refined <= boxes * 100 or refined == boxes == 0
    assert refined <= raw
    assert boxes <= collected_scu(raw)


@FEW
@given(raw=st.integers(0, 10_000_000), extra=st.integers(0, 1_000), method=st.sampled_from(METHODS))
def test_more_raw_ore_never_refines_to_less(raw: int, extra: int, method: Method) -> None:
    assert refined_centi(raw + extra, method, 3) >= refined_centi(raw, method, 3)


# --- ore amounts as typed --------------------------------------------------------------------


def test_a_pasted_list_reads_each_ore_and_its_exact_scu() -> None:
    assert parse_ore_amounts("Quantainium 48, Gold 12.5") == (
        OreAmount(QUANT, 4_800),
        OreAmount(GOLD, 1_250),
    )


def test_a_pasted_list_may_use_lines_semicolons_colons_codes_and_an_scu_suffix() -> None:
    text = "QUAN: 48 scu\nGold (Ore) = 12.05; raw quant 1"
    assert parse_ore_amounts(text) == (
        OreAmount(QUANT, 4_800),
        OreAmount(GOLD_RAW, 1_205),
        OreAmount(QUANT_RAW, 100),
    )


def test_a_refinery_takes_the_raw_form_of_each_ore() -> None:
    assert raw_ores(parse_ore_amounts("Quantainium 48, Gold 12.5")) == (
        OreAmount(QUANT_RAW, 4_800),
        OreAmount(GOLD_RAW, 1_250),
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Paste at least one ore and its SCU, e.g. Quantainium 48."),
        (
            "Quantainium 48, Unobtainium 3",
            "I couldn't read 'Unobtainium 3' (no ore called 'Unobtainium'); type each ore and "
            "its SCU, e.g. Quantainium 48, Gold 12.5.",
        ),
        (
            "Gold 1.234",
            "I couldn't read 'Gold 1.234' ('1.234' isn't an amount of SCU); type each ore and its "
            "SCU, e.g. Quantainium 48, Gold 12.5.",
        ),
        (
            "Gold 0; Quantainium",
            "I couldn't read 'Gold 0' (the SCU must be above 0 and up to 100,000); "
            "'Quantainium' (an ore and its SCU, please); type each ore and its SCU, "
            "e.g. Quantainium 48, Gold 12.5.",
        ),
    ],
)
def test_a_list_that_cant_be_read_names_every_bad_part(text: str, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_ore_amounts(text)
    assert caught.value.message == message


@pytest.mark.parametrize(("typed", "centi"), [("12.5", 1_250), ("48 SCU", 4_800), ("0.01", 1)])
def test_an_amount_of_scu_is_read_exactly_in_centi_scu(typed: str, centi: int) -> None:
    assert parse_scu(typed, "Gold") == centi


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("12.555", "Gold: '12.555' isn't an amount of SCU; type e.g. 12.5."),
        ("1e3", "Gold: '1e3' isn't an amount of SCU; type e.g. 12.5."),
        ("0", "Gold: type an amount above 0 and up to 100,000 SCU."),
        ("100000.01", "Gold: type an amount above 0 and up to 100,000 SCU."),
    ],
)
def test_an_amount_of_scu_that_cant_be_read_says_what_to_type(typed: str, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_scu(typed, "Gold")
    assert caught.value.message == message


def test_an_ore_with_no_refined_form_is_left_out_of_a_job() -> None:
    with pytest.raises(ValidationError) as caught:
        raw_ores(parse_ore_amounts("Ice 12"))
    assert caught.value.message == "Ice (Raw) isn't refined; leave it out of the job."


def test_an_ore_listed_twice_in_either_form_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        raw_ores(parse_ore_amounts("Gold 3, Gold (Ore) 4"))
    assert caught.value.message == "Gold is listed twice; keep one amount for it."


# --- the time left ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "ms"),
    [
        ("12h 30m", 12 * HOUR + 30 * MIN),
        ("45m", 45 * MIN),
        ("1d 2h", DAY + 2 * HOUR),
        ("2h", 2 * HOUR),
        ("1d", DAY),
        ("90m", 90 * MIN),
        ("1h30m", 90 * MIN),
        ("  1H   30M ", 90 * MIN),
        ("1 D 2 H", DAY + 2 * HOUR),
        ("1 day 2 hours 5 mins", DAY + 2 * HOUR + 5 * MIN),
        ("25h", 25 * HOUR),
        ("2h 5m 12s", 2 * HOUR + 5 * MIN + 12_000),
        ("1d, 2h", DAY + 2 * HOUR),
        ("2:30:00", 2 * HOUR + 30 * MIN),
        ("30d", 30 * DAY),
    ],
)
def test_the_time_left_is_read_as_the_game_shows_it(typed: str, ms: int) -> None:
    assert parse_time_left(typed) == ms


EXAMPLE = "e.g. 12h 30m, 45m or 1d 2h"
UNREADABLE = f"isn't a time left; type it as shown, {EXAMPLE}."
ORDER = f"isn't a time left; use d, h, m and s once each, largest first, {EXAMPLE}."
CAP = "A refinery job takes at most 30 days; type the time left the game shows, e.g. 1d 2h."


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", f"Type the time left as the game shows it, {EXAMPLE}."),
        ("abc", f"'abc' {UNREADABLE}"),
        # A bare number is hours to some and minutes to others: a wrong guess is hours off.
        ("12", "'12' has no unit; type 12h or 12m."),
        ("-5m", f"The time left can't have a sign; type it as shown, {EXAMPLE}."),
        # After a larger unit, a unit stays below what carries over; the first may be large.
        (
            "25h 70m",
            "In '25h 70m' the minutes after the hours go up to 59; type 1d 2h 10m instead.",
        ),
        ("1d 25h", "In '1d 25h' the hours after the days go up to 23; type 2d 1h instead."),
        ("999d", CAP),
        ("30d 1m", CAP),
        ("29d 500h", CAP),
        ("0m", "The time left must be more than 0; if the job is done, collect it."),
        ("1.5h", "Use whole numbers in the time left, e.g. 1h 30m for 1.5h."),
        ("2:30", f"'2:30' {UNREADABLE}"),  # h:mm or m:ss? only h:mm:ss is read
        ("30m 2h", f"'30m 2h' {ORDER}"),
        ("1h 1h", f"'1h 1h' {ORDER}"),
        ("3 weeks", f"'3 weeks' {ORDER}"),
        ("12h 30", f"'12h 30' {UNREADABLE}"),
        ("\u0661\u0662h", f"'\u0661\u0662h' {UNREADABLE}"),  # ASCII digits only
    ],
)
def test_a_time_left_that_cant_be_read_gets_one_sentence_saying_what_to_type(
    typed: str, message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_time_left(typed)
    assert caught.value.message == message
    sentence = caught.value.message.replace("e.g.", "eg")
    assert sentence.endswith(".")
    assert ". " not in sentence  # one sentence


@pytest.mark.parametrize(
    ("ms", "text"),
    [(45 * MIN, "45m"), (DAY + 2 * HOUR, "1d 2h"), (90 * MIN, "1h 30m"), (0, "0m"), (999, "0m")],
)
def test_the_time_left_is_written_the_way_it_is_typed(ms: int, text: str) -> None:
    assert format_time_left(ms) == text


@FEW
@given(seconds=st.integers(1, 30 * 24 * 3600))
def test_a_written_time_left_reads_back_the_same(seconds: int) -> None:
    assert parse_time_left(format_time_left(seconds * 1000)) == seconds * 1000


@FEW
@given(seconds=st.integers(1, 30 * 24 * 3600), data=st.data())
def test_case_and_spaces_dont_change_a_time_left(seconds: int, data: st.DataObject) -> None:
    text = format_time_left(seconds * 1000)
    respelled = "".join(
        data.draw(st.sampled_from([c.lower(), c.upper()]))
        + data.draw(st.sampled_from(["", " ", "  "]))
        for c in text.replace(" ", "")
    )
    assert parse_time_left(respelled) == seconds * 1000


# --- jobs ------------------------------------------------------------------------------------


def new_job(*, now: int = T0, left: int = 2 * HOUR, cost: int = 25_000) -> RefineryJob:
    return open_job(
        guild_id="g1",
        job_id="J1",
        owner_id="u-owner",
        session_id="S1",
        terminal_id=242,
        terminal_name="Refinement Processing - MIC-L1",
        method=DINYX,
        ores=parse_ore_amounts("Quantainium 48, Gold 12.5"),
        bonuses={GOLD_RAW: 1, QUARTZ_RAW: -3},  # MIC-L1's rows; none for Quantainium
        cost=cost,
        now_ms=now,
        time_left_ms=left,
    )


class Store:
    """The store's copy is the truth: every firing reads it, decides, and writes back."""

    def __init__(self, job: RefineryJob) -> None:
        self.job = job
        self.notices: list[int] = []

    def fire(self, now: int) -> None:
        job = copy.deepcopy(self.job)  # what a fresh process (or a second schedule) reads
        if due_notice(job, now):
            self.job = mark_notified(job, now)
            self.notices.append(now)

    def change(self, job: RefineryJob) -> None:
        self.job = job


def test_a_new_job_keeps_the_raw_ores_their_bonus_and_is_due_after_the_time_left() -> None:
    job = new_job()
    assert job.due_ms == T0 + 2 * HOUR
    assert job.state is JobState.OPEN
    assert [(o.ore_id, o.raw_centi, o.bonus_percent) for o in job.ores] == [
        (QUANT_RAW, 4_800, 0),
        (GOLD_RAW, 1_250, 1),
    ]
    assert not job.notified


def test_a_jobs_estimate_uses_its_refinerys_bonus_per_ore() -> None:
    got = new_job().estimate({QUANT_RAW: Decimal(1)})
    # Quantainium: 4,800 x 1 x 1 x 0.5293 = 2,540.64 -> 2,541 -> 26 boxes;
    # Gold: 1,250 x 0.85 x 1.01 x 0.5293 = 568.01... -> 568 -> 6 boxes.
    assert [(y.refined_centi, y.collected_scu) for y in got] == [(2_541, 26), (568, 6)]


def test_a_job_is_not_due_a_millisecond_before_its_time() -> None:
    store = Store(new_job())
    store.fire(T0 + 2 * HOUR - 1)
    assert store.notices == []


def test_a_job_notifies_once_when_its_schedule_fires_on_time() -> None:
    store = Store(new_job())
    store.fire(T0 + 2 * HOUR)
    assert store.notices == [T0 + 2 * HOUR]
    assert store.job.notified_ms == T0 + 2 * HOUR


def test_a_schedule_that_fires_twice_sends_one_notice() -> None:
    store = Store(new_job())
    store.fire(T0 + 2 * HOUR)
    store.fire(T0 + 2 * HOUR + 5)
    assert store.notices == [T0 + 2 * HOUR]


def test_a_late_schedule_still_sends_its_one_notice() -> None:
    store = Store(new_job())
    store.fire(T0 + 2 * HOUR + 3 * DAY)
    store.fire(T0 + 2 * HOUR + 3 * DAY + MIN)
    assert store.notices == [T0 + 2 * HOUR + 3 * DAY]


def test_after_a_restart_the_sweep_sends_no_second_notice() -> None:
    store = Store(new_job())
    store.fire(T0 + 2 * HOUR)
    restarted = Store(copy.deepcopy(store.job))  # a new process reading the stored job
    restarted.fire(T0 + 2 * HOUR + 10 * MIN)
    assert restarted.notices == []


def test_a_restart_before_the_notice_went_out_sends_it_once_on_the_sweep() -> None:
    store = Store(new_job())
    restarted = Store(copy.deepcopy(store.job))
    restarted.fire(T0 + 2 * HOUR + 10 * MIN)
    restarted.fire(T0 + 2 * HOUR + 11 * MIN)
    assert restarted.notices == [T0 + 2 * HOUR + 10 * MIN]


def test_a_cancelled_job_never_notifies() -> None:
    store = Store(new_job())
    store.change(cancel(store.job, T0 + HOUR))
    store.fire(T0 + 2 * HOUR)
    store.fire(T0 + 3 * DAY)
    assert store.notices == []
    assert store.job.state is JobState.CANCELLED
    assert store.job.closed_ms == T0 + HOUR


def test_a_job_collected_early_never_notifies() -> None:
    store = Store(new_job())
    store.change(collect(store.job, T0 + HOUR, {QUANT_RAW: 2_700, GOLD_RAW: 600}))
    store.fire(T0 + 2 * HOUR)
    assert store.notices == []


def test_a_job_edited_before_it_was_due_notifies_once_at_its_new_time_only() -> None:
    store = Store(new_job())
    store.change(edit_time_left(store.job, T0 + HOUR, parse_time_left("3h")))  # due T0 + 4h
    store.fire(T0 + 2 * HOUR)  # the old schedule
    store.fire(T0 + 4 * HOUR)
    store.fire(T0 + 4 * HOUR + 1)
    assert store.notices == [T0 + 4 * HOUR]


def test_a_job_edited_to_finish_sooner_notifies_at_the_sooner_time() -> None:
    store = Store(new_job())
    store.change(edit_time_left(store.job, T0 + MIN, parse_time_left("14m")))
    store.fire(T0 + 15 * MIN)
    store.fire(T0 + 2 * HOUR)  # the old schedule
    assert store.notices == [T0 + 15 * MIN]


def test_a_job_edited_after_its_notice_notifies_once_more_at_its_new_time() -> None:
    # The game still showed time left when the notice came: that notice was early.
    store = Store(new_job())
    store.fire(T0 + 2 * HOUR)
    store.change(edit_time_left(store.job, T0 + 2 * HOUR + MIN, parse_time_left("30m")))
    assert not store.job.notified
    store.fire(T0 + 2 * HOUR + 30 * MIN)  # not yet: due at + 31 min
    store.fire(T0 + 2 * HOUR + 31 * MIN)
    store.fire(T0 + 2 * HOUR + 40 * MIN)
    assert store.notices == [T0 + 2 * HOUR, T0 + 2 * HOUR + 31 * MIN]


def test_marking_a_job_notified_when_no_notice_is_due_is_a_conflict() -> None:
    job = new_job()
    with pytest.raises(StateConflict):
        mark_notified(job, T0)  # not due yet
    notified = mark_notified(job, T0 + 2 * HOUR)
    with pytest.raises(StateConflict):
        mark_notified(notified, T0 + 2 * HOUR + 1)  # notified already


@pytest.mark.parametrize(
    "close",
    [
        lambda job: cancel(job, T0 + MIN),
        lambda job: collect(job, T0 + MIN, {QUANT_RAW: 2_700, GOLD_RAW: 600}),
    ],
)
def test_a_closed_job_cant_be_collected_cancelled_or_edited(
    close: Callable[[RefineryJob], RefineryJob],
) -> None:
    closed = close(new_job())
    changes: list[Callable[[], RefineryJob]] = [
        lambda: cancel(closed, T0 + HOUR),
        lambda: collect(closed, T0 + HOUR, {QUANT_RAW: 100, GOLD_RAW: 100}),
        lambda: edit_time_left(closed, T0 + HOUR, HOUR),
    ]
    for change in changes:
        with pytest.raises(StateConflict, match=f"is {closed.state.value} already"):
            change()


def test_a_collected_job_keeps_what_was_collected_per_ore() -> None:
    job = collect(new_job(), T0 + 3 * HOUR, {QUANT_RAW: 2_700, GOLD_RAW: 0})
    assert job.state is JobState.COLLECTED
    assert job.closed_ms == T0 + 3 * HOUR
    assert [o.refined_centi for o in job.ores] == [2_700, 0]


@pytest.mark.parametrize(
    ("refined", "message"),
    [
        ({QUANT_RAW: 2_700}, "Type how much Gold you collected (0 if none)."),
        (
            {QUANT_RAW: 2_700, GOLD_RAW: 600, QUARTZ_RAW: 100},
            "Quartz wasn't in this job; leave it out.",
        ),
        (
            {QUANT_RAW: 4_900, GOLD_RAW: 600},
            "Quantainium: that is more than the job took in; type the SCU you collected.",
        ),
        ({QUANT_RAW: -1, GOLD_RAW: 600}, "Type the SCU collected as 0 or more, e.g. 27."),
    ],
)
def test_collecting_needs_a_sensible_amount_for_every_ore(
    refined: dict[int, int], message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        collect(new_job(), T0 + 3 * HOUR, refined)
    assert caught.value.message == message


def test_a_job_may_collect_the_last_box_of_its_raw_ore() -> None:
    # 12.5 SCU of raw Gold can't give 13 boxes, but the check allows up to 13 (the last box
    # is filled), so a correct count is never refused.
    job = collect(new_job(), T0 + 3 * HOUR, {QUANT_RAW: 4_800, GOLD_RAW: 1_300})
    assert job.ores[1].refined_centi == 1_300


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"ores": ()}, "Add at least one ore to the job, e.g. Quantainium 48."),
        ({"cost": -1}, "Type the refinery's cost in whole aUEC, e.g. 25000."),
        ({"time_left_ms": 0}, f"Type the time left as the game shows it, {EXAMPLE}."),
        ({"terminal_name": " "}, "Pick the refinery the job runs at."),
        ({"ores": parse_ore_amounts("Ice 3")}, "Ice (Raw) isn't refined; leave it out of the job."),
    ],
)
def test_a_job_that_cant_be_opened_says_what_to_fix(
    change: dict[str, object], message: str
) -> None:
    fields: dict[str, object] = {
        "guild_id": "g1",
        "job_id": "J1",
        "owner_id": "u1",
        "session_id": None,
        "terminal_id": 242,
        "terminal_name": "Refinement Processing - MIC-L1",
        "method": DINYX,
        "ores": parse_ore_amounts("Gold 12.5"),
        "bonuses": {},
        "cost": 100,
        "now_ms": T0,
        "time_left_ms": HOUR,
    }
    with pytest.raises(ValidationError) as caught:
        open_job(**{**fields, **change})  # type: ignore[arg-type]
    assert caught.value.message == message


# --- collected jobs into the haul ------------------------------------------------------------


def collected_job(job_id: str, at: int, refined: dict[int, int], **fields: object) -> RefineryJob:
    job = replace(new_job(), job_id=job_id, **fields)  # type: ignore[arg-type]
    return collect(job, at, refined)


def test_a_collected_job_adds_its_refined_ore_and_its_cost_reimbursed_to_its_owner() -> None:
    job = collected_job("J1", T0 + 3 * HOUR, {QUANT_RAW: 2_700, GOLD_RAW: 600})
    haul = haul_inputs([job])
    assert [(o.job_id, o.ore_id, o.scu_centi, o.source) for o in haul.ores] == [
        ("J1", QUANT, 2_700, "Refinery job at MIC-L1"),
        ("J1", GOLD, 600, "Refinery job at MIC-L1"),
    ]
    assert [(e.job_id, e.label, e.amount, e.claimant_id) for e in haul.expenses] == [
        ("J1", "Refinery fee, MIC-L1", 25_000, "u-owner")
    ]


def test_open_and_cancelled_jobs_add_nothing_to_the_haul() -> None:
    cancelled = cancel(replace(new_job(), job_id="J2"), T0 + MIN)
    haul = haul_inputs([new_job(), cancelled])
    assert haul.ores == ()
    assert haul.expenses == ()


def test_an_ore_that_gave_nothing_and_a_free_job_add_no_line() -> None:
    job = collected_job("J1", T0 + 3 * HOUR, {QUANT_RAW: 2_700, GOLD_RAW: 0}, cost=0)
    haul = haul_inputs([job])
    assert [o.ore_id for o in haul.ores] == [QUANT]
    assert haul.expenses == ()


def test_haul_lines_come_in_order_of_collection_and_total_per_ore() -> None:
    later = collected_job("J1", T0 + 5 * HOUR, {QUANT_RAW: 2_700, GOLD_RAW: 600})
    earlier = collected_job("J2", T0 + 4 * HOUR, {QUANT_RAW: 1_000, GOLD_RAW: 0})
    haul = haul_inputs([later, earlier])
    assert [o.job_id for o in haul.ores] == ["J2", "J1", "J1"]
    assert [e.job_id for e in haul.expenses] == ["J2", "J1"]
    assert haul.totals() == {QUANT: 3_700, GOLD: 600}


def test_a_place_without_a_dash_is_named_as_it_is() -> None:
    job = collected_job(
        "J1", T0 + 3 * HOUR, {QUANT_RAW: 100, GOLD_RAW: 0}, terminal_name="Levski Refinery"
    )
    assert haul_inputs([job]).ores[0].source == "Refinery job at Levski Refinery"


def test_the_haul_feeds_the_payroll_and_the_owner_gets_the_fee_back() -> None:
    job = collected_job("J1", T0 + 3 * HOUR, {QUANT_RAW: 2_700, GOLD_RAW: 600})
    haul = haul_inputs([job])
    prices = {QUANT: 20_000, GOLD: 6_000}
    income = [IncomeLine.ore(o.ore_id, o.source, o.scu_centi, prices[o.ore_id]) for o in haul.ores]
    result = compute(
        PayrollInput(
            income=income,
            expenses=[e.as_expense() for e in haul.expenses],
            flats=[],
            percentages=[],
            participants=[Participant("u-miner", 3_600)],
            donation_policy=DonationPolicy.ORG,
        )
    )
    assert result.gross == 27 * 20_000 + 6 * 6_000
    assert result.total_of(LineKind.REIMBURSEMENT) == 25_000
    assert result.payouts_by_payee() == {"u-owner": 25_000, "u-miner": result.gross - 25_000}
