"""A draft's haul from its session's collected refinery jobs, in one change.

Each refined ore becomes one income line with the jobs' total of it, priced now like any ore
line, sold by the member who ran the jobs that gave it (when one member ran them all and is on
the payroll; else by the officer taking it in; "Who sold a line…" changes that); each job's cost
becomes an expense reimbursed to the job's owner, who paid the refinery. Taking the jobs in
again changes nothing: the lines of those ores and the expenses of those labels are replaced.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from sunday_mining.domain import ores as ore_catalogue
from sunday_mining.domain.errors import ValidationError
from sunday_mining.domain.payroll import Expense
from sunday_mining.domain.refining import RefineryJob, haul_inputs
from sunday_mining.services.payroll.base import PayrollBase
from sunday_mining.services.payroll.model import OreEntry, PayrollVersion, PriceMode
from sunday_mining.services.payroll.pricing import price_line
from sunday_mining.services.payroll.rules import (
    MAX_CUTS,
    MAX_INCOME_LINES,
    MAX_LABEL,
    probe,
    same_label,
)
from sunday_mining.services.payroll.text import scu_text


@dataclass(frozen=True)
class RefineryHaulResult:
    version: PayrollVersion
    jobs: int  # how many collected jobs were taken in (0: nothing changed)


class RefineryHaul(PayrollBase):
    """Income lines and expenses of a draft from refinery jobs."""

    def take_refinery_jobs(
        self, guild_id: str, draft_id: str, user_id: str, jobs: Sequence[RefineryJob]
    ) -> RefineryHaulResult:
        """Take in the collected jobs of the draft's session (others are left out)."""
        draft = self.draft(guild_id, draft_id)
        ours = [j for j in jobs if j.guild_id == guild_id and j.session_id == draft.session_id]
        inputs = haul_inputs(ours)
        taken = {line.job_id for line in inputs.ores} | {e.job_id for e in inputs.expenses}
        if not taken:
            return RefineryHaulResult(draft, 0)
        snapshot = self._prices.current()
        now = self._clock.now_ms()
        totals = inputs.totals()
        expenses = _unique_labels([e.as_expense() for e in inputs.expenses])

        owner_of = {job.job_id: job.owner_id for job in ours}

        def seller(version: PayrollVersion, ore_id: int) -> str:
            """Whoever ran every job that gave this ore holds it, if they are on the payroll;
            else the officer taking the jobs in."""
            owners = {owner_of[line.job_id] for line in inputs.ores if line.ore_id == ore_id}
            (owner,) = owners if len(owners) == 1 else (user_id,)
            return owner if any(m.user_id == owner for m in version.members) else user_id

        def change(version: PayrollVersion) -> PayrollVersion:
            lines = [
                replace(
                    price_line(OreEntry(ore_id, centi, PriceMode.BEST), snapshot, version, now),
                    seller_id=seller(version, ore_id),
                )
                for ore_id, centi in totals.items()
            ]
            kept = [x for x in version.income if x.ore_id not in totals or x.is_sale]
            income = (*kept, *lines)
            if len(income) > MAX_INCOME_LINES:
                raise ValidationError(
                    f"A payroll holds at most {MAX_INCOME_LINES} income lines; combine some."
                )
            labels = [e.label for e in expenses]
            costs = [e for e in version.expenses if not any(same_label(e.label, x) for x in labels)]
            updated = replace(
                version,
                income=income,
                expenses=(*costs, *expenses),
                price_snapshot_ms=snapshot.fetched_ms if lines else version.price_snapshot_ms,
            )
            if len(updated.expenses) + len(updated.flats) + len(updated.percentages) > MAX_CUTS:
                raise ValidationError(
                    f"A payroll holds at most {MAX_CUTS} expenses, flat amounts and percentages."
                )
            probe(updated)
            return updated

        detail = f"{len(taken)} refinery job(s): " + "; ".join(
            [f"{_ore_name(ore_id)} {scu_text(centi)} SCU" for ore_id, centi in totals.items()]
            + [f"expense {e.label} {e.amount:,}" for e in expenses]
        )
        saved = self._edit(guild_id, draft_id, user_id, change, "refinery", detail)
        return RefineryHaulResult(saved, len(taken))


def _unique_labels(expenses: list[Expense]) -> list[Expense]:
    """Two jobs at one refinery: "Refinery fee, MIC-L1" and "Refinery fee, MIC-L1 (2)"."""
    seen: dict[str, int] = {}
    unique = []
    for expense in expenses:
        key = expense.label.casefold()
        seen[key] = seen.get(key, 0) + 1
        label = expense.label if seen[key] == 1 else f"{expense.label} ({seen[key]})"
        unique.append(replace(expense, label=label[:MAX_LABEL]))
    return unique


def _ore_name(ore_id: int) -> str:
    ore = ore_catalogue.get(ore_id)
    return ore.name if ore else f"ore {ore_id}"
