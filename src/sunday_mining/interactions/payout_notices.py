"""After a payroll is finalized: hand its payout notices to the job runner (they go out by
direct message; the officer hears how it went in a private follow-up). The sentence returned
joins the finalize answer's note; "" when the guild sends no payout messages. Still owed marks
the payees a message could not reach."""

from __future__ import annotations

from sunday_mining.domain.errors import DomainError
from sunday_mining.interactions.context import Context
from sunday_mining.services.payroll import PayrollVersion


def tell_payees(ctx: Context, version: PayrollVersion, note: str) -> str:
    notices = ctx.services.payout_notices
    if notices is None:
        return note
    said = notices.request(
        version,
        application_id=ctx.interaction.application_id,
        interaction_token=ctx.interaction.token,
        interaction_ms=ctx.now_ms(),
    )
    return "\n".join(part for part in (note, said) if part)


def could_not_be_told(ctx: Context, version: PayrollVersion) -> frozenset[str]:
    """The payees Still owed marks "could not be told"; none where notices are not sent, or
    when their record can't be read (the view is about payments, not notices)."""
    notices = ctx.services.payout_notices
    if notices is None:
        return frozenset()
    try:
        return notices.could_not_be_told(version)
    except DomainError:
        return frozenset()
