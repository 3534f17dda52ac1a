"""Paid flags of a final payroll, and what is still owed."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace

from sunday_mining.domain.errors import (
    ConditionFailed,
    PermissionDenied,
    StateConflict,
    ValidationError,
)
from sunday_mining.domain.payroll import ORG_PAYEE_ID, PayrollResult
from sunday_mining.ports.store import (
    And,
    TxPut,
    eq,
)
from sunday_mining.services.payroll.base import PayrollBase
from sunday_mining.services.payroll.codec import version_to_item
from sunday_mining.services.payroll.model import (
    Owed,
    PaidMark,
    PayrollStatus,
    PayrollVersion,
    PriorPayment,
)
from sunday_mining.services.payroll.settling import payee_marks
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
        return self._mark_paid(guild_id, payroll_id, user_id, lambda _: (shown, picked), "")

    def set_all_paid(self, guild_id: str, payroll_id: str, user_id: str) -> PayrollVersion:
        """Every payee but the org (its lines are what it keeps) has been paid."""

        def everyone(version: PayrollVersion) -> tuple[Sequence[str], set[str]]:
            members = [payee for payee, _net in version.payees() if payee != ORG_PAYEE_ID]
            return members, set(members)

        return self._mark_paid(guild_id, payroll_id, user_id, everyone, "marked everyone paid")

    def _mark_paid(
        self,
        guild_id: str,
        payroll_id: str,
        user_id: str,
        marks: Callable[[PayrollVersion], tuple[Sequence[str], set[str]]],
        said: str,
    ) -> PayrollVersion:
        """Of the payees ``marks`` names as shown, exactly those it picks have been paid; retried
        on a race with another officer. ``said`` sums the change up in the audit log."""
        for _ in range(_PAID_ATTEMPTS):
            version = self.get(guild_id, payroll_id)
            if version.status is not PayrollStatus.FINAL:
                raise StateConflict(
                    "Payments are marked on the current final payroll; run /mining payroll."
                )
            if version.settlement is not None:
                raise ValidationError(
                    "This payroll is paid by its transfers; mark each one under Transfers."
                )
            shown, picked = marks(version)
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
            detail = f"{said}: " + "; ".join(changes) if said else "; ".join(changes)
            try:
                self._store.transact(
                    [
                        TxPut(
                            version_to_item(updated),
                            And(eq("status", PayrollStatus.FINAL.value), eq("rev", version.rev)),
                        ),
                        self._audit_op(updated, user_id, "paid", detail),
                    ]
                )
            except ConditionFailed:
                continue  # another officer marked someone at the same moment: apply on theirs
            return updated
        raise StateConflict("Several officers are marking payments at once; try again.")

    def set_transfers_paid(
        self,
        guild_id: str,
        payroll_id: str,
        user_id: str,
        shown: Sequence[int],
        chosen: Iterable[int],
        *,
        officer: bool,
    ) -> PayrollVersion:
        """Of the transfers ``shown`` (their places in the plan, one page), exactly ``chosen``
        have been sent. A transfer's mark is set by its sender or, for any, a payroll officer;
        retried on a race with another mark."""
        picked = set(chosen)
        if not picked <= set(shown):
            raise ValidationError("Pick transfers from the list shown; it may be out of date.")
        for _ in range(_PAID_ATTEMPTS):
            version = self.get(guild_id, payroll_id)
            kept = version.settlement
            if version.status is not PayrollStatus.FINAL or kept is None:
                raise StateConflict(
                    "Transfers are marked on the current final payroll; ask an officer to "
                    "post it again."
                )
            if not all(0 <= i < len(kept.transfers) for i in shown):
                raise ValidationError("Pick transfers from the list shown; it may be out of date.")
            marks = dict(kept.marks)
            changes = []
            for index in shown:
                t = kept.transfers[index]
                pair = (t.sender, t.receiver)
                if (index in picked) == (pair in marks):
                    continue
                if not officer and t.sender != user_id:
                    raise PermissionDenied(
                        "Only the sender of a transfer or a payroll officer can mark it; ask them."
                    )
                if index in picked:
                    marks[pair] = PaidMark(user_id, self._clock.now_ms())
                    changes.append(f"sent {payee_text(t.sender)} to {payee_text(t.receiver)}")
                else:
                    del marks[pair]
                    changes.append(f"not sent {payee_text(t.sender)} to {payee_text(t.receiver)}")
            if not changes:
                return version
            updated = replace(version, settlement=replace(kept, marks=marks), rev=version.rev + 1)
            updated = replace(updated, paid=payee_marks(updated))
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
                continue  # someone marked another transfer at the same moment: apply on theirs
            return updated
        raise StateConflict("Several members are marking transfers at once; try again.")

    def still_owed(self, guild_id: str, payroll_id: str) -> tuple[PayrollVersion, list[Owed], int]:
        """Payees not marked paid, with their net from compute() and what an earlier version
        already paid them, and the total still to pay (over-payments are not netted in)."""
        version = self.get(guild_id, payroll_id)
        owed = owed_of(version, self.prior_payments(version))
        return version, owed, owed_total(owed)

    def prior_payments(self, version: PayrollVersion) -> Mapping[str, PriorPayment]:
        """What earlier versions paid the payees whose paid mark this version did not carry."""
        if version.paid_before is not None:
            return version.paid_before
        if version.supersedes is None:
            return {}
        # Stored before amendments carried payments: what the replaced version marked paid.
        return paid_so_far(self.get(version.guild_id, version.supersedes), {})


def paid_so_far(
    version: PayrollVersion, before: Mapping[str, PriorPayment]
) -> dict[str, PriorPayment]:
    """Per payee, what they have been paid by the time ``version`` is replaced: its net for a
    payee it marked paid, else what an earlier version paid them (``before``)."""
    nets = dict(version.payees())
    found = dict(before)
    for payee, mark in version.paid.items():
        found[payee] = PriorPayment(nets.get(payee, 0), version.number, mark.by, mark.at_ms)
    return {payee: p for payee, p in found.items() if p.amount > 0}


def carry_payments(
    paid: Mapping[str, PriorPayment], result: PayrollResult
) -> tuple[dict[str, PaidMark], dict[str, PriorPayment]]:
    """Split what was paid under the replaced versions: a payee whose payout is exactly what
    they were paid keeps their paid mark; for any other, the payment is kept as paid before."""
    nets = result.payouts_by_payee()
    carried = {
        payee: PaidMark(p.by, p.at_ms) for payee, p in paid.items() if nets.get(payee) == p.amount
    }
    return carried, {payee: p for payee, p in paid.items() if payee not in carried}


def owed_of(version: PayrollVersion, before: Mapping[str, PriorPayment]) -> list[Owed]:
    """Payees not marked paid, most first, then anyone an earlier version paid who gets
    nothing now (all of that was over-paid). The org is never owed: its lines (its cut, a
    donation to it) are what it keeps of the haul, not a payment anyone makes."""
    nets = dict(version.payees())
    owed = []
    for payee, net in version.payees():
        if payee in version.paid or payee == ORG_PAYEE_ID:
            continue
        prior = before.get(payee)
        owed.append(Owed(payee, net, prior.amount, prior.number) if prior else Owed(payee, net))
    for payee, prior in sorted(before.items()):
        if payee not in nets and payee not in version.paid and payee != ORG_PAYEE_ID:
            owed.append(Owed(payee, 0, prior.amount, prior.number))
    return owed


def owed_total(owed: Iterable[Owed]) -> int:
    return sum(o.due for o in owed if o.due > 0)
