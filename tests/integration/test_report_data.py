"""What a finalized payroll's report says, built from a real op on SQLite: the kind of session,
the officers' decisions with their reasons and names, stale prices from the bundled sample, and
why someone is not paid in the same words Discord uses."""

from __future__ import annotations

import pytest

from sunday_mining.domain.clock import FixedClock
from sunday_mining.domain.presence import VoiceEvent
from sunday_mining.domain.session import Session, SessionType
from sunday_mining.entrypoints.factories import Services
from sunday_mining.reports.data import build_report_data
from sunday_mining.reports.model import ReportData
from sunday_mining.services.payroll import OreEntry, PayrollVersion, unpaid_reason
from sunday_mining.services.prices import bundled_snapshot
from sunday_mining.services.voice import VoiceBatch

GUILD, CHANNEL, OFFICER = "1000", "11", "9"
ANA, BEN, CY, DEE = "101", "102", "103", "104"
NAMES = {OFFICER: "Purser", ANA: "Ana", BEN: "Ben", CY: "Cy", DEE: "Dee"}
QUANTAINIUM = 58


def stopped_op(services: Services, clock: FixedClock, minutes: dict[str, int]) -> Session:
    """A Sunday op with a 10 % org cut that everyone sat in from the start; each member leaves
    after their minutes."""
    services.guilds.add_channel(GUILD, CHANNEL)
    services.guilds.set_setting(GUILD, "org-cut", "10")
    now = clock.now_ms()
    seated = tuple(VoiceEvent(now, "C1", n, user, CHANNEL) for n, user in enumerate(minutes, 1))
    services.voice.record(VoiceBatch(GUILD, "C1", 1, events=seated))
    session = services.sessions.start_sunday(GUILD, OFFICER, "Halo run")
    for batch, (user, length) in enumerate(sorted(minutes.items(), key=lambda i: i[1]), 2):
        clock.set(now + length * 60_000)
        leave = VoiceEvent(clock.now_ms(), "C1", 100 + batch, user, None)
        services.voice.record(VoiceBatch(GUILD, "C1", batch, events=(leave,)))
    clock.set(now + max(minutes.values()) * 60_000)
    return services.sessions.stop(GUILD, session.session_id)


def finalized(services: Services, clock: FixedClock) -> tuple[PayrollVersion, Session]:
    """Ana and Ben paid (Ben's time adjusted, Ana at x1.5), Dee excluded by the officer, Cy
    below the minimum; the haul priced from the months-old bundled sample, accepted."""
    session = stopped_op(services, clock, {ANA: 120, BEN: 60, CY: 5, DEE: 90})
    payroll = services.payroll
    draft = payroll.open(GUILD, session.session_id, OFFICER)
    draft = payroll.adjust_member(
        GUILD,
        draft.payroll_id,
        OFFICER,
        BEN,
        multiplier_milli=1000,
        adjust_s=120,
        reason="Left 19:52, in the worker gap",
    )
    draft = payroll.adjust_member(
        GUILD, draft.payroll_id, OFFICER, ANA, multiplier_milli=1500, adjust_s=0, reason=""
    )
    shown = [m.user_id for m in draft.members]
    payroll.set_included(GUILD, draft.payroll_id, OFFICER, shown, [ANA, BEN])
    payroll.accept_stale_prices(GUILD, draft.payroll_id, OFFICER, bundled_snapshot().fetched_ms)
    draft = payroll.set_ores(GUILD, draft.payroll_id, OFFICER, [OreEntry(QUANTAINIUM, 1_000)])
    final = payroll.finalize(GUILD, draft.payroll_id, OFFICER, expected_rev=draft.rev)
    return final, services.sessions.get(GUILD, final.session_id)


def report(version: PayrollVersion, session: Session) -> ReportData:
    return build_report_data(
        version,
        session,
        time_zone="UTC",
        records=[],
        gaps=[],
        lookup_names=lambda _guild, wanted: {u: NAMES[u] for u in wanted if u in NAMES},
    )


@pytest.fixture
def built(services: Services, clock: FixedClock) -> tuple[PayrollVersion, ReportData]:
    version, session = finalized(services, clock)
    return version, report(version, session)


def test_a_sunday_op_reports_its_session_type(built: tuple[PayrollVersion, ReportData]) -> None:
    _, data = built
    assert data.session_type is SessionType.SUNDAY


def test_each_decision_names_the_member_what_changed_the_reason_and_the_officer(
    built: tuple[PayrollVersion, ReportData],
) -> None:
    _, data = built
    said = {(d.subject, d.what, d.reason, d.by) for d in data.decisions}
    assert ("Ben", "time +2 min", "Left 19:52, in the worker gap", "Purser") in said
    assert ("Ana", "multiplier \u00d71.5", "", "Purser") in said
    assert ("Dee", "excluded", "", "Purser") in said
    assert all(d.at_ms for d in data.decisions)


def test_measured_and_credited_time_are_both_kept(
    built: tuple[PayrollVersion, ReportData],
) -> None:
    _, data = built
    ben = next(p for p in data.payees if p.user_id == BEN)
    assert (ben.measured_s, ben.credited_s) == (3600, 3720)


def test_accepted_stale_prices_say_who_accepted_them_and_the_lines_name_the_bundled_sample(
    built: tuple[PayrollVersion, ReportData],
) -> None:
    _, data = built
    stale = data.stale_prices
    assert stale is not None
    assert stale.accepted_by == "Purser"
    assert stale.snapshot_ms == bundled_snapshot().fetched_ms
    assert stale.age_ms is not None
    assert stale.age_ms > 2 * 86_400_000
    (line,) = data.income
    assert line.bundled
    assert "UEX" not in line.source


def test_why_someone_is_not_paid_reads_the_same_as_in_discord(
    built: tuple[PayrollVersion, ReportData],
) -> None:
    version, data = built
    assert version.result is not None
    discord = {
        u.user_id: unpaid_reason(version, u.user_id, u.reason) for u in version.result.unpaid
    }
    assert [(u.name, u.reason) for u in data.unpaid] == [
        ("Cy", discord[CY]),
        ("Dee", discord[DEE]),
    ]
    assert discord == {CY: "below the 15-minute minimum", DEE: "excluded by the officer"}


def test_the_percentage_detail_names_the_pool_briefly(
    built: tuple[PayrollVersion, ReportData],
) -> None:
    version, data = built
    assert version.result is not None
    (cut,) = [d for d in data.deductions if d.kind == "percentage"]
    assert cut.detail == f"of the pool of {version.result.pool:,} aUEC"


def test_the_orgs_cut_is_kept_not_owed_and_nobody_else_is_paid_yet(
    built: tuple[PayrollVersion, ReportData],
) -> None:
    _version, data = built
    assert {p.user_id: p.paid for p in data.payees} == {"org": True, ANA: False, BEN: False}
