"""A payroll ready to work on: a stopped Sunday op on a guild, prices fresh from a small fake
UEX market, and a draft with ore on it."""

from __future__ import annotations

from tests.support.uex import FakeUex, market

from sunday_mining.domain.clock import FixedClock
from sunday_mining.domain.presence import VoiceEvent
from sunday_mining.domain.session import Session
from sunday_mining.entrypoints.factories import Services
from sunday_mining.services.payroll import OreEntry, PayrollService, PayrollVersion, version_key
from sunday_mining.services.prices import PriceService
from sunday_mining.services.voice import VoiceBatch

GUILD = "1000"
CHANNEL = "11"
OFFICER, OTHER_OFFICER = "9", "8"
ANA, BEN, CY, DEE = "101", "102", "103", "104"
QUANTAINIUM, LARANITE = 58, 47

# Quantainium and Laranite at one terminal (and Quantainium cheaper at a second).
MARKET = market(
    [
        (QUANTAINIUM, 1, "ARC-L1", 20_000),
        (QUANTAINIUM, 2, "CRU-L1", 18_000),
        (LARANITE, 1, "ARC-L1", 3_000),
    ],
    live="4.3",
)


def fresh_prices(services: Services, clock: FixedClock) -> PayrollService:
    """The service with fresh prices (the bundled sample is months old)."""
    prices = PriceService(services.store, clock, FakeUex(MARKET).client)
    assert prices.refresh().ok
    return PayrollService(
        services.store, clock, services.guilds, services.sessions, services.summaries, prices
    )


def stopped_session(
    services: Services, clock: FixedClock, minutes: dict[str, int], *, org_cut: str = "10"
) -> Session:
    """A Sunday op everyone sat in from the start; each member leaves after their minutes."""
    services.guilds.add_channel(GUILD, CHANNEL)
    services.guilds.set_setting(GUILD, "org-cut", org_cut)
    seq = iter(range(1, 10_000))
    now = clock.now_ms()
    seated = tuple(VoiceEvent(now, "C1", next(seq), user, CHANNEL) for user in minutes)
    services.voice.record(VoiceBatch(GUILD, "C1", 1, events=seated))
    session = services.sessions.start_sunday(GUILD, OFFICER, "Halo run")
    batch = 2
    for user, length in sorted(minutes.items(), key=lambda item: item[1]):
        clock.set(now + length * 60_000)
        leave = VoiceEvent(clock.now_ms(), "C1", next(seq), user, None)
        services.voice.record(VoiceBatch(GUILD, "C1", batch, events=(leave,)))
        batch += 1
    clock.set(now + max(minutes.values()) * 60_000)
    return services.sessions.stop(GUILD, session.session_id)


def stored(services: Services, version: PayrollVersion) -> object:
    return services.store.get(version_key(GUILD, version.payroll_id))


def ready_draft(services: Services, clock: FixedClock, payroll: PayrollService) -> PayrollVersion:
    session = stopped_session(services, clock, {ANA: 120, BEN: 60, CY: 5})
    draft = payroll.open(GUILD, session.session_id, OFFICER)
    return payroll.set_ores(GUILD, draft.payroll_id, OFFICER, [OreEntry(QUANTAINIUM, 10_000)])
