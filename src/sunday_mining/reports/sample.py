"""A made-up but realistic finalized payroll, for tests, the benchmark and the docs.

It exercises everything a report must draw: ore lines priced like the real ores, a sale total,
a claimed and an unclaimed expense, a flat amount, the org's percentage, donated shares,
transfer fees, members who were not paid, several channels, a reopened session (two windows) and
a gap. Display names span Latin with accents, Cyrillic, Greek, CJK, Hangul, RTL scripts and
emoji, plus one that starts like a spreadsheet formula. The amounts are computed here with
integers and largest-remainder rounding so that payouts + fees + unclaimed expenses equal the
gross exactly — the invariant the report's totals row shows. Standard library only; the same
arguments always give the same report.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime

from sunday_mining.domain.durations import duration_text
from sunday_mining.domain.session import SessionType
from sunday_mining.reports.model import (
    DeductionKind,
    ReportChannel,
    ReportData,
    ReportDecision,
    ReportDeduction,
    ReportIncome,
    ReportPayee,
    ReportStatus,
    ReportUnpaid,
    Span,
    StalePrices,
    TimelineBar,
)

_MIN = 60_000
_START = int(datetime(2026, 6, 7, 18, 0, tzinfo=UTC).timestamp() * 1000)  # a Sunday, 20:00 CEST
_WINDOWS = (Span(_START, _START + 150 * _MIN), Span(_START + 170 * _MIN, _START + 230 * _MIN))
_GAP = Span(_START + 62 * _MIN, _START + 69 * _MIN)
_SNAPSHOT_MS = _START - 95 * _MIN
_BUNDLED_MS = _START - 40 * 24 * 60 * _MIN  # the offline sample shipped with the app
_FINALIZED_MS = _WINDOWS[-1].end_ms + 40 * _MIN
# (member index, seconds added, why): the officer's time adjustments
_ADJUSTMENTS = (
    (2, 120, "Left 19:52, in the worker gap"),
    (4, -300, "AFK in the channel during the refinery wait; agreed with the crew afterwards"),
)
_FEE_BP = 50  # 0.5 % transfer fee
_ORG_BP = 1_000  # 10 % to the org
_CHANNELS = (
    ReportChannel("900001", "Dispatch"),
    ReportChannel("900002", "Mining: Prospectors"),
    ReportChannel("900003", "Mining: MOLE crew"),
    ReportChannel("900004", "Haulers ⛏"),
    ReportChannel("900005", "採掘班"),
)
_NAMES = (
    "Ærøskøbing Ålesund",
    "Łukasz Żółć",
    "Борис Годунов",
    "Ωμέγα Κάππα",
    "山田太郎",
    "김민준",
    "Rocky 🚀⛏",
    "Zoë Ñandú-Müller",
    "שלום עליכם",
    "=SUM(A1:A9)",
    "Chloé 👩‍🚀",
    "Þórdís Ægisdóttir",
    "Иван Петров",
    "李小龍",
    "Ahmad مرحبا",
    "Keanu",
)
_ORES = (  # name, centi-SCU, aUEC per SCU, source
    ("Quantainium", 3_150, 143_973, "UEX average"),
    ("Bexalite", 4_875, 28_864, "best sell"),
    ("Laranite", 6_210, 8_592, "UEX average"),
    ("Agricium", 2_933, 9_557, "typed by the officer"),
)


def sample_report(payees: int = 12, *, seed: int = 7) -> ReportData:
    """A finalized op with exactly ``payees`` payees: the org, an escort paid a flat amount,
    and ``payees - 2`` miners in voice."""
    if payees < 3:
        raise ValueError("a sample op needs at least 3 payees: the org, the escort and a miner")
    rng = random.Random(seed)
    members = [(str(100_000_000_000_000_000 + i), _name(i)) for i in range(payees - 2)]
    bars = tuple(bar for uid, _ in members for bar in _bars(uid, rng))
    credited = {uid: _credited(uid, bars) for uid, _ in members}
    multipliers = {uid: rng.choice((1_000, 1_000, 1_000, 1_250, 1_500)) for uid, _ in members}
    adjusted = {members[i][0]: (s, why) for i, s, why in _ADJUSTMENTS if i < len(members)}
    income = (
        *(_income_line(*ore) for ore in _ORES),
        ReportIncome("Hadanite gems (sold by the escort)", 412_500, source="sale"),
    )
    gross = sum(line.value for line in income)
    escort = ("200000000000000001", "Escort Σ-Wing")
    claimant = members[1 % len(members)]
    expense, unclaimed, flat = 45_000, 80_000, 150_000
    pool = gross - expense - unclaimed - flat
    org_cut = _half_up(pool * _ORG_BP, 10_000)
    shares = _largest_remainder(
        pool - org_cut, [(credited[uid] * multipliers[uid], uid) for uid, _ in members]
    )
    donor = members[-1][0] if len(members) > 2 else ""
    donated = shares.get(donor, 0)
    other = {"org": org_cut, escort[0]: flat, claimant[0]: expense}
    lines = [
        _payee("org", "the org", donated, other["org"], None, None, paid=True),
        _payee(escort[0], escort[1], 0, flat, None, None, paid=True, handle="Sigma-Wing"),
    ] + [
        _payee(
            uid,
            name,
            0 if uid == donor else shares[uid],
            other.get(uid, 0),
            credited[uid],
            multipliers[uid],
            donated=uid == donor,
            paid=rng.random() < 0.6,
            measured_s=credited[uid] - adjusted.get(uid, (0, ""))[0],
            handle=_handle(i, uid),
        )
        for i, (uid, name) in enumerate(members)
    ]
    lines.sort(key=lambda p: (-p.payout, p.user_id))
    deductions = (
        ReportDeduction(DeductionKind.EXPENSE, "Fuel and hull repairs", expense, claimant[1]),
        ReportDeduction(DeductionKind.EXPENSE, "Refinery job fee", unclaimed),
        ReportDeduction(DeductionKind.FLAT, "Escort", flat, escort[1]),
        ReportDeduction(DeductionKind.PERCENTAGE, "Org treasury", org_cut, "the org", "10 %"),
        ReportDeduction(DeductionKind.DONATION, "Donated share", donated, "the org", "to the org"),
        ReportDeduction(DeductionKind.FEE, "Transfer fees", sum(p.fee for p in lines), "", "0.5 %"),
    )
    return ReportData(
        report_id=f"rpt-{seed:04d}-{payees:04d}",
        guild_id="800000000000000001",
        guild_name="Sunday Mining Cöoperative ⛏",
        session_id=f"ses-{seed:04d}",
        session_name="Aaron Halo run",
        session_type=SessionType.SUNDAY,
        payroll_id=f"pay-{seed:04d}",
        version=2,
        status=ReportStatus.FINAL,
        time_zone="Europe/Berlin",
        started_ms=_WINDOWS[0].start_ms,
        stopped_ms=_WINDOWS[-1].end_ms,
        length_s=sum(w.end_ms - w.start_ms for w in _WINDOWS) // 1000,
        finalized_by="Quartermaster Ĝabriela",
        finalized_ms=_FINALIZED_MS,
        generated_ms=_WINDOWS[-1].end_ms + 41 * _MIN,
        channels=_CHANNELS,
        income=income,
        gross=gross,
        deductions=deductions,
        payees=tuple(lines),
        unpaid=(
            ReportUnpaid("Lurker Lou", "below the 10-minute minimum"),
            ReportUnpaid("Σ-Bot", "a bot account"),
            ReportUnpaid("Дмитрий", "excluded by the officer"),
        ),
        deducted=unclaimed,
        timeline=bars,
        windows=_WINDOWS,
        gaps=(_GAP,),
        names=dict([*members, escort]),
        decisions=_decisions(dict(members), adjusted, multipliers, donor),
        stale_prices=StalePrices(_BUNDLED_MS, "Quartermaster Ĝabriela", _FINALIZED_MS - 25 * _MIN),
    )


def _decisions(
    names: dict[str, str],
    adjusted: dict[str, tuple[int, str]],
    multipliers: dict[str, int],
    donor: str,
) -> tuple[ReportDecision, ...]:
    officer, at = "Quartermaster Ĝabriela", _FINALIZED_MS - 20 * _MIN
    found = [
        ReportDecision(names[uid], f"time {_signed(seconds)}", officer, at, why)
        for uid, (seconds, why) in adjusted.items()
    ]
    found += [
        ReportDecision(names[uid], f"multiplier \u00d7{milli / 1000:g}", officer, at)
        for uid, milli in multipliers.items()
        if milli != 1_000
    ][:2]
    if donor:
        found.append(ReportDecision(names[donor], "donates their share", officer, at))
    found.append(ReportDecision("Дмитрий", "excluded", officer, at))
    return tuple(found)


def _signed(seconds: int) -> str:
    return ("+" if seconds > 0 else "") + duration_text(seconds)


def _name(i: int) -> str:
    base = _NAMES[i % len(_NAMES)]
    return base if i < len(_NAMES) else f"{base} {i // len(_NAMES) + 1}"


def _income_line(name: str, scu_centi: int, price: int, source: str) -> ReportIncome:
    """A UEX line priced from a recent snapshot; a "best sell" line from the bundled sample."""
    value = _half_up(scu_centi * price, 100)
    if source.startswith("typed"):
        return ReportIncome(name, value, scu_centi, price, source)
    if source.startswith("UEX"):
        return ReportIncome(name, value, scu_centi, price, source, _SNAPSHOT_MS)
    return ReportIncome(name, value, scu_centi, price, source, _BUNDLED_MS, bundled=True)


def _bars(user_id: str, rng: random.Random) -> list[TimelineBar]:
    """One to three stretches per window, each in one channel, minute-aligned."""
    bars: list[TimelineBar] = []
    for window in _WINDOWS:
        if rng.random() < 0.15:
            continue  # missed this part of the op
        minute = (window.start_ms + rng.randrange(0, 30) * _MIN) // _MIN * _MIN
        for _ in range(rng.randint(1, 3)):
            end = min(minute + rng.randrange(10, 90) * _MIN, window.end_ms)
            if end <= minute:
                break
            channel = rng.choice(_CHANNELS).channel_id
            touches_gap = minute < _GAP.end_ms and end > _GAP.start_ms
            bars.append(TimelineBar(user_id, channel, minute, end, touches_gap))
            minute = end + rng.randrange(0, 15) * _MIN
    if not bars:
        start = _WINDOWS[0].start_ms
        bars.append(TimelineBar(user_id, _CHANNELS[0].channel_id, start, start + 20 * _MIN))
    return bars


def _credited(user_id: str, bars: tuple[TimelineBar, ...]) -> int:
    return sum(b.end_ms - b.start_ms for b in bars if b.user_id == user_id) // 1000


def _payee(
    user_id: str,
    name: str,
    share: int,
    other: int,
    credited_s: int | None,
    multiplier_milli: int | None,
    *,
    donated: bool = False,
    paid: bool = False,
    measured_s: int | None = None,
    handle: str | None = None,
) -> ReportPayee:
    fee = 0 if user_id == "org" else _half_up((share + other) * _FEE_BP, 10_000)
    return ReportPayee(
        user_id,
        name,
        share + other - fee,
        share,
        other,
        fee,
        credited_s,
        multiplier_milli,
        donated,
        paid,
        measured_s,
        handle,
    )


def _handle(i: int, user_id: str) -> str | None:
    """Most members have set their in-game handle; every fourth has not yet."""
    return None if i % 4 == 3 else f"Miner_{user_id[-4:]}"


def _half_up(numerator: int, denominator: int) -> int:
    return (2 * numerator + denominator) // (2 * denominator)


def _largest_remainder(total: int, claims: list[tuple[int, str]]) -> dict[str, int]:
    """Split ``total`` by weight so the parts add up to it exactly (ties to the smaller id)."""
    weight_sum = sum(weight for weight, _ in claims) or 1
    parts = {key: total * weight // weight_sum for weight, key in claims}
    ranked = sorted(claims, key=lambda c: (-(total * c[0] % weight_sum), c[1]))
    for _, key in ranked[: total - sum(parts.values())]:
        parts[key] += 1
    return parts
