"""Payroll versions of a stopped session: drafts, finalize, discard, amend, paid flags and an
audit log.

Every amount comes from :func:`sunday_mining.domain.payroll.compute`; this service keeps the
inputs, stores what compute() returned when a version is finalized, and guards the states with
conditional writes so that two tabs, two officers or a retried click can never produce two final
payrolls or lose an edit.

Items, all under the guild's partition ``G#<guild>``:
  ``PAYHEAD#<session_id>``   which version is the open draft and which is final, the version
                             ids in order, and a cached participant count for the pick list
  ``PAYROLL#<payroll_id>``   one version: inputs, the price snapshot time used, status
                             (draft / final / superseded), a revision number that every write
                             checks, and once final the computed lines, per-payee paid flags,
                             (an amendment) what earlier versions paid payees whose amount changed
                             and, with several sellers, the settlement plan's transfers with a
                             paid mark each (``settling.settlement_of`` reads it back), and
                             after an amendment what was sent under the versions it replaced
  ``AUDIT#<ms>#<id>#<rev>``  who did what, when, to which version (and the revision made)
A version's id sorts by creation time, so a custom_id can carry it and a day-old click still
finds it. A discarded draft's item is deleted (the audit log keeps that it existed).

Modules: ``model`` (versions, members, lists), ``codec`` (keys and items), ``rules`` (limits and
shared checks), ``text`` and ``pricing`` (pure helpers), ``base`` (ports, reading, saving) and one
module per part of the flow, which ``service`` puts together as :class:`PayrollService`.
"""

from sunday_mining.services.payroll.codec import version_key
from sunday_mining.services.payroll.model import (
    AddedMembers,
    Member,
    OreEntry,
    Owed,
    PayableSession,
    PayrollStatus,
    PayrollVersion,
    PriceMode,
    SentBefore,
)
from sunday_mining.services.payroll.payments import owed_of, owed_total
from sunday_mining.services.payroll.rules import MAX_ADDED_MEMBERS, MAX_LABEL, MAX_PICKED
from sunday_mining.services.payroll.service import PayrollService
from sunday_mining.services.payroll.settling import (
    Preview,
    sent_before,
    settlement_of,
    uses_plan,
)
from sunday_mining.services.payroll.text import age_text, unpaid_reason

__all__ = [
    "MAX_ADDED_MEMBERS",
    "MAX_LABEL",
    "MAX_PICKED",
    "AddedMembers",
    "Member",
    "OreEntry",
    "Owed",
    "PayableSession",
    "PayrollService",
    "PayrollStatus",
    "PayrollVersion",
    "Preview",
    "PriceMode",
    "SentBefore",
    "age_text",
    "owed_of",
    "owed_total",
    "sent_before",
    "settlement_of",
    "unpaid_reason",
    "uses_plan",
    "version_key",
]
