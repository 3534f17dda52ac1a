"""Sending a message once however often a job runs: the delivery markers reports and payout
notices share.

A marker item is claimed conditionally before a message goes out: absent, failed, or "sending"
for longer than the lease (the attempt that held it died). Claimed, the caller sends and marks
it with how it went; found "sent" (or any other state the caller made final), the caller sends
nothing; found "sending" within the lease, another attempt is at it and the caller tries later.
Once a message is out the marker is only updated, never the reason to send again.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sunday_mining.domain.clock import Clock
from sunday_mining.domain.errors import ConditionFailed, DomainError
from sunday_mining.ports.store import And, Compare, Item, ItemAbsent, Key, Or, Store, Update, eq

log = logging.getLogger(__name__)

MARK_TRIES = 3  # updates of a marker, before leaving it as it is
SENDING, SENT, FAILED = "sending", "sent", "failed"


class Claim(StrEnum):
    TAKEN = "taken"  # this attempt sends
    RESUMED = "resumed"  # this attempt sends, after one that died while sending
    DONE = "done"  # already settled: send nothing
    BUSY = "busy"  # another live attempt holds it: try later


@dataclass(frozen=True)
class Claimed:
    claim: Claim
    found: Item  # the marker as found when it was not taken (empty when taken)


class SendOnce:
    def __init__(
        self, store: Store, clock: Clock, *, lease_ms: int, sole_sender: bool = False
    ) -> None:
        """``sole_sender``: this process is the only one that sends (``serve`` with its
        in-process jobs), so a "sending" marker another holder left was left by a process that
        died, and is taken over at once instead of after the lease."""
        self._store = store
        self._clock = clock
        self._lease_ms = lease_ms
        self._sole_sender = sole_sender
        self.holder = secrets.token_hex(8)  # this process, in the markers it claims

    def claim(self, marker: Key, **fields: Any) -> Claimed:
        now = self._clock.now_ms()
        claimable = Or(
            ItemAbsent(),
            eq("state", FAILED),
            And(eq("state", SENDING), Compare("claimed_ms", "<", now - self._lease_ms)),
        )
        claim = {
            "pk": marker[0],
            "sk": marker[1],
            **fields,
            "state": SENDING,
            "claimed_ms": now,
            "holder": self.holder,
        }
        try:
            self._store.put(claim, condition=claimable)
        except ConditionFailed:
            found = self._store.get(marker) or {}
            if found.get("state") not in (SENDING, None):
                return Claimed(Claim.DONE, found)
            if self._took_over(found, claim):
                return Claimed(Claim.RESUMED, found)
            return Claimed(Claim.BUSY, found)
        return Claimed(Claim.TAKEN, {})

    def _took_over(self, found: Item, claim: Item) -> bool:
        if not self._sole_sender or found.get("state") != SENDING:
            return False
        if found.get("holder") == self.holder:
            return False  # this process's own attempt, on another thread: still alive
        previous = (eq("state", SENDING), eq("claimed_ms", found.get("claimed_ms")))
        try:
            self._store.put(claim, condition=And(*previous))
        except ConditionFailed:
            return False
        return True

    def mark(self, marker: Key, state: str, **fields: Any) -> None:
        """Record how the send went, trying a few times; when the store stays down, a
        "sending" marker is left, which a later attempt may claim once the lease is over."""
        for attempt in range(1, MARK_TRIES + 1):
            try:
                self._store.update(marker, Update(set={"state": state, **fields}))
                return
            except DomainError:
                if attempt == MARK_TRIES:
                    log.warning("delivery marker not updated", extra={"state": state})


def marker_nonce(marker: Key) -> str:
    """The Discord nonce (25 characters) of the message a marker guards, the same on every
    attempt: when Discord made the message but its answer was lost (a timeout, a 5xx), the
    marker is left failed and the next attempt sends again; with this nonce enforced, Discord
    hands back the first message instead of posting a second one (within a few minutes)."""
    digest = hashlib.sha256(f"{marker[0]}|{marker[1]}".encode()).hexdigest()
    return f"m{digest[:24]}"
