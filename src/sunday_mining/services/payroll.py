"""Payroll versions of a stopped session: drafts, finalize, amend, paid flags and an audit log.

Every amount comes from :func:`sunday_mining.domain.payroll.compute`; this service keeps the
inputs, stores what compute() returned when a version is finalized, and guards the states with
conditional writes so that two tabs, two officers or a retried click can never produce two final
payrolls or lose an edit.

Items, all under the guild's partition ``G#<guild>``:
  ``PAYHEAD#<session_id>``   which version is the open draft and which is final, the version
                             ids in order, and a cached participant count for the pick list
  ``PAYROLL#<payroll_id>``   one version: inputs, the price snapshot time used, status
                             (draft / final / superseded), a revision number that every write
                             checks, and once final the computed lines and per-payee paid flags
  ``AUDIT#<ms>#<id>#<rev>``  who did what, when, to which version (and the revision made)
A version's id sorts by creation time, so a custom_id can carry it and a day-old click still
finds it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from sunday_mining.domain import ores as ore_catalogue
from sunday_mining.domain.clock import Clock
from sunday_mining.domain.errors import ConditionFailed, NotFound, StateConflict, ValidationError
from sunday_mining.domain.guild import DonationPolicy
from sunday_mining.domain.ids import is_id, new_id
from sunday_mining.domain.payroll import (
    MAX_MULTIPLIER_MILLI,
    MAX_SALE_TOTAL,
    MILLI,
    ORG_PAYEE_ID,
    PRICE_TYPED,
    Expense,
    FlatAmount,
    IncomeLine,
    LineKind,
    Participant,
    PayoutLine,
    PayrollInput,
    PayrollResult,
    Percentage,
    UnpaidParticipant,
    compute,
    format_auec,
)
from sunday_mining.domain.presence import Participant as SummaryParticipant
from sunday_mining.domain.prices import PriceSnapshot
from sunday_mining.domain.session import PayrollState, Session, SessionStatus, SessionType
from sunday_mining.ports.store import (
    And,
    AttrAbsent,
    Compare,
    Condition,
    Item,
    ItemAbsent,
    Key,
    Page,
    SortKey,
    Store,
    TxCheck,
    TxOp,
    TxPut,
    TxUpdate,
    Update,
    eq,
)
from sunday_mining.services import codec, keys
from sunday_mining.services.guilds import GuildService
from sunday_mining.services.prices import PriceService
from sunday_mining.services.sessions import SessionService
from sunday_mining.services.summary import SummaryService

HEAD_PREFIX = "PAYHEAD#"
VERSION_PREFIX = "PAYROLL#"
AUDIT_PREFIX = "AUDIT#"
# Each list the flow shows in one select holds at most 25 options; these caps keep the lists
# that have no pages (income lines, cuts) inside that by construction.
MAX_INCOME_LINES = 25
MAX_CUTS = 25
MAX_LABEL = 60
MAX_REASON = 200
MAX_ADJUST_S = 24 * 3600
# Counting participants needs a session's voice records; the pick list counts at most this many
# uncounted sessions per request (the rest show up as they are counted) to stay within 3 s.
COUNTS_PER_REQUEST = 3
_PAID_ATTEMPTS = 3


class PayrollStatus(StrEnum):
    DRAFT = "draft"
    FINAL = "final"
    SUPERSEDED = "superseded"


class PriceMode(StrEnum):
    BEST = "best"
    AVERAGE = "average"
    TYPED = "typed"


# --- the model ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    """A participant as the officer validated them; ``credited_s`` is what voice time says."""

    user_id: str
    credited_s: int
    below_minimum: bool
    gap_affected: bool
    included: bool
    donates: bool = False
    multiplier_milli: int = MILLI
    adjust_s: int = 0
    reason: str = ""
    decided_by: str | None = None
    decided_ms: int | None = None

    @property
    def seconds(self) -> int:
        """Credited seconds after the officer's adjustment (never below 0 by validation)."""
        return self.credited_s + self.adjust_s

    def participant(self) -> Participant:
        return Participant(
            self.user_id, self.seconds, self.multiplier_milli, self.included, self.donates
        )


@dataclass(frozen=True)
class PaidMark:
    by: str
    at_ms: int


@dataclass(frozen=True)
class OreEntry:
    """An ore amount as typed: the price is resolved from the snapshot unless typed."""

    ore_id: int
    scu_centi: int
    mode: PriceMode = PriceMode.BEST
    typed_price: int | None = None


@dataclass(frozen=True)
class PayrollVersion:
    guild_id: str
    payroll_id: str
    session_id: str
    session_name: str
    session_type: SessionType
    session_creator: str
    session_version: int
    number: int
    status: PayrollStatus
    rev: int
    created_by: str
    created_ms: int
    updated_by: str
    updated_ms: int
    donation_policy: DonationPolicy
    transfer_fee_bp: int
    minimum_s: int
    members: tuple[Member, ...] = ()
    income: tuple[IncomeLine, ...] = ()
    expenses: tuple[Expense, ...] = ()
    flats: tuple[FlatAmount, ...] = ()
    percentages: tuple[Percentage, ...] = ()
    stale_accepted_ms: int | None = None  # the old snapshot the officer chose to use anyway
    price_snapshot_ms: int | None = None  # the snapshot the latest snapshot price came from
    supersedes: str | None = None
    superseded_by: str | None = None
    finalized_by: str | None = None
    finalized_ms: int | None = None
    result: PayrollResult | None = None
    paid: Mapping[str, PaidMark] = field(default_factory=dict)

    @property
    def is_draft(self) -> bool:
        return self.status is PayrollStatus.DRAFT

    def member(self, user_id: str) -> Member:
        found = next((m for m in self.members if m.user_id == user_id), None)
        if found is None:
            raise ValidationError("That member is not a participant of this session.")
        return found

    def to_input(self) -> PayrollInput:
        return PayrollInput(
            income=self.income,
            expenses=self.expenses,
            flats=self.flats,
            percentages=self.percentages,
            participants=[m.participant() for m in self.members],
            donation_policy=self.donation_policy,
            transfer_fee_bp=self.transfer_fee_bp,
        )

    def payees(self) -> list[tuple[str, int]]:
        """(payee, net aUEC) of a computed version, most first; nobody with nothing to get."""
        if self.result is None:
            return []
        nets = self.result.payouts_by_payee()
        return sorted(
            ((payee, net) for payee, net in nets.items() if net > 0), key=lambda p: (-p[1], p[0])
        )


@dataclass(frozen=True)
class PayrollHead:
    session_id: str
    draft_id: str | None = None
    final_id: str | None = None
    version_ids: tuple[str, ...] = ()
    participants: int | None = None
    participants_version: int | None = None


@dataclass(frozen=True)
class PayableSession:
    session: Session
    participants: int | None  # None: not counted yet


@dataclass(frozen=True)
class Owed:
    payee_id: str
    net: int
    paid_before: int | None  # what the superseded version recorded as paid, for reference


@dataclass(frozen=True)
class AuditEntry:
    at_ms: int
    by: str
    action: str
    payroll_id: str
    session_id: str
    detail: str


# --- keys and items ---------------------------------------------------------------------------


def head_key(guild_id: str, session_id: str) -> Key:
    return keys.guild_pk(guild_id), f"{HEAD_PREFIX}{session_id}"


def version_key(guild_id: str, payroll_id: str) -> Key:
    return keys.guild_pk(guild_id), f"{VERSION_PREFIX}{payroll_id}"


_BELOW, _GAP, _INCLUDED, _DONATES = 1, 2, 4, 8


def _member_row(m: Member) -> list[Any]:
    flags = (
        (_BELOW if m.below_minimum else 0)
        | (_GAP if m.gap_affected else 0)
        | (_INCLUDED if m.included else 0)
        | (_DONATES if m.donates else 0)
    )
    # Rows, not maps: a 1,000-member op must stay far below DynamoDB's 400 KB per item.
    return [
        m.user_id,
        m.credited_s,
        flags,
        m.multiplier_milli,
        m.adjust_s,
        m.reason,
        m.decided_by,
        m.decided_ms,
    ]


def _member_from_row(row: Sequence[Any]) -> Member:
    user_id, credited, flags, multiplier, adjust, reason, by, at = row
    return Member(
        str(user_id),
        int(credited),
        bool(flags & _BELOW),
        bool(flags & _GAP),
        bool(flags & _INCLUDED),
        bool(flags & _DONATES),
        int(multiplier),
        int(adjust),
        str(reason),
        by,
        at,
    )


def _income_to(line: IncomeLine) -> dict[str, Any]:
    if line.sale_total is not None:
        return {"sale": line.sale_total, "label": line.label}
    return {
        "ore": line.ore_id,
        "name": line.ore_name,
        "scu_centi": line.scu_centi,
        "price": line.price_per_scu,
        "source": line.price_source,
        "snapshot_ms": line.snapshot_ms,
    }


def _income_from(raw: Mapping[str, Any]) -> IncomeLine:
    if "sale" in raw:
        return IncomeLine.sale(int(raw["sale"]), str(raw["label"]))
    return IncomeLine.ore(
        int(raw["ore"]),
        str(raw["name"]),
        int(raw["scu_centi"]),
        int(raw["price"]),
        str(raw["source"]),
        raw.get("snapshot_ms"),
    )


def _result_to(result: PayrollResult) -> dict[str, Any]:
    return {
        "gross": result.gross,
        "lines": [
            [x.payee_id, x.kind.value, x.amount, x.fee, x.net, x.explanation] for x in result.lines
        ],
        "explanations": list(result.explanations),
        "unpaid": [[u.user_id, u.reason] for u in result.unpaid],
        "deducted": result.deducted,
        "pool": result.pool,
        "share_pool": result.share_pool,
        "donated": result.donated,
        "policy": result.donation_policy.value,
    }


def _result_from(raw: Mapping[str, Any]) -> PayrollResult:
    return PayrollResult(
        gross=int(raw["gross"]),
        lines=[
            PayoutLine(str(p), LineKind(k), int(a), int(f), int(n), str(e))
            for p, k, a, f, n, e in raw["lines"]
        ],
        explanations=[str(s) for s in raw["explanations"]],
        unpaid=[UnpaidParticipant(str(u), str(r)) for u, r in raw["unpaid"]],
        deducted=int(raw["deducted"]),
        pool=int(raw["pool"]),
        share_pool=int(raw["share_pool"]),
        donated=int(raw["donated"]),
        donation_policy=DonationPolicy(raw["policy"]),
    )


def version_to_item(v: PayrollVersion) -> Item:
    pk, sk = version_key(v.guild_id, v.payroll_id)
    return {
        "pk": pk,
        "sk": sk,
        "guild_id": v.guild_id,
        "payroll_id": v.payroll_id,
        "session_id": v.session_id,
        "session_name": v.session_name,
        "session_type": v.session_type.value,
        "session_creator": v.session_creator,
        "session_version": v.session_version,
        "number": v.number,
        "status": v.status.value,
        "rev": v.rev,
        "created_by": v.created_by,
        "created_ms": v.created_ms,
        "updated_by": v.updated_by,
        "updated_ms": v.updated_ms,
        "donation_policy": v.donation_policy.value,
        "transfer_fee_bp": v.transfer_fee_bp,
        "minimum_s": v.minimum_s,
        "members": [_member_row(m) for m in v.members],
        "income": [_income_to(line) for line in v.income],
        "expenses": [[e.label, e.amount, e.claimant_id] for e in v.expenses],
        "flats": [[f.label, f.payee_id, f.amount] for f in v.flats],
        "percentages": [[p.label, p.payee_id, p.basis_points] for p in v.percentages],
        "stale_accepted_ms": v.stale_accepted_ms,
        "price_snapshot_ms": v.price_snapshot_ms,
        "supersedes": v.supersedes,
        "superseded_by": v.superseded_by,
        "finalized_by": v.finalized_by,
        "finalized_ms": v.finalized_ms,
        "result": _result_to(v.result) if v.result is not None else None,
        "paid": {payee: {"by": m.by, "at_ms": m.at_ms} for payee, m in sorted(v.paid.items())},
    }


def version_from_item(item: Item) -> PayrollVersion:
    result = item.get("result")
    return PayrollVersion(
        guild_id=str(item["guild_id"]),
        payroll_id=str(item["payroll_id"]),
        session_id=str(item["session_id"]),
        session_name=str(item["session_name"]),
        session_type=SessionType(item["session_type"]),
        session_creator=str(item["session_creator"]),
        session_version=int(item["session_version"]),
        number=int(item["number"]),
        status=PayrollStatus(item["status"]),
        rev=int(item["rev"]),
        created_by=str(item["created_by"]),
        created_ms=int(item["created_ms"]),
        updated_by=str(item["updated_by"]),
        updated_ms=int(item["updated_ms"]),
        donation_policy=DonationPolicy(item["donation_policy"]),
        transfer_fee_bp=int(item["transfer_fee_bp"]),
        minimum_s=int(item["minimum_s"]),
        members=tuple(_member_from_row(row) for row in item["members"]),
        income=tuple(_income_from(raw) for raw in item["income"]),
        expenses=tuple(Expense(str(a), int(b), c) for a, b, c in item["expenses"]),
        flats=tuple(FlatAmount(str(a), str(b), int(c)) for a, b, c in item["flats"]),
        percentages=tuple(Percentage(str(a), str(b), int(c)) for a, b, c in item["percentages"]),
        stale_accepted_ms=item.get("stale_accepted_ms"),
        price_snapshot_ms=item.get("price_snapshot_ms"),
        supersedes=item.get("supersedes"),
        superseded_by=item.get("superseded_by"),
        finalized_by=item.get("finalized_by"),
        finalized_ms=item.get("finalized_ms"),
        result=_result_from(result) if result else None,
        paid={
            str(payee): PaidMark(str(mark["by"]), int(mark["at_ms"]))
            for payee, mark in (item.get("paid") or {}).items()
        },
    )


def _head_from_item(session_id: str, item: Item | None) -> PayrollHead:
    if item is None:
        return PayrollHead(session_id)
    return PayrollHead(
        session_id=session_id,
        draft_id=item.get("draft_id"),
        final_id=item.get("final_id"),
        version_ids=tuple(item.get("version_ids") or ()),
        participants=item.get("participants"),
        participants_version=item.get("participants_version"),
    )


# --- small pure helpers -----------------------------------------------------------------------


def clean_label(text: str, what: str) -> str:
    label = " ".join(text.split())
    if not label:
        raise ValidationError(f"Give the {what} a name.")
    if len(label) > MAX_LABEL:
        raise ValidationError(f"Keep the {what}'s name to {MAX_LABEL} characters.")
    return label


def _probe(version: PayrollVersion) -> None:
    """Run the engine on the version's money inputs so a bad one is refused with its reason.

    The participants are replaced by one stand-in (their own checks happen where they are
    edited), so an unrelated participant state never blocks adding an expense; with no income
    yet, a stand-in sale as large as the engine allows lets each cut be checked on its own.
    """
    income = version.income or (IncomeLine.sale(MAX_SALE_TOTAL, "stand-in"),)
    compute(
        PayrollInput(
            income=income,
            expenses=version.expenses,
            flats=version.flats,
            percentages=version.percentages,
            participants=[Participant("stand-in", 1)],
            donation_policy=version.donation_policy,
            transfer_fee_bp=version.transfer_fee_bp,
        )
    )


def _same_label(a: str, b: str) -> bool:
    return a.casefold() == b.casefold()


def _duration(seconds: int) -> str:
    hours, rest = divmod(abs(seconds), 3600)
    sign = "-" if seconds < 0 else ""
    return f"{sign}{hours} h {rest // 60:02d} min" if hours else f"{sign}{rest // 60} min"


def age_text(age_ms: int) -> str:
    """How old prices are, in the unit a person would use: "49 min", "5 h 10 min", "3 days"."""
    days = age_ms // 86_400_000
    return f"{days} days" if days >= 2 else _duration(age_ms // 1000)


def _scu_text(scu_centi: int) -> str:
    whole, centi = divmod(scu_centi, 100)
    return f"{whole:,}.{centi:02d}".rstrip("0").rstrip(".")


# --- the service ----------------------------------------------------------------------------


class PayrollService:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        guilds: GuildService,
        sessions: SessionService,
        summaries: SummaryService,
        prices: PriceService,
    ) -> None:
        self._store = store
        self._clock = clock
        self._guilds = guilds
        self._sessions = sessions
        self._summaries = summaries
        self._prices = prices

    # --- reading ------------------------------------------------------------------------------

    def get(self, guild_id: str, payroll_id: str) -> PayrollVersion:
        # The id comes from a custom_id a user could edit: check its shape before using it.
        if not is_id(payroll_id):
            raise NotFound("I can't find that payroll; run /mining payroll again.")
        item = self._store.get(version_key(guild_id, payroll_id))
        if item is None:
            raise NotFound("I can't find that payroll in this server; run /mining payroll again.")
        return version_from_item(item)

    def draft(self, guild_id: str, payroll_id: str) -> PayrollVersion:
        """The version, which must still be a draft (a stale button gets a polite refusal)."""
        version = self.get(guild_id, payroll_id)
        if version.status is PayrollStatus.FINAL:
            raise StateConflict(
                f"Version {version.number} of '{version.session_name}' was finalized by "
                f"<@{version.finalized_by}> and can't change; run /mining payroll to mark "
                "payments or amend it."
            )
        if version.status is PayrollStatus.SUPERSEDED:
            raise StateConflict(
                f"Version {version.number} of '{version.session_name}' has been replaced by a "
                "newer one; run /mining payroll to see the current payroll."
            )
        return version

    def head(self, guild_id: str, session_id: str) -> PayrollHead:
        return _head_from_item(session_id, self._store.get(head_key(guild_id, session_id)))

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
                session = codec.session_from_item(item)
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
            session = codec.session_from_item(item)
            if session.is_active or (creator_id and session.type is not SessionType.ADHOC):
                continue
            if needle in session.name.casefold() or needle == session.session_id.casefold():
                found.append(session)
        return found[:25]

    # --- opening a draft --------------------------------------------------------------------

    def open(self, guild_id: str, session_id: str, user_id: str) -> PayrollVersion:
        """The session's open draft (created now if none), or its final version."""
        session = self._sessions.get(guild_id, session_id)
        if session.is_active:
            raise StateConflict(
                f"'{session.name}' is still running; stop it with /mining stop before payroll."
            )
        head = self.head(guild_id, session_id)
        if head.draft_id:
            return self._fresh_times(self.get(guild_id, head.draft_id), session, user_id)
        if head.final_id:
            return self.get(guild_id, head.final_id)
        return self._create(session, head, user_id)

    def _create(self, session: Session, head: PayrollHead, user_id: str) -> PayrollVersion:
        if session.payroll_state is PayrollState.FINAL:
            raise StateConflict(f"'{session.name}' already has a final payroll.")
        now = self._clock.now_ms()
        config = self._guilds.get(session.guild_id)
        settings = config.settings
        summary = self._summaries.summary_of(session)
        members = tuple(_fresh_member(p) for p in summary.participants)
        cuts: tuple[Percentage, ...] = ()
        if settings.org_cut_bp > 0:
            cuts = (Percentage("Org cut", ORG_PAYEE_ID, settings.org_cut_bp),)
        draft = PayrollVersion(
            guild_id=session.guild_id,
            payroll_id=new_id(now),
            session_id=session.session_id,
            session_name=session.name,
            session_type=session.type,
            session_creator=session.creator_id,
            session_version=session.version + 1,
            number=len(head.version_ids) + 1,
            status=PayrollStatus.DRAFT,
            rev=0,
            created_by=user_id,
            created_ms=now,
            updated_by=user_id,
            updated_ms=now,
            donation_policy=settings.donation_policy,
            transfer_fee_bp=settings.transfer_fee_bp,
            minimum_s=settings.minimum_participation_s,
            members=members,
            percentages=cuts,
        )
        session_condition = And(
            eq("version", session.version),
            eq("status", SessionStatus.STOPPED.value),
            Compare("payroll_state", "<>", PayrollState.FINAL.value),
        )
        ops: list[TxOp] = [
            TxPut(version_to_item(draft), ItemAbsent()),
            self._head_op(draft, And(AttrAbsent("draft_id"), AttrAbsent("final_id"))),
            TxUpdate(
                keys.session_key(session.guild_id, session.session_id),
                Update(set={"payroll_state": PayrollState.DRAFT.value}, add={"version": 1}),
                session_condition,
            ),
            self._audit_op(draft, user_id, "draft", f"started draft v{draft.number}"),
        ]
        try:
            self._store.transact(ops)
        except ConditionFailed:
            # Another officer opened it at the same moment: continue with their draft.
            raced = self.head(session.guild_id, session.session_id)
            if raced.draft_id:
                return self.get(session.guild_id, raced.draft_id)
            raise StateConflict(
                f"'{session.name}' changed while the payroll was being opened; try again."
            ) from None
        return draft

    def _head_op(self, draft: PayrollVersion, condition: Condition) -> TxUpdate:
        fields: dict[str, Any] = {"draft_id": draft.payroll_id, "session_id": draft.session_id}
        if draft.supersedes is None:
            # The pick list shows participant counts; this one is known now for free.
            fields["participants"] = len(draft.members)
            fields["participants_version"] = draft.session_version
        return TxUpdate(
            head_key(draft.guild_id, draft.session_id),
            Update(set=fields, append={"version_ids": [draft.payroll_id]}),
            condition,
        )

    def _fresh_times(self, draft: PayrollVersion, session: Session, user_id: str) -> PayrollVersion:
        """Reload credited time if the session was reopened and stopped since the draft began."""
        if draft.session_version == session.version or draft.supersedes is not None:
            return draft
        summary = self._summaries.summary_of(session)
        old = {m.user_id: m for m in draft.members}
        members = []
        for p in summary.participants:
            kept = old.get(p.user_id)
            if kept is not None and kept.decided_by is not None:
                # Keep what the officer decided; only the measured time changes.
                members.append(
                    replace(
                        kept,
                        credited_s=p.credited_seconds,
                        below_minimum=p.below_minimum,
                        gap_affected=p.gap_affected,
                    )
                )
            else:
                members.append(_fresh_member(p))
        updated = replace(draft, members=tuple(members), session_version=session.version)
        return self._save(draft, updated, user_id, "times", "reloaded credited time")

    # --- editing a draft --------------------------------------------------------------------

    def _edit(
        self,
        guild_id: str,
        draft_id: str,
        user_id: str,
        change: Callable[[PayrollVersion], PayrollVersion],
        action: str,
        detail: Callable[[PayrollVersion], str] | str,
    ) -> PayrollVersion:
        draft = self.draft(guild_id, draft_id)
        updated = change(draft)  # raises ValidationError: nothing is written
        said = detail(draft) if callable(detail) else detail
        return self._save(draft, updated, user_id, action, said)

    def _save(
        self, before: PayrollVersion, after: PayrollVersion, user_id: str, action: str, detail: str
    ) -> PayrollVersion:
        now = self._clock.now_ms()
        saved = replace(after, rev=before.rev + 1, updated_by=user_id, updated_ms=now)
        condition = And(eq("status", PayrollStatus.DRAFT.value), eq("rev", before.rev))
        try:
            self._store.transact(
                [
                    TxPut(version_to_item(saved), condition),
                    self._audit_op(saved, user_id, action, detail),
                ]
            )
        except ConditionFailed:
            raise StateConflict(
                "Someone changed this payroll at the same moment, so your change was not saved; "
                "look at it again and retry."
            ) from None
        return saved

    def set_included(
        self,
        guild_id: str,
        draft_id: str,
        user_id: str,
        shown: Sequence[str],
        chosen: Iterable[str],
    ) -> PayrollVersion:
        """Of the members ``shown`` (one page), exactly ``chosen`` are paid."""
        return self._set_flag(guild_id, draft_id, user_id, shown, chosen, "included")

    def set_donors(
        self,
        guild_id: str,
        draft_id: str,
        user_id: str,
        shown: Sequence[str],
        chosen: Iterable[str],
    ) -> PayrollVersion:
        """Of the members ``shown`` (one page), exactly ``chosen`` donate their time share."""
        return self._set_flag(guild_id, draft_id, user_id, shown, chosen, "donates")

    def _set_flag(
        self,
        guild_id: str,
        draft_id: str,
        user_id: str,
        shown: Sequence[str],
        chosen: Iterable[str],
        flag: str,
    ) -> PayrollVersion:
        picked = set(chosen)
        if not picked <= set(shown):
            raise ValidationError("Pick members from the list shown; it may be out of date.")
        now = self._clock.now_ms()
        changes: list[str] = []

        draft = self.draft(guild_id, draft_id)
        for uid in shown:
            draft.member(uid)  # every member the page showed must be a participant
        members = []
        for member in draft.members:
            value = member.user_id in picked
            if member.user_id not in shown or getattr(member, flag) == value:
                members.append(member)
                continue
            decided = replace(member, decided_by=user_id, decided_ms=now)
            flagged = (
                replace(decided, included=value)
                if flag == "included"
                else replace(decided, donates=value)
            )
            changes.append(f"{_flag_word(flag, value)} <@{member.user_id}>")
            members.append(flagged)
        if not changes:
            return draft
        updated = replace(draft, members=tuple(members))
        return self._save(draft, updated, user_id, flag, "; ".join(changes))

    def adjust_member(
        self,
        guild_id: str,
        draft_id: str,
        user_id: str,
        member_id: str,
        *,
        multiplier_milli: int,
        adjust_s: int,
        reason: str,
    ) -> PayrollVersion:
        reason = " ".join(reason.split())
        if not 0 <= multiplier_milli <= MAX_MULTIPLIER_MILLI:
            raise ValidationError("A multiplier must be between 0 and 10, e.g. 1.5.")
        if abs(adjust_s) > MAX_ADJUST_S:
            raise ValidationError("A time adjustment can be at most 24 hours either way.")
        if adjust_s and not reason:
            raise ValidationError("Say why the time changes: fill in the reason.")
        if len(reason) > MAX_REASON:
            raise ValidationError(f"Keep the reason to {MAX_REASON} characters.")
        now = self._clock.now_ms()

        def change(draft: PayrollVersion) -> PayrollVersion:
            member = draft.member(member_id)
            if member.credited_s + adjust_s < 0:
                raise ValidationError(
                    f"<@{member_id}> has {_duration(member.credited_s)} of credited time; an "
                    f"adjustment of {_duration(adjust_s)} would go below zero."
                )
            edited = replace(
                member,
                multiplier_milli=multiplier_milli,
                adjust_s=adjust_s,
                reason=reason if adjust_s else "",
                decided_by=user_id,
                decided_ms=now,
            )
            return replace(draft, members=_replace_member(draft.members, edited))

        def detail(draft: PayrollVersion) -> str:
            multiplier = f"{multiplier_milli / MILLI:g}"
            said = f"<@{member_id}>: multiplier x{multiplier}, time {_duration(adjust_s)}"
            return said + (f" ({reason})" if adjust_s else "")

        return self._edit(guild_id, draft_id, user_id, change, "member", detail)

    def set_ores(
        self, guild_id: str, draft_id: str, user_id: str, entries: Sequence[OreEntry]
    ) -> PayrollVersion:
        """Add or replace the lines of these ores, priced now (from the snapshot or as typed)."""
        if not entries:
            raise ValidationError("Pick at least one ore.")
        ids = [e.ore_id for e in entries]
        if len(set(ids)) != len(ids):
            twice = next(i for i in ids if ids.count(i) > 1)
            raise ValidationError(f"{_ore_name(twice)} is listed twice; keep one amount for it.")
        snapshot = self._prices.current()
        now = self._clock.now_ms()

        def change(draft: PayrollVersion) -> PayrollVersion:
            lines = [_price_line(e, snapshot, draft, now) for e in entries]
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
            _probe(updated)
            return updated

        def detail(_: PayrollVersion) -> str:
            return "; ".join(
                f"{_ore_name(e.ore_id)} {_scu_text(e.scu_centi)} SCU ({e.mode.value}"
                + (f" {e.typed_price:,}" if e.typed_price is not None else "")
                + ")"
                for e in entries
            )

        return self._edit(guild_id, draft_id, user_id, change, "ores", detail)

    def add_sale(
        self, guild_id: str, draft_id: str, user_id: str, label: str, total: int
    ) -> PayrollVersion:
        name = clean_label(label, "sale")

        def change(draft: PayrollVersion) -> PayrollVersion:
            kept = [x for x in draft.income if not (x.is_sale and _same_label(x.label, name))]
            if len(kept) >= MAX_INCOME_LINES:
                raise ValidationError(
                    f"A payroll holds at most {MAX_INCOME_LINES} income lines; combine some."
                )
            updated = replace(draft, income=(*kept, IncomeLine.sale(total, name)))
            _probe(updated)
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

    def accept_stale_prices(
        self, guild_id: str, draft_id: str, user_id: str, fetched_ms: int
    ) -> PayrollVersion:
        snapshot = self._prices.current()
        if snapshot.fetched_ms != fetched_ms:
            raise StateConflict("The prices were refreshed meanwhile; look at the haul again.")

        def change(draft: PayrollVersion) -> PayrollVersion:
            return replace(draft, stale_accepted_ms=fetched_ms)

        age = age_text(snapshot.age_ms(self._clock.now_ms()))
        return self._edit(
            guild_id, draft_id, user_id, change, "prices", f"accepted prices {age} old"
        )

    def add_expense(
        self,
        guild_id: str,
        draft_id: str,
        user_id: str,
        label: str,
        amount: int,
        claimant: str | None,
    ) -> PayrollVersion:
        name = clean_label(label, "expense")
        _require_positive(amount, f"Expense {name}")

        def change(draft: PayrollVersion) -> PayrollVersion:
            kept = [e for e in draft.expenses if not _same_label(e.label, name)]
            updated = replace(draft, expenses=(*kept, Expense(name, amount, claimant or None)))
            return _checked_cuts(updated)

        who = f", reimbursed to <@{claimant}>" if claimant else ""
        return self._edit(
            guild_id, draft_id, user_id, change, "expense", f"expense {name} {amount:,}{who}"
        )

    def add_flat(
        self, guild_id: str, draft_id: str, user_id: str, label: str, amount: int, payee: str
    ) -> PayrollVersion:
        name = clean_label(label, "flat amount")
        _require_positive(amount, f"Flat amount {name}")
        if not payee:
            raise ValidationError(f"Pick who receives {name}.")

        def change(draft: PayrollVersion) -> PayrollVersion:
            kept = [f for f in draft.flats if not _same_label(f.label, name)]
            return _checked_cuts(replace(draft, flats=(*kept, FlatAmount(name, payee, amount))))

        return self._edit(
            guild_id, draft_id, user_id, change, "flat", f"flat {name} {amount:,} to <@{payee}>"
        )

    def add_percentage(
        self,
        guild_id: str,
        draft_id: str,
        user_id: str,
        label: str,
        basis_points: int,
        payee: str | None,
    ) -> PayrollVersion:
        name = clean_label(label, "percentage")
        if not 0 < basis_points <= 10_000:
            raise ValidationError(f"{name} must be more than 0 % and at most 100 %.")
        target = payee or ORG_PAYEE_ID

        def change(draft: PayrollVersion) -> PayrollVersion:
            kept = [p for p in draft.percentages if not _same_label(p.label, name)]
            cut = Percentage(name, target, basis_points)
            return _checked_cuts(replace(draft, percentages=(*kept, cut)))

        said = f"percentage {name} {basis_points / 100:g} % to {_payee_text(target)}"
        return self._edit(guild_id, draft_id, user_id, change, "percentage", said)

    def remove_cut(self, guild_id: str, draft_id: str, user_id: str, key: str) -> PayrollVersion:
        """``key``: "e3", "f0" or "p1": the kind's letter and the index in that list."""
        kind, number = key[:1], key[1:]
        if kind not in ("e", "f", "p") or not number.isdigit():
            raise ValidationError("Pick a line from the list to remove.")
        index = int(number)
        attribute = {"e": "expenses", "f": "flats", "p": "percentages"}[kind]

        def change(draft: PayrollVersion) -> PayrollVersion:
            items = getattr(draft, attribute)
            if index >= len(items):
                raise ValidationError("That line is gone already; pick one from the list.")
            return replace(draft, **{attribute: items[:index] + items[index + 1 :]})

        def detail(draft: PayrollVersion) -> str:
            items = getattr(draft, attribute)
            return f"removed {items[index].label}" if index < len(items) else ""

        return self._edit(guild_id, draft_id, user_id, change, "cut", detail)

    # --- preview and finalize ---------------------------------------------------------------

    def preview(self, guild_id: str, payroll_id: str) -> tuple[PayrollVersion, PayrollResult]:
        """A draft and what compute() makes of it now (a final version: what it stored)."""
        version = self.get(guild_id, payroll_id)
        if version.result is not None:
            return version, version.result
        if not version.income:
            raise ValidationError("Enter the haul first: pick ores, paste a list or a sale total.")
        return version, compute(version.to_input())

    def finalize(
        self, guild_id: str, draft_id: str, user_id: str, *, expected_rev: int
    ) -> PayrollVersion:
        """Make the previewed draft final, once: conditions on the draft's revision and status,
        the head and the session make a second click, a second tab or a race a refusal."""
        draft = self.draft(guild_id, draft_id)
        if draft.rev != expected_rev:
            raise StateConflict(
                f"<@{draft.updated_by}> changed this payroll after the preview you confirmed; "
                "check the new preview, then finalize."
            )
        if not draft.income:
            raise ValidationError("Enter the haul first: pick ores, paste a list or a sale total.")
        result = compute(draft.to_input())  # refused with the reason: nothing is written
        now = self._clock.now_ms()
        final = replace(
            draft,
            status=PayrollStatus.FINAL,
            rev=draft.rev + 1,
            finalized_by=user_id,
            finalized_ms=now,
            updated_by=user_id,
            updated_ms=now,
            result=result,
        )
        ops = self._finalize_ops(draft, final, user_id, result)
        try:
            self._store.transact(ops)
        except ConditionFailed:
            raise self._finalize_conflict(guild_id, draft_id) from None
        return final

    def _finalize_ops(
        self, draft: PayrollVersion, final: PayrollVersion, user_id: str, result: PayrollResult
    ) -> list[TxOp]:
        guild, session_key = draft.guild_id, keys.session_key(draft.guild_id, draft.session_id)
        ops: list[TxOp] = [
            TxPut(
                version_to_item(final),
                And(eq("status", PayrollStatus.DRAFT.value), eq("rev", draft.rev)),
            ),
            TxUpdate(
                head_key(guild, draft.session_id),
                Update(set={"final_id": final.payroll_id}, remove=("draft_id",)),
                eq("draft_id", draft.payroll_id),
            ),
        ]
        if draft.supersedes is None:
            ops.append(
                TxUpdate(
                    session_key,
                    Update(set={"payroll_state": PayrollState.FINAL.value}, add={"version": 1}),
                    And(
                        eq("version", draft.session_version),
                        eq("status", SessionStatus.STOPPED.value),
                    ),
                )
            )
        else:
            ops.append(
                TxUpdate(
                    version_key(guild, draft.supersedes),
                    Update(
                        set={
                            "status": PayrollStatus.SUPERSEDED.value,
                            "superseded_by": final.payroll_id,
                        },
                        add={"rev": 1},
                    ),
                    eq("status", PayrollStatus.FINAL.value),
                )
            )
            ops.append(TxCheck(session_key, eq("payroll_state", PayrollState.FINAL.value)))
        said = f"finalized v{final.number}: gross {format_auec(result.gross)}"
        if draft.supersedes:
            said += f", superseding {draft.supersedes}"
        ops.append(self._audit_op(final, user_id, "finalize", said))
        return ops

    def _finalize_conflict(self, guild_id: str, draft_id: str) -> StateConflict:
        now = self.get(guild_id, draft_id)
        if now.status is PayrollStatus.FINAL:
            return StateConflict(
                f"<@{now.finalized_by}> finalized this payroll a moment ago; it is final once."
            )
        if now.is_draft:
            session = self._sessions.get(guild_id, now.session_id)
            if session.is_active or session.version != now.session_version:
                return StateConflict(
                    f"'{session.name}' was reopened or changed since this draft began; run "
                    "/mining payroll again to reload its times, then finalize."
                )
            return StateConflict(
                "Someone changed this payroll while you finalized; check the preview again."
            )
        return StateConflict("This payroll was replaced meanwhile; run /mining payroll again.")

    # --- amend, paid flags ------------------------------------------------------------------

    def amend(self, guild_id: str, final_id: str, user_id: str) -> PayrollVersion:
        """A new draft prefilled from the final version; finalizing it supersedes that one."""
        final = self.get(guild_id, final_id)
        if final.status is not PayrollStatus.FINAL:
            raise StateConflict("Only the current final payroll can be amended.")
        head = self.head(guild_id, final.session_id)
        if head.draft_id:
            return self.get(guild_id, head.draft_id)  # an amendment is already open
        now = self._clock.now_ms()
        draft = replace(
            final,
            payroll_id=new_id(now),
            number=len(head.version_ids) + 1,
            status=PayrollStatus.DRAFT,
            rev=0,
            created_by=user_id,
            created_ms=now,
            updated_by=user_id,
            updated_ms=now,
            supersedes=final.payroll_id,
            superseded_by=None,
            finalized_by=None,
            finalized_ms=None,
            result=None,
            paid={},
        )
        ops: list[TxOp] = [
            TxPut(version_to_item(draft), ItemAbsent()),
            self._head_op(draft, And(AttrAbsent("draft_id"), eq("final_id", final_id))),
            self._audit_op(draft, user_id, "amend", f"started amendment v{draft.number}"),
        ]
        try:
            self._store.transact(ops)
        except ConditionFailed:
            raced = self.head(guild_id, final.session_id)
            if raced.draft_id:
                return self.get(guild_id, raced.draft_id)
            raise StateConflict(
                "The payroll changed meanwhile; run /mining payroll again."
            ) from None
        return draft

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
                    changes.append(f"paid {_payee_text(payee)}")
                elif payee not in picked and payee in paid:
                    del paid[payee]
                    changes.append(f"unpaid {_payee_text(payee)}")
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

    # --- audit ------------------------------------------------------------------------------

    def _audit_op(self, version: PayrollVersion, user_id: str, action: str, detail: str) -> TxPut:
        now = self._clock.now_ms()
        return TxPut(
            {
                "pk": keys.guild_pk(version.guild_id),
                # Every audited write moves the version to a new revision, so (id, revision)
                # is unique and orders entries written in the same millisecond.
                "sk": f"{AUDIT_PREFIX}{now:013d}#{version.payroll_id}#{version.rev:06d}",
                "at_ms": now,
                "by": user_id,
                "action": action,
                "payroll_id": version.payroll_id,
                "session_id": version.session_id,
                "detail": detail[:1000],
            },
            ItemAbsent(),
        )


# --- helpers used by the service --------------------------------------------------------------


def _fresh_member(p: SummaryParticipant) -> Member:
    # Below the guild's minimum: listed, not paid, unless an officer includes them.
    return Member(
        p.user_id, p.credited_seconds, p.below_minimum, p.gap_affected, not p.below_minimum
    )


def _payable(session: Session, creator_id: str | None) -> bool:
    if session.is_active or session.payroll_state is PayrollState.FINAL:
        return False
    return creator_id is None or session.type is SessionType.ADHOC


def _flag_word(flag: str, value: bool) -> str:
    if flag == "included":
        return "included" if value else "excluded"
    return "donor" if value else "not donor"


def _replace_member(members: tuple[Member, ...], edited: Member) -> tuple[Member, ...]:
    return tuple(edited if m.user_id == edited.user_id else m for m in members)


def _require_positive(amount: int, what: str) -> None:
    if amount <= 0:
        raise ValidationError(f"{what} must be more than 0 aUEC.")


def _checked_cuts(version: PayrollVersion) -> PayrollVersion:
    if len(version.expenses) + len(version.flats) + len(version.percentages) > MAX_CUTS:
        raise ValidationError(
            f"A payroll holds at most {MAX_CUTS} expenses, flat amounts and percentages."
        )
    _probe(version)
    return version


def _payee_text(payee: str) -> str:
    return "the org" if payee == ORG_PAYEE_ID else f"<@{payee}>"


def _ore_name(ore_id: int) -> str:
    ore = ore_catalogue.get(ore_id)
    return ore.name if ore else f"ore {ore_id}"


def _price_line(
    entry: OreEntry, snapshot: PriceSnapshot, draft: PayrollVersion, now: int
) -> IncomeLine:
    ore = ore_catalogue.get(entry.ore_id)
    if ore is None:
        raise ValidationError("I don't know that ore; pick one from the list.")
    if entry.mode is PriceMode.TYPED:
        if entry.typed_price is None:
            raise ValidationError(f"Type a price for {ore.name}, e.g. 10 @ 9000.")
        return IncomeLine.ore(ore.uex_id, ore.name, entry.scu_centi, entry.typed_price, PRICE_TYPED)
    price = snapshot.price(ore.uex_id)
    if price is None:
        raise ValidationError(
            f"No terminal buys {ore.name} in the price snapshot; type its price, e.g. "
            f"'{ore.code} {_scu_text(entry.scu_centi)} @ 9000'."
        )
    if snapshot.is_stale(now) and draft.stale_accepted_ms != snapshot.fetched_ms:
        age = age_text(snapshot.age_ms(now))
        raise ValidationError(
            f"The stored prices are {age} old; press 'Use these prices' on the haul step to "
            "accept them, or type each price (e.g. 32.5 @ 9000)."
        )
    value, source = price.best_sell, "snapshot:best"
    if entry.mode is PriceMode.AVERAGE or value is None:
        # A snapshot with only UEX-wide averages has no best price: the line says so.
        value, source = price.average_sell, "snapshot:average"
    if value is None:  # has_price guarantees one of the two
        raise ValidationError(f"{ore.name} has no price in the snapshot; type its price.")
    return IncomeLine.ore(ore.uex_id, ore.name, entry.scu_centi, value, source, snapshot.fetched_ms)
