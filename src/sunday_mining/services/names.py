"""Members' display names, remembered so that reports can print names instead of raw ids.

Nothing the app receives names every member: the worker reports the names of the members it sees
in voice, and an interaction names its caller and the users it mentions. Both feed `remember`;
reports read the names back with `lookup`.

Names are personal data, so a member's item holds the last display name seen and when it was
seen, nothing else: pk ``G#<guild>#MEMBER``, sk ``MEMBER#<user>``, ``name``, ``seen_ms``, and a
``ttl``: a name not seen for `NAME_TTL_S` is deleted by the table's time to live, as the voice
records it could label are by then (the same 400 days).
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Mapping

from sunday_mining.domain.clock import Clock
from sunday_mining.domain.ids import is_snowflake
from sunday_mining.ports.store import MAX_TRANSACTION_ITEMS, Item, SortKey, Store, TxPut
from sunday_mining.services import keys
from sunday_mining.services.codec import OBSERVATION_TTL_S

log = logging.getLogger(__name__)

MAX_NAME_CHARS = 100
# A member's name lives as long as the voice records it labels; each refresh below extends it.
NAME_TTL_S = OBSERVATION_TTL_S
# An unchanged name is rewritten only this often: `seen_ms` stays true to the day (enough for a
# retention sweep), while a stream of voice batches naming the same members costs no write.
SEEN_REFRESH_MS = 86_400_000
# Up to this many ids cost one get each; more are read as the guild's member partition in one
# query, which beats a round trip per member of a full voice channel.
_MAX_GETS = 25
# Bidi embeddings, overrides and isolates reorder the text that follows them: in a report's
# table or a log line, a name could make the next column read backwards.
_BIDI_CONTROLS = frozenset(chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)])


def clean_name(raw: str) -> str:
    """The name as stored: control characters dropped (they break PDF layout and log lines),
    outer whitespace trimmed, at most `MAX_NAME_CHARS` characters."""
    kept = "".join(ch for ch in raw if not _is_control(ch))
    return kept.strip()[:MAX_NAME_CHARS].rstrip()


def _is_control(ch: str) -> bool:
    code = ord(ch)
    return code < 0x20 or 0x7F <= code <= 0x9F or ch in _BIDI_CONTROLS


class MemberNames:
    """Remembers each member's last display name per guild, and reads names back in batches."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def remember(self, guild_id: str, names: Mapping[str, str], *, source: str) -> int:
        """Store the names that are new or changed; returns how many items were written.

        Reads before writing, so that names already stored cost reads only: the worker sends
        the same names with every batch. ``source`` (e.g. ``gateway``, ``interaction``) is only
        logged, never stored.
        """
        wanted = _cleaned(names)
        if not wanted:
            return 0
        now = self._clock.now_ms()
        stored = self._read(guild_id, wanted.keys())
        items = [
            _item(guild_id, user_id, name, now)
            for user_id, name in wanted.items()
            if _needs_write(stored.get(user_id), name, now)
        ]
        self._write(items)
        if items:
            log.info(
                "member names remembered",
                extra={"guild_id": guild_id, "source": source, "written": len(items)},
            )
        return len(items)

    def lookup(self, guild_id: str, user_ids: Iterable[str]) -> dict[str, str]:
        """The remembered name of each id; ids never seen are simply absent."""
        stored = self._read(guild_id, {user_id for user_id in user_ids if is_snowflake(user_id)})
        return {user_id: str(item["name"]) for user_id, item in stored.items()}

    def _read(self, guild_id: str, user_ids: Collection[str]) -> dict[str, Item]:
        if not user_ids:
            return {}
        found: list[Item | None]
        if len(user_ids) <= _MAX_GETS:
            # Eventually consistent is enough: a stale read costs at most one redundant write.
            found = [
                self._store.get(keys.member_key(guild_id, user_id), consistent=False)
                for user_id in sorted(user_ids)
            ]
        else:
            prefix = SortKey.begins_with(keys.MEMBER_PREFIX)
            found = list(self._store.query_all(keys.members_pk(guild_id), prefix))
        wanted = set(user_ids)
        by_user: dict[str, Item] = {}
        for item in found:
            if item is None:
                continue
            user_id = str(item["sk"]).removeprefix(keys.MEMBER_PREFIX)
            if user_id in wanted:
                by_user[user_id] = item
        return by_user

    def _write(self, items: list[Item]) -> None:
        if len(items) == 1:
            self._store.put(items[0])
            return
        # Several at once (a guild's first snapshot): a transaction is one round trip per
        # hundred names; all-or-nothing does no harm, a retry writes the same names.
        for start in range(0, len(items), MAX_TRANSACTION_ITEMS):
            self._store.transact(
                [TxPut(item) for item in items[start : start + MAX_TRANSACTION_ITEMS]]
            )


def _cleaned(names: Mapping[str, str]) -> dict[str, str]:
    # Ids end up in sort keys: only Discord snowflakes may get there.
    cleaned = {
        user_id: clean_name(name)
        for user_id, name in names.items()
        if isinstance(user_id, str) and isinstance(name, str) and is_snowflake(user_id)
    }
    return {user_id: name for user_id, name in cleaned.items() if name}


def _needs_write(stored: Item | None, name: str, now_ms: int) -> bool:
    if stored is None or stored.get("name") != name or "ttl" not in stored:
        return True
    return now_ms - int(stored.get("seen_ms", 0)) >= SEEN_REFRESH_MS


def _item(guild_id: str, user_id: str, name: str, now_ms: int) -> Item:
    pk, sk = keys.member_key(guild_id, user_id)
    return {"pk": pk, "sk": sk, "name": name, "seen_ms": now_ms, "ttl": now_ms // 1000 + NAME_TTL_S}
