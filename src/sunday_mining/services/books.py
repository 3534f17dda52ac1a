"""The books as members and officers read them: stored payroll versions turned into
:class:`~sunday_mining.domain.books.FinalPayroll` for the pure core in ``domain/books.py``, and
what ``/mining me`` shows a member (their recent sessions, their lines, what they are owed).

Reads only. Every final and replaced version of the guild is read (the books leave out what an
amendment replaced); each op's start comes from its session, read once per session.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sunday_mining.domain.books import Attendee, EarlierPayment, FinalPayroll, MemberView
from sunday_mining.domain.books import member_view as book_member_view
from sunday_mining.domain.errors import NotFound
from sunday_mining.domain.session import PayrollState, Session
from sunday_mining.ports.store import SortKey, Store
from sunday_mining.services import keys
from sunday_mining.services.payroll.codec import VERSION_PREFIX, version_from_item
from sunday_mining.services.payroll.model import PayrollStatus, PayrollVersion
from sunday_mining.services.sessions import SessionService
from sunday_mining.services.summary import SummaryService

# How many of the guild's latest sessions /mining me looks through for the member's own, and
# how many of those it counts time for (counting reads a session's voice records).
RECENT_SESSIONS_READ = 10
RECENT_SESSIONS_SHOWN = 5


@dataclass(frozen=True)
class MySession:
    """A recent session the member sat in: their credited seconds (after the officer's
    adjustments once the payroll is final) and where the session stands, in words."""

    session_id: str
    name: str
    started_ms: int
    credited_s: int
    status: str


@dataclass(frozen=True)
class MemberBooks:
    """What ``/mining me`` shows: the member's view of the books and their recent sessions."""

    view: MemberView
    sessions: tuple[MySession, ...]


class Books:
    def __init__(self, store: Store, sessions: SessionService, summaries: SummaryService) -> None:
        self._store = store
        self._sessions = sessions
        self._summaries = summaries

    def final_payrolls(self, guild_id: str) -> list[FinalPayroll]:
        """Every finalized version of the guild (replaced ones too: the books need them for
        the history of an amended payroll)."""
        items = self._store.query_all(keys.guild_pk(guild_id), SortKey.begins_with(VERSION_PREFIX))
        versions = [version_from_item(i) for i in items]
        finals = [v for v in versions if v.status is not PayrollStatus.DRAFT and v.finalized_ms]
        starts = self._starts(guild_id, {v.session_id for v in finals})
        return [to_final(v, starts.get(v.session_id, v.created_ms)) for v in finals]

    def member(self, guild_id: str, user_id: str) -> MemberBooks:
        finals = self.final_payrolls(guild_id)
        return MemberBooks(
            book_member_view(finals, user_id), self._recent(guild_id, user_id, finals)
        )

    def _starts(self, guild_id: str, session_ids: Iterable[str]) -> dict[str, int]:
        starts = {}
        for session_id in sorted(session_ids):
            try:
                starts[session_id] = self._sessions.get(guild_id, session_id).started_ms
            except NotFound:
                continue  # the version keeps its own creation time as the op's
        return starts

    def _recent(
        self, guild_id: str, user_id: str, finals: list[FinalPayroll]
    ) -> tuple[MySession, ...]:
        current = {p.session_id: p for p in finals if p.superseded_by is None}
        sessions, _ = self._sessions.recent(guild_id, limit=RECENT_SESSIONS_READ)
        found: list[MySession] = []
        for session in sessions:
            if len(found) == RECENT_SESSIONS_SHOWN:
                break
            credited = self._credited(session, user_id, current.get(session.session_id))
            if credited is not None:
                found.append(
                    MySession(
                        session.session_id,
                        session.name,
                        session.started_ms,
                        credited,
                        _status(session),
                    )
                )
        return tuple(found)

    def _credited(self, session: Session, user_id: str, final: FinalPayroll | None) -> int | None:
        if final is not None:
            mine = [a.credited_s for a in final.attendees if a.user_id == user_id]
            return mine[0] if mine else None
        summary = self._summaries.summary_of(session)
        mine = [p.credited_seconds for p in summary.participants if p.user_id == user_id]
        return mine[0] if mine else None


def _status(session: Session) -> str:
    if session.is_active:
        return "running"
    if session.payroll_state is PayrollState.FINAL:
        return "payroll final"
    if session.payroll_state is PayrollState.DRAFT:
        return "payroll in progress"
    return "stopped, not paid yet"


def to_final(version: PayrollVersion, op_ms: int) -> FinalPayroll:
    """A finalized version as the books read it."""
    result = version.result
    if result is None or version.finalized_ms is None:
        raise ValueError("only a finalized payroll version is in the books")
    return FinalPayroll(
        payroll_id=version.payroll_id,
        session_id=version.session_id,
        session_name=version.session_name,
        number=version.number,
        op_ms=op_ms,
        finalized_ms=version.finalized_ms,
        gross=result.gross,
        lines=tuple(result.lines),
        attendees=tuple(Attendee(m.user_id, m.seconds) for m in version.members),
        paid={payee: mark.at_ms for payee, mark in version.paid.items()},
        paid_before={
            payee: EarlierPayment(prior.amount, prior.at_ms)
            for payee, prior in (version.paid_before or {}).items()
        },
        supersedes=version.supersedes,
        superseded_by=version.superseded_by,
    )
