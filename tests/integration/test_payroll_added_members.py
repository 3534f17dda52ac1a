"""Members added to a draft by hand (they mined but were not in voice), on a real store."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from tests.support.payroll import (
    ANA,
    BEN,
    CY,
    GUILD,
    OFFICER,
    OTHER_OFFICER,
    fresh_prices,
    ready_draft,
    stored,
)
from tests.support.races import RaceFirstWrite

from sunday_mining.domain.clock import FixedClock
from sunday_mining.domain.errors import StateConflict, ValidationError
from sunday_mining.domain.payroll import compute
from sunday_mining.domain.presence import VoiceEvent
from sunday_mining.entrypoints.factories import Services, build_services
from sunday_mining.ports.store import Store
from sunday_mining.reports.data import build_report_data
from sunday_mining.services.payroll import (
    MAX_ADDED_MEMBERS,
    PayrollService,
    PayrollVersion,
)
from sunday_mining.services.voice import VoiceBatch

DEE, EVE, BOT = "104", "105", "900"
HOUR = 3600


def add(payroll: PayrollService, draft: PayrollVersion, *picked: str) -> PayrollVersion:
    return payroll.add_members(GUILD, draft.payroll_id, OFFICER, list(picked)).version


def test_added_members_join_with_no_time_marked_with_who_added_them_and_when(
    store: Store, clock: FixedClock
) -> None:
    services = build_services(store, clock)
    payroll = fresh_prices(services, clock)
    draft = ready_draft(services, clock, payroll)
    clock.advance(minutes=3)
    outcome = payroll.add_members(GUILD, draft.payroll_id, OTHER_OFFICER, [DEE, EVE])
    assert (outcome.added, outcome.already, outcome.bots) == ((DEE, EVE), (), ())
    reread = payroll.get(GUILD, draft.payroll_id)
    assert reread == outcome.version  # stored as returned, on either store
    dee = reread.member(DEE)
    assert (dee.credited_s, dee.included, dee.below_minimum, dee.gap_affected) == (
        0,
        True,
        False,
        False,
    )
    assert (dee.added_by, dee.added_ms) == (OTHER_OFFICER, clock.now_ms())
    assert not reread.member(ANA).added_by_hand
    assert [m.user_id for m in reread.members] == [ANA, BEN, CY, DEE, EVE]
    (entry, *_) = payroll.audit_log(GUILD)
    assert (entry.action, entry.by) == ("add", OTHER_OFFICER)
    assert entry.detail == f"added by hand (not in voice): <@{DEE}>, <@{EVE}>"


def test_an_added_member_given_time_is_paid_exactly_like_one_who_sat_that_long(
    services: Services, clock: FixedClock, payroll: PayrollService
) -> None:
    # Gross 100 SCU x 20,000 = 2,000,000; org cut 10 % = 200,000; 1,800,000 for time shares.
    # Ana 2 h, Ben 1 h, Dee (added, given +1 h) 1 h: 14,400 s, so 900,000 / 450,000 / 450,000.
    draft = add(payroll, ready_draft(services, clock, payroll), DEE)
    before = compute(draft.to_input())
    assert [u.user_id for u in before.unpaid if u.reason == "no credited time"] == [DEE]
    draft = payroll.adjust_member(
        GUILD,
        draft.payroll_id,
        OFFICER,
        DEE,
        multiplier_milli=1000,
        adjust_s=HOUR,
        reason="Voice was broken; flew the Prospector all op",
    )
    final = payroll.finalize(GUILD, draft.payroll_id, OFFICER, expected_rev=draft.rev)
    assert final.payees() == [(ANA, 900_000), (BEN, 450_000), (DEE, 450_000), ("org", 200_000)]
    # To the engine Dee is a participant like Ben: same seconds, same multiplier, same share.
    assert final.member(DEE).participant().credited_seconds == HOUR
    assert final.result is not None
    assert final.result == compute(draft.to_input())


def test_bots_and_members_already_listed_are_skipped_and_said_so(
    services: Services, clock: FixedClock, payroll: PayrollService
) -> None:
    draft = ready_draft(services, clock, payroll)
    outcome = payroll.add_members(
        GUILD, draft.payroll_id, OFFICER, [BOT, ANA, DEE, DEE], bots={BOT}
    )
    assert (outcome.added, outcome.already, outcome.bots) == ((DEE,), (ANA,), (BOT,))
    assert [m.user_id for m in outcome.version.members] == [ANA, BEN, CY, DEE]


Refusal = Callable[[PayrollService, str], object]
REFUSED: dict[str, tuple[Refusal, str]] = {
    "only a bot": (
        lambda p, d: p.add_members(GUILD, d, OFFICER, [BOT], bots={BOT}),
        "Bots are never paid",
    ),
    "only someone already listed": (
        lambda p, d: p.add_members(GUILD, d, OFFICER, [BEN]),
        "already on this payroll",
    ),
    "a bot and someone already listed": (
        lambda p, d: p.add_members(GUILD, d, OFFICER, [BOT, BEN], bots={BOT}),
        "Nothing was added",
    ),
    "nobody": (lambda p, d: p.add_members(GUILD, d, OFFICER, []), "at least one member"),
    "more than a select holds": (
        lambda p, d: p.add_members(GUILD, d, OFFICER, [str(500 + n) for n in range(26)]),
        "at most 25 members at a time",
    ),
    "a value that is no user id": (
        lambda p, d: p.add_members(GUILD, d, OFFICER, ["01ABC"]),
        "from the member list",
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_refused_pick_leaves_the_stored_draft_byte_identical(
    services: Services, clock: FixedClock, payroll: PayrollService, case: str
) -> None:
    draft = ready_draft(services, clock, payroll)
    before, audit = stored(services, draft), payroll.audit_log(GUILD)
    attempt, reason = REFUSED[case]
    with pytest.raises(ValidationError, match=reason):
        attempt(payroll, draft.payroll_id)
    assert stored(services, draft) == before
    assert payroll.audit_log(GUILD) == audit


def test_a_draft_holds_a_bounded_number_of_members_added_by_hand(
    services: Services, clock: FixedClock, payroll: PayrollService
) -> None:
    draft = ready_draft(services, clock, payroll)
    crew = [str(10**17 + n) for n in range(MAX_ADDED_MEMBERS)]
    for start in range(0, MAX_ADDED_MEMBERS, 25):
        draft = add(payroll, draft, *crew[start : start + 25])
    assert draft.added_by_hand == MAX_ADDED_MEMBERS
    before = stored(services, draft)
    with pytest.raises(ValidationError, match="it is full"):
        add(payroll, draft, DEE)
    assert stored(services, draft) == before


def test_a_final_payroll_takes_no_added_members(
    services: Services, clock: FixedClock, payroll: PayrollService
) -> None:
    draft = ready_draft(services, clock, payroll)
    final = payroll.finalize(GUILD, draft.payroll_id, OFFICER, expected_rev=draft.rev)
    before = stored(services, final)
    with pytest.raises(StateConflict, match="was finalized by"):
        add(payroll, final, DEE)
    assert stored(services, final) == before


def test_an_edit_landing_between_read_and_write_refuses_the_add_and_keeps_the_edit(
    services: Services, clock: FixedClock
) -> None:
    racing = RaceFirstWrite(services.store)
    payroll = fresh_prices(build_services(racing, clock), clock)
    other = fresh_prices(services, clock)
    draft = ready_draft(services, clock, other)
    racing.race = lambda: other.add_members(GUILD, draft.payroll_id, OTHER_OFFICER, [EVE])
    with pytest.raises(StateConflict, match="at the same moment"):
        payroll.add_members(GUILD, draft.payroll_id, OFFICER, [DEE])
    kept = other.get(GUILD, draft.payroll_id)
    assert [m.user_id for m in kept.members if m.added_by_hand] == [EVE]


def test_reloading_times_after_a_reopen_keeps_members_added_by_hand(
    services: Services, clock: FixedClock, payroll: PayrollService
) -> None:
    services.guilds.add_channel(GUILD, "11")
    session = services.sessions.start_adhoc(GUILD, OFFICER, "11")
    clock.advance(minutes=30)
    session = services.sessions.stop(GUILD, session.session_id)
    draft = payroll.open(GUILD, session.session_id, OFFICER)
    draft = add(payroll, draft, DEE)
    services.sessions.reopen(GUILD, session.session_id)
    clock.advance(minutes=10)
    services.sessions.stop(GUILD, session.session_id)
    reloaded = payroll.open(GUILD, session.session_id, OFFICER)
    assert reloaded.session_version != draft.session_version  # the times were reloaded
    assert [(m.user_id, m.added_by) for m in reloaded.members] == [(DEE, OFFICER)]


def test_a_member_added_by_hand_then_found_in_voice_is_not_paid_twice(
    services: Services, clock: FixedClock, payroll: PayrollService
) -> None:
    """Dee was added with +2 h as her whole time; the session is reopened and she sits in
    voice for 30 min: her 30 min count toward the 2 h, and she is no longer 'added by hand'."""
    services.guilds.add_channel(GUILD, "11")
    session = services.sessions.start_adhoc(GUILD, OFFICER, "11")
    clock.advance(minutes=30)
    session = services.sessions.stop(GUILD, session.session_id)
    draft = add(payroll, payroll.open(GUILD, session.session_id, OFFICER), DEE)
    draft = payroll.adjust_member(
        GUILD,
        draft.payroll_id,
        OFFICER,
        DEE,
        multiplier_milli=1000,
        adjust_s=2 * HOUR,
        reason="Flew the hauler all op",
    )
    services.sessions.reopen(GUILD, session.session_id)
    seq = iter(range(1, 100))
    joined = VoiceEvent(clock.now_ms(), "C9", next(seq), DEE, "11")
    services.voice.record(VoiceBatch(GUILD, "C9", 1, events=(joined,)))
    clock.advance(minutes=30)
    left = VoiceEvent(clock.now_ms(), "C9", next(seq), DEE, None)
    services.voice.record(VoiceBatch(GUILD, "C9", 2, events=(left,)))
    services.sessions.stop(GUILD, session.session_id)

    reloaded = payroll.open(GUILD, session.session_id, OFFICER)
    dee = reloaded.member(DEE)
    assert (dee.credited_s, dee.adjust_s, dee.seconds) == (30 * 60, 90 * 60, 2 * HOUR)
    assert not dee.added_by_hand
    assert dee.reason == "Flew the hauler all op"


def test_the_report_names_members_added_by_hand_and_why_one_is_not_paid(
    services: Services, clock: FixedClock, payroll: PayrollService
) -> None:
    draft = add(payroll, ready_draft(services, clock, payroll), DEE, EVE)
    draft = payroll.adjust_member(
        GUILD, draft.payroll_id, OFFICER, DEE, multiplier_milli=1000, adjust_s=HOUR, reason="AFK"
    )
    final = payroll.finalize(GUILD, draft.payroll_id, OFFICER, expected_rev=draft.rev)
    session = services.sessions.get(GUILD, final.session_id)
    names = {ANA: "Ana", DEE: "Dee", EVE: "Eve"}
    data = build_report_data(
        final,
        session,
        time_zone="UTC",
        records=[],
        gaps=[],
        lookup_names=lambda _guild, wanted: {u: names[u] for u in wanted if u in names},
    )
    by_id = {p.user_id: p for p in data.payees}
    assert by_id[DEE].name == "Dee (added by hand)"
    assert (by_id[DEE].payout, by_id[DEE].credited_s) == (450_000, HOUR)
    assert by_id[ANA].name == "Ana"
    assert [(u.name, u.reason) for u in data.unpaid] == [
        (f"user {CY}", "below the 15-minute minimum"),
        ("Eve (added by hand)", "no time given yet"),
    ]
