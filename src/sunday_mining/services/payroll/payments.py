"""Paid flags of a final payroll, and what is still owed."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from sunday_mining.domain.errors import ConditionFailed, StateConflict, ValidationError
from sunday_mining.ports.store import (
    And,
    TxPut,
    eq,
)
from sunday_mining.services.payroll.base import PayrollBase
from sunday_mining.services.payroll.codec import version_to_item
from sunday_mining.services.payroll.model import Owed, PaidMark, PayrollStatus, PayrollVersion
from sunday_mining.services.payroll.text import payee_text

_PAID_ATTEMPTS = 3


class Payments(PayrollBase):
    """Who has been paid, marked page by page with a retry on a race."""

    def set_paid(
        self,
        guild_id: str,
        payroll_id: str,
        user_id: str,
        shown: Sequence[str],
        chosen: Iterable[str],
    ) -> PayrollVersion:
        """Of the payees ``shown`` (one page), exactly ``chosen`` have been paid."""
        picked = set(chosen)
        if not picked <= set(shown):
            raise ValidationError("Pick payees from the list shown; it may be out of date.")
        for _ in range(_PAID_ATTEMPTS):
            version = self.get(guild_id, payroll_id)
            if version.status is not PayrollStatus.FINAL:
                raise StateConflict(
                    "Payments are marked on the current final payroll; run /mining payroll."
                )
            payees = {payee for payee, _net in version.payees()}
            if not set(shown) <= payees:
                raise ValidationError("Pick payees from the list shown; it may be out of date.")
            paid = dict(version.paid)
            now = self._clock.now_ms()
            changes = []
            for payee in shown:
                if payee in picked and payee not in paid:
                    paid[payee] = PaidMark(user_id, now)
                    changes.append(f"paid {payee_text(payee)}")
                elif payee not in picked and payee in paid:
                    del paid[payee]
                    changes.append(f"unpaid {payee_text(payee)}")
            if not changes:
                return version
            updated = replace(version, paid=paid, rev=version.rev + 1)
            try:
                self._store.transact(
                    [
                        TxPut(
                            version_to_item(updated),
                            And(eq("status", PayrollStatus.FINAL.value), eq("rev", version.rev)),
                        ),
                        self._audit_op(updated, user_id, "paid", "; ".join(changes)),
                    ]
                )
            except ConditionFailed:
                continue  # another officer marked someone at the same moment: apply on theirs
            return updated
        raise StateConflict("Several officers are marking payments at once; try again.")

    def still_owed(self, guild_id: str, payroll_id: str) -> tuple[PayrollVersion, list[Owed], int]:
        """Payees not marked paid, with their net from compute(), and what they add up to."""
        version = self.get(guild_id, payroll_id)
        before: dict[str, int] = {}
        if version.supersedes:
            old = self.get(guild_id, version.supersedes)
            nets = dict(old.payees())
            before = {payee: nets.get(payee, 0) for payee in old.paid}
        owed = [
            Owed(payee, net, before.get(payee))
            for payee, net in version.payees()
            if payee not in version.paid
        ]
        return version, owed, sum(o.net for o in owed)
