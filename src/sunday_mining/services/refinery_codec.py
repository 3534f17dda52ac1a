"""Refinery jobs to store items and back. The only place that knows their attribute names.

``notified_ms`` is left out of the item until a notice went out, so that the notice's write
can be conditional on its absence (see :meth:`RefineryService.notify_due`). ``version`` counts
the member's changes (add, edit, collect, cancel); a change written from a stale read fails.
"""

from __future__ import annotations

from sunday_mining.domain.refining import JobOre, JobState, RefineryJob, method_by_code
from sunday_mining.ports.store import Item
from sunday_mining.services import keys


def job_to_item(job: RefineryJob, version: int) -> Item:
    pk, sk = keys.refinery_job_key(job.guild_id, job.job_id)
    item: Item = {
        "pk": pk,
        "sk": sk,
        "guild_id": job.guild_id,
        "job_id": job.job_id,
        "owner_id": job.owner_id,
        "session_id": job.session_id,
        "terminal_id": job.terminal_id,
        "terminal_name": job.terminal_name,
        "method": job.method.code,
        "ores": [
            {
                "ore_id": o.ore_id,
                "raw_centi": o.raw_centi,
                "bonus_percent": o.bonus_percent,
                "refined_centi": o.refined_centi,
            }
            for o in job.ores
        ],
        "cost": job.cost,
        "created_ms": job.created_ms,
        "due_ms": job.due_ms,
        "state": job.state.value,
        "closed_ms": job.closed_ms,
        "bonus_known": job.bonus_known,
        "version": version,
    }
    if job.notified_ms is not None:
        item["notified_ms"] = job.notified_ms
    return item


def job_from_item(item: Item) -> RefineryJob:
    return RefineryJob(
        guild_id=str(item["guild_id"]),
        job_id=str(item["job_id"]),
        owner_id=str(item["owner_id"]),
        session_id=_optional_str(item.get("session_id")),
        terminal_id=int(item["terminal_id"]),
        terminal_name=str(item["terminal_name"]),
        method=method_by_code(str(item["method"])),
        ores=tuple(
            JobOre(
                ore_id=int(o["ore_id"]),
                raw_centi=int(o["raw_centi"]),
                bonus_percent=int(o.get("bonus_percent", 0)),
                refined_centi=_optional_int(o.get("refined_centi")),
            )
            for o in item["ores"]
        ),
        cost=int(item["cost"]),
        created_ms=int(item["created_ms"]),
        due_ms=int(item["due_ms"]),
        state=JobState(str(item["state"])),
        closed_ms=_optional_int(item.get("closed_ms")),
        notified_ms=_optional_int(item.get("notified_ms")),
        bonus_known=bool(item.get("bonus_known", False)),
    )


def version_of(item: Item) -> int:
    return int(item.get("version", 0))


def _optional_int(value: object) -> int | None:
    return None if value is None else int(str(value))


def _optional_str(value: object) -> str | None:
    return None if value is None else str(value)
