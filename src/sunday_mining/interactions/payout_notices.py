"""After a payroll is finalized: hand its payout notices to the job runner (they go out by
direct message; the officer hears how it went in a private follow-up). The sentence returned
joins the finalize answer's note; "" when the guild sends no payout messages."""

from __future__ import annotations

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
