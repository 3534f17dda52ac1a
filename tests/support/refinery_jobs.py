"""A refinery job due now, for the tests of what happens when one is ready: one guild, one
owner, a Dinyx job at MIC-L1 logged with an hour left, then the clock an hour on."""

from __future__ import annotations

from sunday_mining.domain.clock import FixedClock
from sunday_mining.domain.refining import HOUR_MS, method_by_code, parse_ore_amounts
from sunday_mining.entrypoints.factories import Services
from sunday_mining.services.refinery import Actor, Terminal

GUILD = "1100000000000000001"
REPORT_CHANNEL = "900000000000000001"
OWNER = Actor("1200000000000000007")
READY = (
    "Your refinery job at MIC-L1 (Quantainium, Gold) is ready to collect. "
    "Mark it collected in /mining refinery list."
)


def due_job(app: Services, clock: FixedClock) -> None:
    app.refinery.add(
        GUILD,
        OWNER,
        terminal=Terminal(0, "Refinement Processing - MIC-L1"),
        method=method_by_code("DIN"),
        ores=parse_ore_amounts("Quantainium 48, Gold 12.5"),
        cost=25_000,
        time_left_ms=HOUR_MS,
    )
    clock.advance(minutes=60)
