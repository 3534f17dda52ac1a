"""Payout notices: when a payroll becomes final, each payee is told their line by direct message;
when an amendment is finalized, only the payees whose amount changed are told again, and, for
a payroll paid by transfers, the members whose transfers changed.

Off unless the guild turned ``payout-dms`` on; a member who switched payout messages off in
``/mining me`` is never sent one. Sending runs as a job (``PAYOUT_NOTICE_JOB``), never inside
the 3-second answer. Each member's notice goes through the delivery markers reports use
(``services/send_once.py``), keyed by payroll version and member, so a retried or duplicated
job never sends a member the same notice twice; the message carries a nonce made from its
marker, so one Discord made but whose answer was lost (a timeout, a 5xx) is handed back, not
made again, when the next attempt sends it. Discord's 50007 (the member does not take
direct messages from the bot) is final: the member "could not be told", and nothing retries it.
Any other refusal is final the same way; only Discord being down or rate-limiting past the
client's patience leaves a member to the job's next attempt.

What happened is kept per payroll version (``PAYNOTICES#<payroll id>``) and told to the officer
who finalized, privately, as a follow-up to the finalize click. Like a report's, that
interaction's token never travels in the job: it waits in the store (``PAYNOTICETOKEN#``, with a
``ttl`` just after Discord's 15 minutes) and the job reads it back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from sunday_mining.domain.clock import Clock
from sunday_mining.domain.errors import DomainError, Unavailable
from sunday_mining.domain.payroll import ORG_PAYEE_ID
from sunday_mining.domain.prices import format_auec
from sunday_mining.domain.settlement import SettlementPlan
from sunday_mining.domain.wording import counted
from sunday_mining.ports.discord import DMS_CLOSED, DirectMessenger, DiscordApiError
from sunday_mining.ports.jobs import Job, JobQueue
from sunday_mining.ports.store import Item, Key, Store, Update
from sunday_mining.services import keys
from sunday_mining.services.guilds import GuildService
from sunday_mining.services.handles import Handles
from sunday_mining.services.job_kinds import PAYOUT_NOTICE_JOB
from sunday_mining.services.member_prefs import MemberPrefs
from sunday_mining.services.payroll import PayrollService, PayrollVersion, settlement_of
from sunday_mining.services.send_once import FAILED, SENT, Claim, SendOnce, marker_nonce

log = logging.getLogger(__name__)

NOT_TOLD = "not told"  # a marker's final state: Discord refused the message
OUTCOME_PREFIX = "PAYNOTICES#"
MARKER_PREFIX = "PAYNOTE#"
TOKEN_PREFIX = "PAYNOTICETOKEN#"  # noqa: S105 - a key prefix, not a secret
TOKEN_WINDOW_MS = 14 * 60_000  # Discord honours the token 15 minutes; a minute's margin
TOKEN_TTL_AFTER_MS = 20 * 60_000
# Longer than a job may run, shorter than the retries take (as reports' SEND_LEASE_MS).
SEND_LEASE_MS = 150_000
MAX_ATTEMPTS = 3
MAX_VERSIONS_READ = 10  # amendments read back for who could not be told
_NAMES_SHOWN = 10
_TRANSFERS_SHOWN = 5


class NoticeRest(DirectMessenger, Protocol):
    """Direct messages, and the follow-up that tells the officer how they went."""

    def send_followup(
        self,
        application_id: str,
        interaction_token: str,
        *,
        content: str,
        ephemeral: bool = False,
    ) -> str: ...


@dataclass(frozen=True)
class Told:
    """How the notices of one payroll version went (what the outcome item keeps)."""

    told: tuple[str, ...] = ()
    not_told: tuple[str, ...] = ()  # Discord refused: DMs closed, or the bot blocked
    opted_out: tuple[str, ...] = ()
    pending: tuple[str, ...] = ()  # Discord did not answer: the job's next attempt tries


class PayoutNotices:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        guilds: GuildService,
        prefs: MemberPrefs,
        handles: Handles,
        payroll: Callable[[], PayrollService],
        jobs: JobQueue | None,
        rest: Callable[[], NoticeRest],
        *,
        sole_sender: bool = False,
    ) -> None:
        self._store = store
        self._clock = clock
        self._guilds = guilds
        self._prefs = prefs
        self._handles = handles
        self._payroll = payroll
        self._jobs = jobs
        self._rest = rest
        self._send_once = SendOnce(store, clock, lease_ms=SEND_LEASE_MS, sole_sender=sole_sender)

    # --- asking (inside the finalize answer) --------------------------------------------------

    def request(
        self,
        version: PayrollVersion,
        *,
        application_id: str,
        interaction_token: str | None,
        interaction_ms: int,
    ) -> str:
        """Queue the notices of a version just finalized; the sentence for the officer ("" when
        the guild sends none). Never raises: the payroll is final either way."""
        guild_id = version.guild_id
        try:
            if self._jobs is None or not self._guilds.get(guild_id).settings.payout_dms:
                return ""
            if not self.payees_to_tell(version):
                return ""
            if interaction_token is not None:
                self._keep_token(guild_id, version.payroll_id, interaction_token, interaction_ms)
            payload = {
                "guild_id": guild_id,
                "payroll_id": version.payroll_id,
                "application_id": application_id,
            }
            self._jobs.submit(Job(PAYOUT_NOTICE_JOB, f"payout:{version.payroll_id}", payload))
        except DomainError as failure:
            log.warning("payout notices not queued", extra={"payroll_id": version.payroll_id})
            return f"⚠️ Payees could not be told by direct message: {failure.message}"
        return "✉️ Payees are being told their line by direct message."

    def payees_to_tell(self, version: PayrollVersion) -> list[tuple[str, int, int | None]]:
        """(member, net, what the replaced version gave them) of every member to tell: all
        payees of a first version; an amendment's members whose amount changed (one it no
        longer pays included: their line is now nothing). Paid by a settlement plan, also the
        members whose transfers (sent or received) differ from the replaced version's, whose
        earlier message named whom to send or receive what, and in a first version a seller
        with no line of their own who must send."""
        now = version.payees()
        nets = dict(now)
        plan = settlement_of(version)
        if not version.supersedes:
            senders = sorted({t.sender for t in plan.transfers} if plan else set())
            extra = [(sender, 0) for sender in senders if sender not in nets]
            return [(member, net, None) for member, net in [*now, *extra] if _member(member)]
        replaced = self._payroll().get(version.guild_id, version.supersedes)
        before = dict(replaced.payees())
        moved = _transfers_changed(settlement_of(replaced), plan)
        others = sorted((set(before) | moved) - set(nets))
        return [
            (member, nets.get(member, 0), before.get(member, 0))
            for member in [*nets, *others]
            if _member(member) and (before.get(member, 0) != nets.get(member, 0) or member in moved)
        ]

    def _keep_token(self, guild_id: str, payroll_id: str, token: str, issued_ms: int) -> None:
        self._store.put(
            {
                "pk": keys.guild_pk(guild_id),
                "sk": f"{TOKEN_PREFIX}{payroll_id}",
                "token": token,
                "usable_until_ms": issued_ms + TOKEN_WINDOW_MS,
                "ttl": (issued_ms + TOKEN_TTL_AFTER_MS) // 1000,
            }
        )

    # --- the job ------------------------------------------------------------------------------

    def run_job(self, job: Job) -> None:
        guild_id, payroll_id = str(job.payload["guild_id"]), str(job.payload["payroll_id"])
        version = self._payroll().get(guild_id, payroll_id)
        attempt = self._count_attempt(guild_id, payroll_id)
        outcome = self.send(version)
        if outcome.pending and attempt < MAX_ATTEMPTS:
            raise Unavailable("Discord did not take every payout notice; trying again.")
        self._tell_officer(version, str(job.payload.get("application_id") or ""), outcome)

    def send(self, version: PayrollVersion) -> Told:
        """Tell every member who should be told and has not been; what happened, stored."""
        settled: dict[str, list[str]] = {"told": [], "not_told": [], "opted_out": [], "pending": []}
        payees = self.payees_to_tell(version)
        plan = settlement_of(version)
        members = {p for p, _, _ in payees}
        if plan is not None:
            members |= {m for t in plan.transfers for m in (t.sender, t.receiver)}
        handles = self._handles.lookup(version.guild_id, sorted(members))
        for payee, net, before in payees:
            if not self._prefs.get(version.guild_id, payee).payout_dms:
                settled["opted_out"].append(payee)
                continue
            how = "" if plan is None else transfers_text(plan, payee, handles, has_line=net > 0)
            text = notice_text(version, net, before, handles.get(payee), how)
            settled[self._send_one(version, payee, text)].append(payee)
        told = Told(*(tuple(settled[k]) for k in ("told", "not_told", "opted_out", "pending")))
        self._store.put(self._outcome_item(version, told))
        return told

    def _send_one(self, version: PayrollVersion, payee: str, text: str) -> str:
        """One member's notice, once: which list they end in."""
        marker = _marker(version, payee)
        claimed = self._send_once.claim(marker)
        if claimed.claim is Claim.DONE:
            return "told" if claimed.found.get("state") == SENT else "not_told"
        if claimed.claim is Claim.BUSY:
            return "pending"
        try:
            message_id = self._rest().send_direct_message(
                payee, content=text, nonce=marker_nonce(marker)
            )
        except DiscordApiError as refused:
            # 50007 and the like: Discord will answer the same however often it is asked.
            self._send_once.mark(marker, NOT_TOLD, code=refused.code or 0)
            if refused.code != DMS_CLOSED:
                log.warning("payout notice refused", extra={"code": refused.code})
            return "not_told"
        except DomainError:
            self._send_once.mark(marker, FAILED)
            return "pending"
        self._send_once.mark(marker, SENT, message_id=message_id, sent_ms=self._clock.now_ms())
        return "told"

    def outcome(self, guild_id: str, payroll_id: str) -> Told | None:
        """How the notices of a version went, as last recorded (None: none were sent)."""
        item = self._store.get(_outcome_key(guild_id, payroll_id))
        if item is None:
            return None
        return Told(*(tuple(str(u) for u in item.get(k, [])) for k in Told.__dataclass_fields__))

    def could_not_be_told(self, version: PayrollVersion) -> frozenset[str]:
        """The payees of this version whose line Discord refused to deliver: for this version,
        or for an earlier one whose amount it kept (the newest notice a payee got decides)."""
        reached: dict[str, bool] = {}
        payroll_id: str | None = version.payroll_id
        for _ in range(MAX_VERSIONS_READ):
            if payroll_id is None:
                break
            told = self.outcome(version.guild_id, payroll_id)
            for payee in told.told if told else ():
                reached.setdefault(payee, True)
            for payee in told.not_told if told else ():
                reached.setdefault(payee, False)
            payroll_id = self._payroll().get(version.guild_id, payroll_id).supersedes
        payees = {payee for payee, _ in version.payees()}
        return frozenset(p for p, ok in reached.items() if not ok and p in payees)

    def _outcome_item(self, version: PayrollVersion, told: Told) -> Item:
        pk, sk = _outcome_key(version.guild_id, version.payroll_id)
        return {
            "pk": pk,
            "sk": sk,
            "told": list(told.told),
            "not_told": list(told.not_told),
            "opted_out": list(told.opted_out),
            "pending": list(told.pending),
            "updated_ms": self._clock.now_ms(),
        }

    def _count_attempt(self, guild_id: str, payroll_id: str) -> int:
        key = (keys.guild_pk(guild_id), f"{MARKER_PREFIX}{payroll_id}#TRY")
        ttl = self._clock.now_ms() // 1000 + 86_400
        return int(
            self._store.update(key, Update(add={"attempts": 1}, set={"ttl": ttl}))["attempts"]
        )

    def _tell_officer(self, version: PayrollVersion, application_id: str, told: Told) -> None:
        """The officer's private follow-up, once per version; best effort."""
        token = self._kept_token(version)
        if token is None or not application_id:
            return
        marker = (keys.guild_pk(version.guild_id), f"{MARKER_PREFIX}{version.payroll_id}#OFFICER")
        if self._send_once.claim(marker).claim not in (Claim.TAKEN, Claim.RESUMED):
            return
        try:
            self._rest().send_followup(
                application_id, token, content=officer_text(version, told), ephemeral=True
            )
        except DomainError:
            log.warning("payout notice summary not sent", extra={"payroll_id": version.payroll_id})
            self._send_once.mark(marker, FAILED)
            return
        self._send_once.mark(marker, SENT)

    def _kept_token(self, version: PayrollVersion) -> str | None:
        item = self._store.get(
            (keys.guild_pk(version.guild_id), f"{TOKEN_PREFIX}{version.payroll_id}")
        )
        if item is None or self._clock.now_ms() >= int(item.get("usable_until_ms", 0)):
            return None
        token = item.get("token")
        return token if isinstance(token, str) else None


def _member(payee: str) -> bool:
    """A member to tell (a Discord user), not the org nor a payee named by the officer."""
    return payee != ORG_PAYEE_ID and payee.isdigit()


def _transfers_changed(before: SettlementPlan | None, now: SettlementPlan | None) -> set[str]:
    """The members whose transfers still to make, sent or received, are not the same in both
    plans (a transfer already sent under the replaced version is history, not a change)."""

    def by_member(plan: SettlementPlan | None) -> dict[str, list[tuple[str, str, int, int]]]:
        found: dict[str, list[tuple[str, str, int, int]]] = {}
        for t in plan.transfers if plan else ():
            if t.paid:
                continue
            for member in {t.sender, t.receiver}:
                key = (t.sender, t.receiver, t.amount_received, t.amount_sent)
                found.setdefault(member, []).append(key)
        return {member: sorted(moves) for member, moves in found.items()}

    old, new = by_member(before), by_member(now)
    return {member for member in old.keys() | new.keys() if old.get(member) != new.get(member)}


def _marker(version: PayrollVersion, payee: str) -> Key:
    return keys.guild_pk(version.guild_id), f"{MARKER_PREFIX}{version.payroll_id}#{payee}"


def _outcome_key(guild_id: str, payroll_id: str) -> Key:
    return keys.guild_pk(guild_id), f"{OUTCOME_PREFIX}{payroll_id}"


def notice_text(
    version: PayrollVersion, net: int, before: int | None, handle: str | None, how: str = ""
) -> str:
    """The member's direct message: their line, how it reaches them (``how``, for a payroll
    paid by transfers), a nudge for a handle, and where to see it."""
    name = version.session_name[:80]
    if before is None:
        said = f"💰 The payroll of **{name}** is final: your line is **{format_auec(net)}**."
    elif before == net:
        said = (
            f"💰 The payroll of **{name}** was amended: your line is still "
            f"**{format_auec(net)}**, but who sends what changed."
        )
    else:
        said = (
            f"💰 The payroll of **{name}** was amended: your line is now "
            f"**{format_auec(net)}** (it was {format_auec(before)})."
        )
    if how:
        said += "\n" + how
    if handle is None and net:
        said += (
            "\nYou have no in-game handle on record: set one with /mining handle set so "
            "whoever sends your aUEC knows where to send it."
        )
    return said + "\nSee /mining me for everything you are owed."


def transfers_text(
    plan: SettlementPlan, member: str, handles: Mapping[str, str], *, has_line: bool = True
) -> str:
    """Paid by a settlement plan: how the member's line reaches them, or what they send."""

    def who(user_id: str) -> str:
        handle = handles.get(user_id)
        return f"<@{user_id}>" + (f" (in game: {handle})" if handle else "")

    def listed(parts: list[str]) -> str:
        more = len(parts) - _TRANSFERS_SHOWN
        return ", ".join(parts[:_TRANSFERS_SHOWN]) + (f" and {more} more" if more > 0 else "")

    sends = [t for t in plan.transfers if t.sender == member]
    gets = [t for t in plan.transfers if t.receiver == member]
    if sends:
        held = next(p for p in plan.positions if p.member_id == member)
        each = listed([f"{who(t.receiver)} {t.amount_sent:,}" for t in sends])
        fees = sum(t.fee for t in sends)
        with_fees = f" ({format_auec(held.sends)} in all with the fees)" if fees else ""
        return (
            f"You hold {format_auec(held.holds)} from your sale: keep "
            f"{format_auec(held.keeps)} and send the rest: {each}{with_fees}. Once an officer "
            "posts the transfers in the channel, tick each one you sent with Tick my transfers."
        )
    if gets:
        return (
            "It reaches you by transfer: "
            + listed([f"{who(t.sender)} sends you {format_auec(t.amount_received)}" for t in gets])
            + "."
        )
    if not has_line:
        return "You have nothing to send or receive for it now."
    return "It sits with you already, from your own sale."


def officer_text(version: PayrollVersion, told: Told) -> str:
    """Who was told, and by name who could not be."""
    name = version.session_name[:80]
    parts = [f"✉️ Payout messages for **{name}**: {counted(len(told.told), 'payee')} told."]
    if told.not_told:
        parts.append(f"Could not be told (direct messages closed): {_mentions(told.not_told)}.")
    if told.pending:
        parts.append(f"Discord did not answer for {_mentions(told.pending)}; tell them in game.")
    if told.opted_out:
        parts.append(f"{counted(len(told.opted_out), 'member')} turned payout messages off.")
    return "\n".join(parts)


def _mentions(user_ids: tuple[str, ...]) -> str:
    shown = ", ".join(f"<@{u}>" for u in user_ids[:_NAMES_SHOWN])
    more = len(user_ids) - _NAMES_SHOWN
    return shown + (f" and {more} more" if more > 0 else "")
