"""Members' in-game handles: what a member is paid under in the game, printed beside their
display name wherever a purser pays them.

A member sets their own; a payroll officer or a leader may set or clear one for a member (the
glue checks who may), and that change goes into the guild's audit log with the same write. An
item per member: pk ``G#<guild>#MEMBER``, sk ``HANDLE#<user>``, ``handle``, ``set_by``,
``set_ms``. Unlike a display name it has no time to live: a handle stays until it is cleared.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection, Iterable

from sunday_mining.domain.clock import Clock
from sunday_mining.domain.handles import parse_handle
from sunday_mining.domain.ids import is_snowflake
from sunday_mining.ports.store import Item, SortKey, Store, TxDelete, TxOp, TxPut
from sunday_mining.services import keys

# Up to this many ids cost one get each; more are read as one query of the member partition.
_MAX_GETS = 25


class Handles:
    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def get(self, guild_id: str, user_id: str) -> str | None:
        item = self._store.get(keys.handle_key(guild_id, user_id))
        return None if item is None else str(item["handle"])

    def lookup(self, guild_id: str, user_ids: Iterable[str]) -> dict[str, str]:
        """The handle of each id that has one; ids without a handle are absent."""
        wanted = {u for u in user_ids if is_snowflake(u)}
        return {u: str(item["handle"]) for u, item in self._read(guild_id, wanted).items()}

    def set(self, guild_id: str, user_id: str, raw: str, *, by: str) -> str:
        """Store the handle (ValidationError with the rule if it breaks it); returns it."""
        handle = parse_handle(raw)
        now = self._clock.now_ms()
        pk, sk = keys.handle_key(guild_id, user_id)
        item: Item = {"pk": pk, "sk": sk, "handle": handle, "set_by": by, "set_ms": now}
        self._write(TxPut(item), guild_id, user_id, by, f"set the handle to {handle}")
        return handle

    def clear(self, guild_id: str, user_id: str, *, by: str) -> bool:
        """Remove the handle; False when there was none (nothing is written then)."""
        if self.get(guild_id, user_id) is None:
            return False
        key = keys.handle_key(guild_id, user_id)
        self._write(TxDelete(key), guild_id, user_id, by, "cleared the handle")
        return True

    def _write(self, op: TxOp, guild_id: str, user_id: str, by: str, said: str) -> None:
        if by == user_id:
            if isinstance(op, TxPut):
                self._store.put(op.item)
            elif isinstance(op, TxDelete):
                self._store.delete(op.key)
            return
        now = self._clock.now_ms()
        audit: Item = {
            "pk": keys.guild_pk(guild_id),
            # A random tail: two changes in one millisecond are two entries.
            "sk": f"{keys.AUDIT_PREFIX}{now:013d}#HANDLE#{user_id}#{secrets.token_hex(4)}",
            "at_ms": now,
            "by": by,
            "action": "handle",
            "payroll_id": "",
            "session_id": "",
            "subject": user_id,
            "detail": f"{said} for <@{user_id}>",
        }
        self._store.transact([op, TxPut(audit)])

    def _read(self, guild_id: str, user_ids: Collection[str]) -> dict[str, Item]:
        if not user_ids:
            return {}
        found: list[Item | None]
        if len(user_ids) <= _MAX_GETS:
            found = [self._store.get(keys.handle_key(guild_id, u)) for u in sorted(user_ids)]
        else:
            prefix = SortKey.begins_with(keys.HANDLE_PREFIX)
            found = list(self._store.query_all(keys.members_pk(guild_id), prefix))
        by_user: dict[str, Item] = {}
        for item in found:
            if item is not None:
                user_id = str(item["sk"]).removeprefix(keys.HANDLE_PREFIX)
                if user_id in user_ids:
                    by_user[user_id] = item
        return by_user
