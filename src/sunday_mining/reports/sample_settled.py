"""The made-up op of ``sample.py`` sold by three members and refined at two refineries: the
report's Settlement and Refining sections, for tests and the docs.

The haul is sold by two miners and the escort; the org's cut is held by a third miner, the
treasurer. As the settlement rule says, the payouts carry no transfer fee of their own (the
plan's senders pay it, per transfer), and the expense nobody claimed in the plain sample is
claimed here, so every aUEC the sellers hold is paid out. The plan is the domain's own, with
its first two transfers marked paid. Standard library only; the same arguments always give the
same report.
"""

from __future__ import annotations

from dataclasses import replace

from sunday_mining.domain.settlement import mark_paid, plan_settlement
from sunday_mining.reports.model import (
    DeductionKind,
    ReportData,
    ReportRefinedOre,
    ReportRefineryJob,
)
from sunday_mining.reports.sample import sample_report
from sunday_mining.reports.settlement_data import report_settlement

FEE_BP = 50  # 0.5 %
PAID_TRANSFERS = 2  # the first transfers of the plan are marked paid, the others still to send
_HOUR = 3_600_000


def sample_settled_report(payees: int = 8, *, seed: int = 7) -> ReportData:
    """``sample_report(payees)`` settled between three sellers, with three refinery jobs."""
    data = sample_report(payees, seed=seed)
    miners = [p for p in data.payees if p.credited_s is not None]
    escort = next(p for p in data.payees if p.user_id != "org" and p.credited_s is None)
    claimant = miners[0]
    unclaimed = data.deducted
    fee_free = tuple(
        replace(
            p,
            fee=0,
            other=p.other + (unclaimed if p is claimant else 0),
            payout=p.share + p.other + (unclaimed if p is claimant else 0),
        )
        for p in data.payees
    )
    deductions = tuple(
        replace(d, party=claimant.name, detail="reimbursed") if d.amount == unclaimed else d
        for d in data.deductions
        if d.kind is not DeductionKind.FEE
    )
    sellers = (miners[1], miners[2], escort)
    income = tuple(
        replace(
            line,
            seller_id=sellers[min(i, 2)].user_id,
            seller=sellers[min(i, 2)].name,
            refined_at=("CRU-L1", "ARC-L1", "ARC-L1", "")[i] if i < 4 else "",
        )
        for i, line in enumerate(data.income)
    )
    holdings: dict[str, int] = {}
    for line in income:
        holdings[line.seller_id or ""] = holdings.get(line.seller_id or "", 0) + line.value
    treasurer = miners[3]
    plan = plan_settlement(
        {p.user_id: p.payout for p in fee_free},
        holdings,
        FEE_BP,
        holders={"org": treasurer.user_id},
    )
    for sent in plan.transfers[:PAID_TRANSFERS]:
        plan = mark_paid(plan, sent.sender, sent.receiver)
    # A member is paid once every transfer to them is (the payroll's payee_marks): one nobody
    # sends to holds their payout already. The org's line keeps the plain sample's mark.
    fee_free = tuple(
        p
        if p.user_id == "org"
        else replace(
            p,
            paid=p.payout > 0 and all(t.paid for t in plan.transfers if t.receiver == p.user_id),
        )
        for p in fee_free
    )
    people = {p.user_id: p for p in fee_free}
    settlement = report_settlement(
        plan,
        lambda user_id: people[user_id].name,
        {p.user_id: p.handle for p in fee_free if p.handle},
        treasurer.name,
    )
    return replace(
        data,
        payees=tuple(sorted(fee_free, key=lambda p: (-p.payout, p.user_id))),
        deductions=deductions,
        deducted=0,
        income=income,
        settlement=settlement,
        refining=_jobs(data, sellers[0].user_id, sellers[1].user_id, sellers[1].name),
    )


def _jobs(
    data: ReportData, first: str, second: str, second_name: str
) -> tuple[ReportRefineryJob, ...]:
    names = {p.user_id: p.name for p in data.payees}
    start = data.started_ms
    return (
        ReportRefineryJob(
            "Refinement Processing - CRU-L1",
            "Dinyx Solventation",
            first,
            names[first],
            61_250,
            "collected",
            start + 1 * _HOUR,
            start + 3 * _HOUR,
            start + 3 * _HOUR + 600_000,
            (ReportRefinedOre("Quantainium", 6_000, 3_150),),
        ),
        ReportRefineryJob(
            "Refinement Processing - ARC-L1",
            "Ferron Exchange",
            second,
            second_name,
            118_400,
            "collected",
            start + 90 * 60_000,
            start + 4 * _HOUR,
            start + 4 * _HOUR + 300_000,
            (
                ReportRefinedOre("Bexalite", 9_200, 4_875),
                ReportRefinedOre("Laranite", 11_725, 6_210),
            ),
        ),
        ReportRefineryJob(
            "Refinement Processing - MIC-L1",
            "Cormack",
            second,
            second_name,
            9_800,
            "open",
            start + 2 * _HOUR,
            start + 30 * _HOUR,
            None,
            (ReportRefinedOre("Agricium", 2_400, None),),
        ),
    )
