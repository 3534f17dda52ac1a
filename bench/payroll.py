"""Benchmark: the payroll engine (``domain.payroll.compute``) for 1,000 payees.

    python -m bench.payroll [--payees 1000]

The input is a big op's payroll with every step in play: five ore lines and a sale, three
expenses (two reimbursed), two flat amounts, the org cut and a second percentage, 1,000
participants with varied credited time, a tenth on a multiplier, a twentieth donating (re-split
among the others), forty excluded, and a 0.5 % transfer fee.
"""

from __future__ import annotations

import argparse
import gc
import random
import time
from typing import Any

from sunday_mining.domain.guild import DonationPolicy
from sunday_mining.domain.payroll import (
    Expense,
    FlatAmount,
    IncomeLine,
    Participant,
    PayrollInput,
    Percentage,
    compute,
)

PAYEES = 1_000
REPEATS = 20
BAR_SECONDS = 0.050


def _user(i: int) -> str:
    return str(320_000_000_000_000_000 + 6_007 * i)


def payroll_input(payees: int, seed: int = 11) -> PayrollInput:
    rng = random.Random(seed)
    participants = [
        Participant(
            user_id=_user(i),
            credited_seconds=rng.randrange(600, 4 * 3600),
            multiplier_milli=1_500 if rng.random() < 0.1 else 1_000,
            included=i % 25 != 24,
            donates=rng.random() < 0.05,
        )
        for i in range(payees)
    ]
    ores: list[tuple[int, str, int, int]] = [  # UEX id, name, centi-SCU, aUEC per SCU
        (58, "Quantainium", 88_00, 21_500),
        (47, "Laranite", 412_50, 3_050),
        (15, "Agricium", 96_20, 2_710),
        (81, "Taranite", 310_00, 8_900),
        (27, "Bexalite", 150_75, 6_120),
    ]
    return PayrollInput(
        income=[IncomeLine.ore(*ore) for ore in ores] + [IncomeLine.sale(4_250_000, "Gems")],
        expenses=[
            Expense("Refinery fee", 1_250_000, _user(3)),
            Expense("Fuel", 180_000, _user(8)),
            Expense("Repairs", 95_500),
        ],
        flats=[FlatAmount("Escort", _user(1), 500_000), FlatAmount("Hauler", _user(2), 350_000)],
        percentages=[Percentage("Org cut", "org", 1_000), Percentage("Scouts", _user(5), 250)],
        participants=participants,
        donation_policy=DonationPolicy.RESPLIT,
        transfer_fee_bp=50,
    )


def measure(payees: int = PAYEES, repeats: int = REPEATS) -> dict[str, Any]:
    """Best and median of ``repeats`` runs of compute() on the same input."""
    inp = payroll_input(payees)
    result = compute(inp)  # also a check: the engine accepts it
    took: list[float] = []
    for _ in range(repeats):
        gc.collect()
        started = time.perf_counter()
        compute(inp)
        took.append(time.perf_counter() - started)
    took.sort()
    return {
        "payees": payees,
        "lines": len(result.lines),
        "best_s": took[0],
        "median_s": took[len(took) // 2],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--payees", type=int, default=PAYEES)
    args = parser.parse_args()
    m = measure(args.payees)
    print(
        f"payroll for {m['payees']:,} payees ({m['lines']:,} lines): "
        f"best {m['best_s'] * 1000:.1f} ms, median {m['median_s'] * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main()
