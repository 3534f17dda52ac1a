"""From a stored payroll version to ReportData: what the PDF and the CSV will say.

Reads only; every amount comes from the version's stored result (computed once at finalize),
so a report rebuilt next month shows the same money as the one built at finalize.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import replace

from sunday_mining.domain.durations import duration_text
from sunday_mining.domain.ids import is_snowflake
from sunday_mining.domain.payroll import (
    MILLI,
    ORG_PAYEE_ID,
    PRICE_TYPED,
    IncomeLine,
    LineKind,
    PayrollResult,
)
from sunday_mining.domain.presence import Gap, VoiceRecord
from sunday_mining.domain.refining import RefineryJob
from sunday_mining.domain.session import Session
from sunday_mining.domain.settlement import SettlementPlan
from sunday_mining.reports.model import (
    DeductionKind,
    ReportChannel,
    ReportData,
    ReportDecision,
    ReportDeduction,
    ReportIncome,
    ReportPayee,
    ReportSettlement,
    ReportStatus,
    ReportUnpaid,
    Span,
    StalePrices,
    TimelineBar,
    fallback_name,
)
from sunday_mining.reports.settlement_data import (
    refinery_places,
    report_refining,
    report_settlement,
)
from sunday_mining.services.payroll import (
    Member,
    PayrollStatus,
    PayrollVersion,
    sent_before,
    settlement_of,
    unpaid_reason,
)
from sunday_mining.services.prices import bundled_snapshot

NameLookup = Callable[[str, Collection[str]], dict[str, str]]

# The report model has no column for it, so a member an officer added by hand (not seen in
# voice) carries it in the name: the PDF and the CSV both show it next to the member.
BY_HAND = " (added by hand)"

_OTHER = (LineKind.FLAT, LineKind.PERCENTAGE, LineKind.REIMBURSEMENT)
_SHARE = (LineKind.SHARE, LineKind.DONATION_RECEIVED)


def report_id(guild_id: str, payroll_id: str) -> str:
    """One report per payroll version; the guild is part of the id so a link finds it."""
    return f"{guild_id}-{payroll_id}"


def split_report_id(identifier: str) -> tuple[str, str] | None:
    guild_id, _, payroll_id = identifier.partition("-")
    if not is_snowflake(guild_id) or not payroll_id:
        return None
    return guild_id, payroll_id


def price_source_words(line: IncomeLine) -> str:
    """Where a line's price came from; the bundled offline sample is not UEX's word for now,
    so its lines say only which price of the sample was used (the report adds its date)."""
    if line.is_sale:
        return "sale total"
    source = line.price_source
    if source == PRICE_TYPED:
        return "typed by the officer"
    uex = "" if _is_bundled(line) else "UEX "
    if source.startswith("snapshot:terminal:"):
        return f"{uex}one terminal".strip()
    if source == "snapshot:average":
        return f"{uex}average sell"
    return f"{uex}best sell"


def _is_bundled(line: IncomeLine) -> bool:
    # The bundled sample is never stored as a snapshot: its fixed date identifies it.
    return line.snapshot_ms is not None and line.snapshot_ms == bundled_snapshot().fetched_ms


def build_report_data(
    version: PayrollVersion,
    session: Session,
    *,
    time_zone: str,
    records: Iterable[VoiceRecord],
    gaps: Iterable[Gap],
    lookup_names: NameLookup,
    lookup_handles: NameLookup | None = None,
    guild_name: str | None = None,
    channel_names: dict[str, str] | None = None,
    refinery_jobs: Sequence[RefineryJob] = (),
) -> ReportData:
    """``lookup_handles`` gives the payees' in-game handles, printed where they are paid.

    With several sellers the settlement is the plan stored at finalize, with its paid marks
    (``settlement_of``), never planned again: the report shows the transfers the officers
    were given and paid. Its payroll took no transfer fee of its own (each transfer's sender
    pays it), so the stored result's fees are 0 and no fee is counted twice.
    """
    result = version.result
    if result is None or version.is_draft or version.finalized_ms is None:
        raise ValueError("only a finalized payroll version has a report")
    plan = settlement_of(version)
    in_plan = {p.member_id for p in plan.positions} if plan else set()
    bars = _timeline(records)
    sellers = {line.seller_id for line in version.income if line.seller_id}
    wanted = {m.user_id for m in version.members} | {line.payee_id for line in result.lines}
    wanted |= sellers | in_plan | {job.owner_id for job in refinery_jobs}
    wanted |= {e.claimant_id for e in version.expenses if e.claimant_id}
    wanted |= {b.user_id for b in bars} | {version.finalized_by or ""}
    wanted |= {m.decided_by or "" for m in version.members} | {version.stale_accepted_by or ""}
    names = {ORG_PAYEE_ID: "the org"} | lookup_names(version.guild_id, wanted - {"", ORG_PAYEE_ID})

    def name(user_id: str | None) -> str:
        return (names.get(user_id) or fallback_name(user_id)) if user_id else ""

    payee_ids = {line.payee_id for line in result.lines} | {m.user_id for m in version.members}
    payee_ids |= in_plan  # the settlement names its senders and receivers with handles
    payee_ids -= {"", ORG_PAYEE_ID}
    handles = lookup_handles(version.guild_id, payee_ids) if lookup_handles else {}
    by_hand = {m.user_id for m in version.members if m.added_by_hand}

    def member_name(user_id: str) -> str:
        return name(user_id) + (BY_HAND if user_id in by_hand else "")

    stopped = session.stopped_ms or version.finalized_ms
    windows = tuple(Span(w.start_ms, w.stop_ms or stopped) for w in session.windows)
    channel_names = channel_names or {}
    return ReportData(
        report_id=report_id(version.guild_id, version.payroll_id),
        guild_id=version.guild_id,
        guild_name=guild_name or f"Discord server {version.guild_id}",
        session_id=session.session_id,
        session_name=version.session_name,
        session_type=version.session_type,
        payroll_id=version.payroll_id,
        version=version.number,
        status=ReportStatus.FINAL
        if version.status is PayrollStatus.FINAL
        else ReportStatus.SUPERSEDED,
        time_zone=time_zone,
        started_ms=session.started_ms,
        stopped_ms=stopped,
        length_s=session.length_ms(stopped) // 1000,
        finalized_by=name(version.finalized_by),
        finalized_ms=version.finalized_ms,
        generated_ms=version.finalized_ms,
        channels=tuple(
            ReportChannel(c, channel_names.get(c) or f"channel {c}") for c in session.channel_ids
        ),
        income=_incomes(
            version,
            name,
            refinery_places(refinery_jobs, version.income),
            settled=plan is not None,
        ),
        gross=result.gross,
        deductions=_deductions(version, result, name),
        payees=_payees(version, result, member_name, handles),
        unpaid=tuple(
            ReportUnpaid(member_name(u.user_id), unpaid_reason(version, u.user_id, u.reason))
            for u in result.unpaid
        ),
        deducted=result.deducted,
        timeline=bars,
        windows=windows,
        gaps=tuple(Span(g.start_ms, g.end_ms) for g in _merged(gaps, windows)),
        names={k: v for k, v in names.items() if k in {b.user_id for b in bars}},
        decisions=_decisions(version, member_name, name),
        stale_prices=_stale_prices(version, name),
        settlement=_settlement(version, plan, name, handles),
        refining=report_refining(refinery_jobs, name),
    )


def _settlement(
    version: PayrollVersion,
    plan: SettlementPlan | None,
    name: Callable[[str | None], str],
    handles: Mapping[str, str],
) -> ReportSettlement | None:
    if plan is None:
        return None
    treasurer = name(plan.holders.get(ORG_PAYEE_ID))
    before = [(x.transfer, x.number) for x in sent_before(version)]
    return report_settlement(plan, name, handles, treasurer, before)


def _incomes(
    version: PayrollVersion,
    name: Callable[[str | None], str],
    refined_at: Mapping[int, str],
    *,
    settled: bool,
) -> tuple[ReportIncome, ...]:
    """Each line with its seller. With a settlement, a line nobody was picked for is held by
    the officer who opened the payroll, as the plan counted it (``settling.holdings_of``)."""

    def seller(line: IncomeLine) -> str | None:
        return line.seller_id or (version.created_by if settled else None)

    return tuple(
        replace(
            _income(line),
            seller_id=seller(line),
            seller=name(seller(line)),
            refined_at=refined_at.get(index, ""),
        )
        for index, line in enumerate(version.income)
    )


def _decisions(
    version: PayrollVersion, member_name: Callable[[str], str], name: Callable[[str | None], str]
) -> tuple[ReportDecision, ...]:
    """Every member an officer decided something about, oldest decision first."""
    found = [
        (
            m.decided_ms or 0,
            m.user_id,
            ReportDecision(
                member_name(m.user_id),
                what,
                name(m.decided_by or m.added_by),
                m.decided_ms,
                m.reason,
            ),
        )
        for m in version.members
        if (what := _decided(m))
    ]
    return tuple(decision for *_, decision in sorted(found, key=lambda f: (f[0], f[1])))


def _decided(member: Member) -> str:
    """What differs from what voice time alone would give, in words; "" for nothing."""
    if member.decided_by is None:
        return ""
    parts = ["added by hand (not in voice)"] if member.added_by_hand else []
    if member.adjust_s:
        sign = "+" if member.adjust_s > 0 else ""
        parts.append(f"time {sign}{duration_text(member.adjust_s)}")
    if member.multiplier_milli != MILLI:
        parts.append(f"multiplier \u00d7{member.multiplier_milli / MILLI:g}")
    if member.donates:
        parts.append("donates their share")
    if not member.included:
        parts.append("excluded")
    elif member.below_minimum:
        parts.append("included below the minimum")
    return "; ".join(parts)


def _stale_prices(version: PayrollVersion, name: Callable[[str | None], str]) -> StalePrices | None:
    used = {line.snapshot_ms for line in version.income if not line.is_sale}
    accepted = version.stale_accepted_ms
    if accepted is None or accepted not in used:
        return None
    by = name(version.stale_accepted_by) if version.stale_accepted_by else "an officer"
    return StalePrices(accepted, by, version.stale_accepted_at)


def _income(line: IncomeLine) -> ReportIncome:
    if line.is_sale:
        return ReportIncome(name=line.name, value=line.value, source="sale total")
    return ReportIncome(
        name=line.name,
        value=line.value,
        scu_centi=line.scu_centi,
        price_per_scu=line.price_per_scu,
        source=price_source_words(line),
        snapshot_ms=line.snapshot_ms,
        bundled=_is_bundled(line),
    )


def _deductions(
    version: PayrollVersion, result: PayrollResult, name: Callable[[str | None], str]
) -> tuple[ReportDeduction, ...]:
    found = [
        ReportDeduction(
            DeductionKind.EXPENSE,
            e.label,
            e.amount,
            party=name(e.claimant_id),
            detail="reimbursed" if e.claimant_id else "unclaimed: deducted, paid to nobody",
        )
        for e in version.expenses
    ]
    found += [
        ReportDeduction(DeductionKind.FLAT, f.label, f.amount, name(f.payee_id))
        for f in version.flats
    ]
    cut_totals: dict[str, int] = defaultdict(int)
    for line in result.lines:
        if line.kind is LineKind.PERCENTAGE:
            cut_totals[line.payee_id] += line.amount
    by_payee: dict[str, list[str]] = defaultdict(list)
    for cut in version.percentages:
        by_payee[cut.payee_id].append(f"{cut.label} ({cut.basis_points / 100:g} %)")
    found += [
        ReportDeduction(
            DeductionKind.PERCENTAGE,
            ", ".join(labels),
            cut_totals.get(payee, 0),
            name(payee),
            detail=f"of the pool of {result.pool:,} aUEC",
        )
        for payee, labels in by_payee.items()
    ]
    if result.donated:
        found.append(
            ReportDeduction(
                DeductionKind.DONATION,
                "Donated shares",
                result.donated,
                detail=f"policy: {result.donation_policy.value}",
            )
        )
    if result.total_fees:
        found.append(
            ReportDeduction(
                DeductionKind.FEE,
                "Transfer fees",
                result.total_fees,
                detail=f"{version.transfer_fee_bp / 100:g} % of each transfer",
            )
        )
    return tuple(found)


def _payees(
    version: PayrollVersion,
    result: PayrollResult,
    name: Callable[[str], str],
    handles: Mapping[str, str],
) -> tuple[ReportPayee, ...]:
    share: dict[str, int] = defaultdict(int)
    other: dict[str, int] = defaultdict(int)
    fee: dict[str, int] = defaultdict(int)
    net: dict[str, int] = defaultdict(int)
    for line in result.lines:
        if line.kind in _SHARE:
            share[line.payee_id] += line.amount
        elif line.kind in _OTHER:
            other[line.payee_id] += line.amount
        fee[line.payee_id] += line.fee
        net[line.payee_id] += line.net
    members = {m.user_id: m for m in version.members}
    everyone = set(net) | {m.user_id for m in version.members if m.included and m.donates}
    payees = []
    for payee in everyone:
        member = members.get(payee)
        payees.append(
            ReportPayee(
                user_id=payee,
                name=name(payee),
                payout=net.get(payee, 0),
                share=share.get(payee, 0),
                other=other.get(payee, 0),
                fee=fee.get(payee, 0),
                credited_s=member.seconds if member else None,
                measured_s=member.credited_s if member else None,
                multiplier_milli=member.multiplier_milli if member else None,
                donated=bool(member and member.donates),
                # the org's lines are what it keeps: nobody pays them to it
                paid=payee in version.paid or payee == ORG_PAYEE_ID,
                handle=handles.get(payee),
            )
        )
    payees.sort(key=lambda p: (-p.payout, p.name.casefold(), p.user_id))
    return tuple(payees)


def _timeline(records: Iterable[VoiceRecord]) -> tuple[TimelineBar, ...]:
    bars = [
        TimelineBar(r.user_id, r.channel_id, r.start_ms, r.end_ms, r.gap)
        for r in records
        if r.end_ms > r.start_ms
    ]
    bars.sort(key=lambda b: (b.user_id, b.start_ms, b.channel_id))
    return tuple(bars)


def _merged(gaps: Iterable[Gap], windows: tuple[Span, ...]) -> list[Gap]:
    """Gaps clipped to the session and merged, so the chart shades each stretch once."""
    if not windows:
        return []
    low, high = windows[0].start_ms, windows[-1].end_ms
    clipped = sorted(
        (max(g.start_ms, low), min(g.end_ms, high))
        for g in gaps
        if g.end_ms > low and g.start_ms < high
    )
    merged: list[Gap] = []
    for start, end in clipped:
        if merged and start <= merged[-1].end_ms:
            merged[-1] = Gap(merged[-1].start_ms, max(end, merged[-1].end_ms))
        else:
            merged.append(Gap(start, end))
    return merged
