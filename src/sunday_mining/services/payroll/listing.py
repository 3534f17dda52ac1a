"""Lists of the payroll flow: payable sessions, autocomplete, the audit log, prices."""

from __future__ import annotations

from sunday_mining.domain.prices import PriceSnapshot
from sunday_mining.domain.session import PayrollState, Session, SessionType
from sunday_mining.ports.store import (
    Page,
    SortKey,
    Update,
)
from sunday_mining.services import keys
from sunday_mining.services.codec import session_from_item
from sunday_mining.services.payroll.base import PayrollBase
from sunday_mining.services.payroll.codec import AUDIT_PREFIX, head_key
from sunday_mining.services.payroll.model import AuditEntry, PayableSession

# Counting participants needs a session's voice records; the pick list counts at most this many
# uncounted sessions per request (the rest show up as they are counted) to stay within 3 s.
COUNTS_PER_REQUEST = 3


class PayrollListing(PayrollBase):
    """Read-only lists; the pick list caches participant counts on the head."""

    def current_prices(self) -> PriceSnapshot:
        return self._prices.current()

    def audit_log(self, guild_id: str, *, limit: int = 50) -> list[AuditEntry]:
        """Newest first."""
        page = self._store.query(
            keys.guild_pk(guild_id), SortKey.begins_with(AUDIT_PREFIX), forward=False, limit=limit
        )
        return [
            AuditEntry(
                int(i["at_ms"]),
                str(i["by"]),
                str(i["action"]),
                str(i["payroll_id"]),
                str(i["session_id"]),
                str(i["detail"]),
            )
            for i in page.items
        ]

    def payable_sessions(
        self,
        guild_id: str,
        *,
        before: str | None,
        limit: int,
        creator_id: str | None = None,
    ) -> tuple[list[PayableSession], bool]:
        """Stopped sessions without a final payroll, newest first, older than ``before``.

        Keyset pages (``before`` is the last session id shown) need no stored cursor, so a
        day-old "Older" button still works. ``creator_id`` limits the list to that member's
        adhoc sessions (a creator who is not a payroll officer).
        """
        wanted: list[Session] = []
        cursor: str | None = None
        for _ in range(10):  # each round reads one page of sessions; the filter drops some
            page = self._session_page(guild_id, before, creator_id, cursor)
            for item in page.items:
                session = session_from_item(item)
                if session.session_id != before and _payable(session, creator_id):
                    wanted.append(session)
            cursor = page.cursor
            if cursor is None or len(wanted) > limit:
                break
        more = len(wanted) > limit or cursor is not None
        return self._with_counts(guild_id, wanted[:limit]), more

    def _session_page(
        self, guild_id: str, before: str | None, creator_id: str | None, cursor: str | None
    ) -> Page:
        if creator_id is not None:
            return self._store.query_index(
                "gsi2",
                keys.creator_index_pk(guild_id, creator_id),
                SortKey(high=before) if before else None,
                forward=False,
                limit=50,
                cursor=cursor,
            )
        sort = (
            SortKey.between(keys.SESSION_PREFIX, f"{keys.SESSION_PREFIX}{before}")
            if before
            else SortKey.begins_with(keys.SESSION_PREFIX)
        )
        return self._store.query(
            keys.guild_pk(guild_id), sort, forward=False, limit=50, cursor=cursor
        )

    def _with_counts(self, guild_id: str, sessions: list[Session]) -> list[PayableSession]:
        budget = COUNTS_PER_REQUEST
        shown: list[PayableSession] = []
        for session in sessions:
            head = self.head(guild_id, session.session_id)
            count = head.participants if head.participants_version == session.version else None
            if count is None and budget > 0:
                budget -= 1
                count = len(self._summaries.summary_of(session).participants)
                self._store.update(
                    head_key(guild_id, session.session_id),
                    Update(set={"participants": count, "participants_version": session.version}),
                )
            shown.append(PayableSession(session, count))
        return shown

    def recent_for_autocomplete(
        self, guild_id: str, typed: str, *, creator_id: str | None = None
    ) -> list[Session]:
        """Stopped sessions whose name contains ``typed`` (finals too, to reach paid/amend)."""
        needle = typed.casefold().strip()
        page = self._session_page(guild_id, None, creator_id, None)
        found = []
        for item in page.items:
            session = session_from_item(item)
            if session.is_active or (creator_id and session.type is not SessionType.ADHOC):
                continue
            if needle in session.name.casefold() or needle == session.session_id.casefold():
                found.append(session)
        return found[:25]


def _payable(session: Session, creator_id: str | None) -> bool:
    if session.is_active or session.payroll_state is PayrollState.FINAL:
        return False
    return creator_id is None or session.type is SessionType.ADHOC
