"""The books as members and officers read them: stored payroll versions turned into
:class:`~sunday_mining.domain.books.FinalPayroll` for the pure core in ``domain/books.py``, and
what ``/mining me`` shows a member (their recent sessions, their lines, what they are owed), and
what officers read: the org's ledger, attendance and pay per member, every line still owed.

Reads, but for one thing: the lines an officer picked to mark paid across payrolls are kept for a
day (a pick), so the confirmation's button carries only the pick's id; the marks themselves are
written by the payroll's payments, the same marks its per-payroll view shows. Every final and
replaced version of the guild is read (the books leave out what an amendment replaced); each
op's start comes from its session, read once per session.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sunday_mining.domain import books as book
from sunday_mining.domain.books import (
    Attendee,
    EarlierPayment,
    FinalPayroll,
    Ledger,
    MemberStats,
    MemberView,
    PayeeLine,
    Period,
)
from sunday_mining.domain.errors import NotFound, ValidationError
from sunday_mining.domain.ids import is_id, new_id
from sunday_mining.domain.session import PayrollState, Session
from sunday_mining.ports.store import SortKey, Store
from sunday_mining.services import keys
from sunday_mining.services.payroll.codec import VERSION_PREFIX, version_from_item
from sunday_mining.services.payroll.model import PayrollStatus, PayrollVersion
from sunday_mining.services.payroll.payments import Payments
from sunday_mining.services.sessions import SessionService
from sunday_mining.services.summary import SummaryService

# How many of the guild's latest sessions /mining me looks through for the member's own, and
# how many of those it counts time for (counting reads a session's voice records).
RECENT_SESSIONS_READ = 10
RECENT_SESSIONS_SHOWN = 5
PICK_PREFIX = "BOOKPICK#"
PICK_TTL_S = 86_400
PICK_EXPIRED = "That pick is no longer kept; run /mining owed and pick the lines again."


@dataclass(frozen=True)
class PickedLine:
    """One line an officer picked to mark paid: the payee in one payroll version, and what the
    list showed them owed."""

    payroll_id: str
    payee_id: str
    owed: int


@dataclass(frozen=True)
class Pick:
    pick_id: str
    by: str
    lines: tuple[PickedLine, ...]

    @property
    def total(self) -> int:
        return sum(line.owed for line in self.lines)


@dataclass(frozen=True)
class Marked:
    """What marking a pick did: ``marked`` now paid, or, when any line changed since it was
    picked (paid by someone, amended, another amount), those ``stale`` lines and nothing
    marked."""

    marked: tuple[PickedLine, ...] = ()
    stale: tuple[PickedLine, ...] = ()


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
            book.member_view(finals, user_id), self._recent(guild_id, user_id, finals)
        )

    def ledger(self, guild_id: str, time_zone: str, period: Period | None) -> Ledger:
        """The org's cuts, donations, reimbursements and fees of the ops in ``period`` (all
        when None)."""
        return book.ledger(self.final_payrolls(guild_id), time_zone, period)

    def stats(self, guild_id: str, period: Period) -> list[MemberStats]:
        return book.member_stats(self.final_payrolls(guild_id), period)

    def still_owed(self, guild_id: str) -> list[PayeeLine]:
        """Every unpaid payee line across the current final payrolls, oldest debt first."""
        return book.still_owed(self.final_payrolls(guild_id))

    def remember_pick(
        self, guild_id: str, user_id: str, lines: Sequence[PayeeLine], now_ms: int
    ) -> Pick:
        """Keep the lines an officer picked until they confirm (a day at most)."""
        pick = Pick(
            new_id(now_ms),
            user_id,
            tuple(PickedLine(x.payroll_id, x.payee_id, x.owed) for x in lines),
        )
        pk, sk = _pick_key(guild_id, pick.pick_id)
        self._store.put(
            {
                "pk": pk,
                "sk": sk,
                "by": user_id,
                "lines": [[x.payroll_id, x.payee_id, x.owed] for x in pick.lines],
                "ttl": now_ms // 1000 + PICK_TTL_S,
            }
        )
        return pick

    def pick(self, guild_id: str, pick_id: str, now_ms: int) -> Pick:
        """A kept pick, or NotFound when it is unknown or older than a day."""
        item = self._store.get(_pick_key(guild_id, pick_id)) if is_id(pick_id) else None
        if item is None or int(item.get("ttl", 0)) <= now_ms // 1000:
            raise NotFound(PICK_EXPIRED)
        lines = tuple(PickedLine(str(p), str(u), int(o)) for p, u, o in item.get("lines", []))
        return Pick(pick_id, str(item.get("by", "")), lines)

    def mark_picked(self, guild_id: str, pick: Pick, user_id: str, payments: Payments) -> Marked:
        """Mark every line of ``pick`` paid, payroll by payroll through ``payments`` — unless a
        line changed since it was picked: then nothing is marked and those lines are named."""
        owed_now = {(x.payroll_id, x.payee_id): x.owed for x in self.still_owed(guild_id)}
        stale = tuple(x for x in pick.lines if owed_now.get((x.payroll_id, x.payee_id)) != x.owed)
        if stale:
            return Marked(stale=stale)
        payees: dict[str, list[str]] = defaultdict(list)
        for line in pick.lines:
            payees[line.payroll_id].append(line.payee_id)
        versions = {payroll_id: payments.get(guild_id, payroll_id) for payroll_id in payees}
        for payroll_id, chosen in payees.items():
            _refuse_holders(versions[payroll_id], chosen)
        for payroll_id, chosen in payees.items():
            version = versions[payroll_id]
            if version.settlement is None:
                payments.set_paid(guild_id, payroll_id, user_id, chosen, chosen)
                continue
            # Paid by transfers: a payee is paid once every transfer to their holder is sent.
            sent = incoming_transfers(version, chosen)
            payments.set_transfers_paid(guild_id, payroll_id, user_id, sent, sent, officer=True)
        return Marked(marked=pick.lines)

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


def _refuse_holders(version: PayrollVersion, payees: Iterable[str]) -> None:
    """A member who also receives the org's cut by transfer is paid by the same transfers as
    the org: marking their line alone would mark the org's aUEC sent too."""
    kept = version.settlement
    if kept is None or kept.treasurer_id is None or kept.treasurer_id not in set(payees):
        return
    if any(t.receiver == kept.treasurer_id for t in kept.transfers):
        raise ValidationError(
            "The treasurer also receives the org's cut by transfer; tick their transfers "
            "under Transfers in /mining payroll."
        )


def incoming_transfers(version: PayrollVersion, payees: Iterable[str]) -> list[int]:
    """The places in the version's plan of the unsent transfers to the members holding the
    payouts of ``payees`` (themselves, or the treasurer for the org's cut)."""
    kept = version.settlement
    if kept is None:
        return []
    holders = kept.holders()
    receivers = {holders.get(payee, payee) for payee in payees}
    return [
        index
        for index, t in enumerate(kept.transfers)
        if t.receiver in receivers and (t.sender, t.receiver) not in kept.marks
    ]


def _pick_key(guild_id: str, pick_id: str) -> tuple[str, str]:
    return keys.guild_pk(guild_id), f"{PICK_PREFIX}{pick_id}"


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
        unsent=unsent_transfers(version),
        transfer_fees=_transfer_fees(version),
    )


def _transfer_fees(version: PayrollVersion) -> int:
    """The fees of a plan's transfers and of what was sent under the versions it replaced:
    the op counts once, as its newest version, with every fee its payments cost."""
    kept = version.settlement
    if kept is None:
        return 0
    return sum(t.fee for t in kept.transfers) + sum(x.transfer.fee for x in kept.sent_before)


def unsent_transfers(version: PayrollVersion) -> dict[str, int] | None:
    """Paid by a settlement plan: per payee, what the transfers not sent yet still bring them.
    What reaches a member counts towards their own payout first, then towards the payouts they
    hold for others (the org's cut, with the treasurer). None when paid payee by payee."""
    kept, result = version.settlement, version.result
    if kept is None or result is None:
        return None
    holders = kept.holders()
    coming: dict[str, int] = defaultdict(int)
    for t in kept.transfers:
        if (t.sender, t.receiver) not in kept.marks:
            coming[t.receiver] += t.amount_received
    payouts = result.payouts_by_payee()
    # What has arrived pays the member's own line first, so what is still coming is the
    # payouts they hold for others first (the org's cut), then their own.
    order = sorted(payouts, key=lambda payee: (payee not in holders, payee))
    unsent: dict[str, int] = {}
    for payee in order:
        holder = holders.get(payee, payee)
        unsent[payee] = min(coming[holder], payouts[payee])
        coming[holder] -= unsent[payee]
    return unsent
