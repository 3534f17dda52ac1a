"""Editing a draft's haul: ore lines priced now, sale totals, stale prices accepted."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from sunday_mining.domain import ores as ore_catalogue
from sunday_mining.domain.errors import StateConflict, ValidationError
from sunday_mining.domain.payroll import (
    IncomeLine,
)
from sunday_mining.domain.prices import format_auec
from sunday_mining.services.payroll.base import PayrollBase
from sunday_mining.services.payroll.model import OreEntry, PayrollVersion
from sunday_mining.services.payroll.pricing import price_line
from sunday_mining.services.payroll.rules import MAX_INCOME_LINES, clean_label, probe, same_label
from sunday_mining.services.payroll.text import age_text, scu_text


class HaulEdits(PayrollBase):
    """Income lines of a draft."""

    def set_ores(
        self,
        guild_id: str,
        draft_id: str,
        user_id: str,
        entries: Sequence[OreEntry],
        seller_id: str | None = None,
    ) -> PayrollVersion:
        """Add or replace the lines of these ores, priced now (from the snapshot or as typed).

        They were sold by ``seller_id``, by default the officer entering them.
        """
        if not entries:
            raise ValidationError("Pick at least one ore.")
        ids = [e.ore_id for e in entries]
        if len(set(ids)) != len(ids):
            twice = next(i for i in ids if ids.count(i) > 1)
            raise ValidationError(f"{_ore_name(twice)} is listed twice; keep one amount for it.")
        snapshot = self._prices.current()
        now = self._clock.now_ms()

        def change(draft: PayrollVersion) -> PayrollVersion:
            seller = _seller(draft, seller_id or user_id, user_id)
            lines = [
                replace(price_line(e, snapshot, draft, now), seller_id=seller) for e in entries
            ]
            kept = [x for x in draft.income if x.ore_id not in set(ids) or x.is_sale]
            income = tuple(kept + lines)
            if len(income) > MAX_INCOME_LINES:
                raise ValidationError(
                    f"A payroll holds at most {MAX_INCOME_LINES} income lines; combine some."
                )
            used = snapshot.fetched_ms if any(x.snapshot_ms for x in lines) else None
            updated = replace(
                draft, income=income, price_snapshot_ms=used or draft.price_snapshot_ms
            )
            probe(updated)
            return updated

        def detail(_: PayrollVersion) -> str:
            return "; ".join(
                f"{_ore_name(e.ore_id)} {scu_text(e.scu_centi)} SCU ({e.mode.value}"
                + (f" {e.typed_price:,}" if e.typed_price is not None else "")
                + ")"
                for e in entries
            )

        return self._edit(guild_id, draft_id, user_id, change, "ores", detail)

    def add_sale(
        self,
        guild_id: str,
        draft_id: str,
        user_id: str,
        label: str,
        total: int,
        seller_id: str | None = None,
    ) -> PayrollVersion:
        """A sale total, sold by ``seller_id`` (by default the officer entering it)."""
        name = clean_label(label, "sale")

        def change(draft: PayrollVersion) -> PayrollVersion:
            seller = _seller(draft, seller_id or user_id, user_id)
            kept = [x for x in draft.income if not (x.is_sale and same_label(x.label, name))]
            if len(kept) >= MAX_INCOME_LINES:
                raise ValidationError(
                    f"A payroll holds at most {MAX_INCOME_LINES} income lines; combine some."
                )
            line = IncomeLine.sale(total, name, seller_id=seller)
            updated = replace(draft, income=(*kept, line))
            probe(updated)
            return updated

        return self._edit(
            guild_id, draft_id, user_id, change, "sale", f"sale {name}: {format_auec(total)}"
        )

    def remove_income(
        self, guild_id: str, draft_id: str, user_id: str, index: int
    ) -> PayrollVersion:
        def change(draft: PayrollVersion) -> PayrollVersion:
            if not 0 <= index < len(draft.income):
                raise ValidationError("That line is gone already; pick one from the list.")
            return replace(draft, income=draft.income[:index] + draft.income[index + 1 :])

        def detail(draft: PayrollVersion) -> str:
            return f"removed {draft.income[index].name}" if index < len(draft.income) else ""

        return self._edit(guild_id, draft_id, user_id, change, "income", detail)

    def set_seller(
        self, guild_id: str, draft_id: str, user_id: str, index: int, seller_id: str
    ) -> PayrollVersion:
        """Who sold the line at ``index`` and holds its aUEC."""

        def change(draft: PayrollVersion) -> PayrollVersion:
            if not 0 <= index < len(draft.income):
                raise ValidationError("That line is gone already; pick one from the list.")
            line = replace(draft.income[index], seller_id=_seller(draft, seller_id, user_id))
            return replace(draft, income=(*draft.income[:index], line, *draft.income[index + 1 :]))

        def detail(draft: PayrollVersion) -> str:
            name = draft.income[index].name if index < len(draft.income) else "a line"
            return f"{name} sold by {seller_id}"

        return self._edit(guild_id, draft_id, user_id, change, "seller", detail)

    def accept_stale_prices(
        self, guild_id: str, draft_id: str, user_id: str, fetched_ms: int
    ) -> PayrollVersion:
        snapshot = self._prices.current()
        if snapshot.fetched_ms != fetched_ms:
            raise StateConflict("The prices were refreshed meanwhile; look at the haul again.")

        now = self._clock.now_ms()

        def change(draft: PayrollVersion) -> PayrollVersion:
            return replace(
                draft,
                stale_accepted_ms=fetched_ms,
                stale_accepted_by=user_id,
                stale_accepted_at=now,
            )

        age = age_text(snapshot.age_ms(now))
        return self._edit(
            guild_id, draft_id, user_id, change, "prices", f"accepted prices {age} old"
        )


def _seller(draft: PayrollVersion, seller_id: str, officer_id: str) -> str:
    """A seller is a participant, or the officer entering the line (who may not have mined)."""
    if seller_id != officer_id and all(m.user_id != seller_id for m in draft.members):
        raise ValidationError(
            "The seller must be a participant of this payroll; add them as a member first."
        )
    return seller_id


def _ore_name(ore_id: int) -> str:
    ore = ore_catalogue.get(ore_id)
    return ore.name if ore else f"ore {ore_id}"
