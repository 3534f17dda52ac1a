"""The report's Settlement and Refining parts, from the domain's plan and the session's jobs.

Reads only and standard library only, like ``data.py`` which calls these: ids become display
names and in-game handles here, so nothing a member reads shows an id.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from sunday_mining.domain import ores as ore_catalogue
from sunday_mining.domain.errors import ValidationError
from sunday_mining.domain.payroll import IncomeLine
from sunday_mining.domain.refining import RefineryJob, haul_inputs, short_terminal_name
from sunday_mining.domain.settlement import SettlementPlan, Transfer
from sunday_mining.reports.model import (
    ReportHolding,
    ReportRefinedOre,
    ReportRefineryJob,
    ReportSettlement,
    ReportTransfer,
)

Name = Callable[[str], str]


def _report_transfer(
    t: Transfer, name: Name, handles: Mapping[str, str], under: int | None = None
) -> ReportTransfer:
    return ReportTransfer(
        sender_id=t.sender,
        sender=name(t.sender),
        sender_handle=handles.get(t.sender),
        receiver_id=t.receiver,
        receiver=name(t.receiver),
        receiver_handle=handles.get(t.receiver),
        sent=t.amount_sent,
        fee=t.fee,
        received=t.amount_received,
        paid=t.paid,
        sent_under=under,
    )


def report_settlement(
    plan: SettlementPlan,
    name: Name,
    handles: Mapping[str, str],
    treasurer: str,
    sent_before: Iterable[tuple[Transfer, int]] = (),
) -> ReportSettlement:
    """The plan with names and handles: members most held first, then by name (a member the plan
    leaves alone, paid nothing and holding nothing, is left out); transfers by sender in that
    order, each sender's in the plan's order. ``sent_before``: each transfer sent under an
    earlier version, with that version's number, as it was sent."""
    transfers = [_report_transfer(t, name, handles) for t in plan.transfers]
    before = tuple(_report_transfer(t, name, handles, under) for t, under in sent_before)
    holdings = sorted(
        (
            ReportHolding(
                p.member_id,
                name(p.member_id),
                handles.get(p.member_id),
                p.holds,
                p.payout,
                p.sends,
                p.fees,
                p.receives,
                p.received_before - p.sent_before,
            )
            for p in plan.positions
            if p.holds or p.payout or p.sends or p.receives or p.sent_before or p.received_before
        ),
        key=lambda h: (-h.holds, -h.payout, h.name.casefold(), h.user_id),
    )
    rank = {h.user_id: index for index, h in enumerate(holdings)}
    transfers.sort(key=lambda t: rank[t.sender_id])  # stable: the plan's order within a sender
    return ReportSettlement(plan.fee_bp, treasurer, tuple(transfers), tuple(holdings), before)


def report_refining(jobs: Iterable[RefineryJob], name: Name) -> tuple[ReportRefineryJob, ...]:
    """The session's jobs, oldest first, each ore by its refined name."""
    ordered = sorted(jobs, key=lambda j: (j.created_ms, j.job_id))
    return tuple(
        ReportRefineryJob(
            refinery=job.terminal_name,
            method=job.method.name,
            owner_id=job.owner_id,
            owner=name(job.owner_id),
            cost=job.cost,
            state=job.state.value,
            created_ms=job.created_ms,
            due_ms=job.due_ms,
            closed_ms=job.closed_ms,
            ores=tuple(
                ReportRefinedOre(refined_ore_name(o.ore_id), o.raw_centi, o.refined_centi)
                for o in job.ores
            ),
        )
        for job in ordered
    )


def refined_ore_name(raw_id: int) -> str:
    ore = ore_catalogue.get(raw_id)
    if ore is None:
        return f"ore {raw_id}"
    return (ore_catalogue.refined_of(ore) or ore).name


def refinery_places(jobs: Iterable[RefineryJob], income: Iterable[IncomeLine]) -> dict[int, str]:
    """The refineries each ore line came from, by line position, for the lines that are the
    collected jobs' total of their ore: what "From refinery jobs" on the haul step made.

    The payroll keeps no mark of it on the line, so a line is matched by its ore and its SCU.
    """
    jobs = list(jobs)
    try:
        inputs = haul_inputs(jobs)
    except ValidationError:  # a job with an ore the catalogue lost: nothing to match
        return {}
    place = {j.job_id: short_terminal_name(j.terminal_name) for j in jobs}
    totals = inputs.totals()
    places: dict[int, list[str]] = {}
    for refined in inputs.ores:
        found = places.setdefault(refined.ore_id, [])
        if place[refined.job_id] not in found:
            found.append(place[refined.job_id])
    return {
        index: ", ".join(places[line.ore_id])
        for index, line in enumerate(income)
        if not line.is_sale and line.ore_id in totals and line.scu_centi == totals[line.ore_id]
    }
