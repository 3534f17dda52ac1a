"""Start, stop, reopen and list sessions. The store's locks keep the rules true under races."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from sunday_mining.domain.clock import Clock
from sunday_mining.domain.errors import (
    ChannelTracked,
    ConditionFailed,
    NotFound,
    StateConflict,
    ValidationError,
)
from sunday_mining.domain.ids import is_id, new_id
from sunday_mining.domain.session import (
    Session,
    SessionType,
    StopReason,
    clean_name,
    default_name,
    new_session,
)
from sunday_mining.ports.store import (
    ItemAbsent,
    Or,
    SortKey,
    Store,
    TxDelete,
    TxOp,
    TxPut,
    eq,
)
from sunday_mining.services import codec, keys
from sunday_mining.services.guilds import GuildService
from sunday_mining.services.presence import GuildPresence, load_presence, presence_put

# A start, stop or reopen writes the guild's presence item (see services/presence.py); a voice
# batch landing at the same moment makes that write fail, and it is simply done again.
_PRESENCE_ATTEMPTS = 5


class SessionService:
    def __init__(self, store: Store, clock: Clock, guilds: GuildService) -> None:
        self._store = store
        self._clock = clock
        self._guilds = guilds

    # --- reading ------------------------------------------------------------------------------

    def get(self, guild_id: str, session_id: str) -> Session:
        # Ids come from custom_ids and options users can tamper with: check the shape first.
        if not is_id(session_id):
            raise NotFound("I can't find that session; pick one from the list.")
        item = self._store.get(keys.session_key(guild_id, session_id))
        if item is None:
            raise NotFound("I can't find that session in this server; pick one from the list.")
        return codec.session_from_item(item)

    def active(self, guild_id: str) -> list[Session]:
        items = self._store.query_index_all("gsi1", keys.active_index_pk(guild_id))
        # The index is eventually consistent on DynamoDB: re-read each session to be sure.
        sessions = [self.get(guild_id, str(item["session_id"])) for item in items]
        return [s for s in sessions if s.is_active]

    def recent(
        self, guild_id: str, *, limit: int = 25, cursor: str | None = None
    ) -> tuple[list[Session], str | None]:
        page = self._store.query(
            keys.guild_pk(guild_id),
            SortKey.begins_with(keys.SESSION_PREFIX),
            forward=False,
            limit=limit,
            cursor=cursor,
        )
        return [codec.session_from_item(i) for i in page.items], page.cursor

    def by_creator(
        self, guild_id: str, user_id: str, *, limit: int = 25, cursor: str | None = None
    ) -> tuple[list[Session], str | None]:
        page = self._store.query_index(
            "gsi2",
            keys.creator_index_pk(guild_id, user_id),
            forward=False,
            limit=limit,
            cursor=cursor,
        )
        return [codec.session_from_item(i) for i in page.items], page.cursor

    def by_creator_before(
        self, guild_id: str, user_id: str, *, before: str | None, limit: int
    ) -> tuple[list[Session], bool]:
        """One page of a member's sessions older than ``before`` (keyset paging), and whether
        there are more. Keyset pages need no stored cursor, so a day-old button still works."""
        page = self._store.query_index(
            "gsi2",
            keys.creator_index_pk(guild_id, user_id),
            SortKey(high=before) if before else None,
            forward=False,
            limit=limit + 2,
        )
        sessions = [codec.session_from_item(i) for i in page.items if i["session_id"] != before]
        return sessions[:limit], len(sessions) > limit

    # --- starting -----------------------------------------------------------------------------

    def start_sunday(self, guild_id: str, user_id: str, name: str | None = None) -> Session:
        config = self._guilds.require(guild_id)
        if not config.channel_ids:
            raise ValidationError("Add a mining channel first: /mining-admin channels add.")
        now = self._clock.now_ms()
        title = clean_name(name) or default_name(SessionType.SUNDAY, now, config.settings.time_zone)
        return self._start(guild_id, user_id, SessionType.SUNDAY, config.channel_ids, title)

    def start_adhoc(
        self,
        guild_id: str,
        user_id: str,
        channel_id: str,
        *,
        channel_name: str | None = None,
        name: str | None = None,
    ) -> Session:
        config = self._guilds.get(guild_id)
        now = self._clock.now_ms()
        title = clean_name(name) or default_name(
            SessionType.ADHOC, now, config.settings.time_zone, channel_name
        )
        return self._start(guild_id, user_id, SessionType.ADHOC, (channel_id,), title)

    def _start(
        self,
        guild_id: str,
        user_id: str,
        session_type: SessionType,
        channel_ids: tuple[str, ...],
        name: str,
    ) -> Session:
        self._explain_conflicts(guild_id, session_type, channel_ids)

        def started(presence: GuildPresence, now: int) -> tuple[Session, list[TxOp]]:
            session = new_session(
                guild_id=guild_id,
                session_id=new_id(now),
                session_type=session_type,
                creator_id=user_id,
                channel_ids=channel_ids,
                start_ms=now,
                seed=presence.seated(channel_ids, now),
                name=name,
            )
            ops: list[TxOp] = [TxPut(codec.session_to_item(session), ItemAbsent())]
            return session, ops + self._lock_ops(session)

        def conflict() -> StateConflict:
            # Someone started a session between our check and our write; say who.
            self._explain_conflicts(guild_id, session_type, channel_ids)
            return StateConflict("Another session started at the same moment; try again.")

        return self._with_presence(guild_id, started, conflict)

    def _with_presence(
        self,
        guild_id: str,
        change: Callable[[GuildPresence, int], tuple[Session, list[TxOp]]],
        conflict: Callable[[], StateConflict],
    ) -> Session:
        """Write ``change`` (the session and its ops, made from the presence read and now) with
        the guild's presence item in one transaction; a voice batch that moved the presence in
        between makes it fail, and it is simply done again. ``conflict`` says (or raises) why a
        failure that was not the presence's is refused."""
        for _ in range(_PRESENCE_ATTEMPTS):
            now = self._clock.now_ms()
            presence = load_presence(self._store, guild_id)
            session, ops = change(presence, now)
            self.take_in_running(presence)
            presence.track(session)
            try:
                self._store.transact([*ops, presence_put(presence, now)])
            except ConditionFailed:
                refused = conflict()
                if load_presence(self._store, guild_id).version != presence.version:
                    continue
                raise refused from None
            return session
        raise StateConflict("Voice updates for this server are arriving too fast; try again.")

    def take_in_running(self, presence: GuildPresence) -> None:
        """A presence item written before sessions were kept in it takes in the running ones
        (its next write keeps them there)."""
        if presence.tracking is None:
            presence.tracking = {}
            for running in self.active(presence.guild_id):
                presence.track(running)

    def _lock_ops(self, session: Session) -> list[TxOp]:
        lock = {"session_id": session.session_id, "name": session.name}
        ops: list[TxOp] = []
        for channel_id in session.channel_ids:
            pk, sk = keys.channel_lock_key(session.guild_id, channel_id)
            ops.append(TxPut({"pk": pk, "sk": sk, **lock}, ItemAbsent()))
        if session.type is SessionType.SUNDAY:
            pk, sk = keys.sunday_lock_key(session.guild_id)
            ops.append(TxPut({"pk": pk, "sk": sk, **lock}, ItemAbsent()))
        return ops

    def _explain_conflicts(
        self, guild_id: str, session_type: SessionType, channel_ids: tuple[str, ...]
    ) -> None:
        if session_type is SessionType.SUNDAY:
            lock = self._store.get(keys.sunday_lock_key(guild_id))
            if lock is not None:
                raise StateConflict(
                    f"A Sunday op is already running ('{lock['name']}'); "
                    "stop it with /mining stop first."
                )
        for channel_id in channel_ids:
            lock = self._store.get(keys.channel_lock_key(guild_id, channel_id))
            if lock is not None:
                raise ChannelTracked(
                    f"<#{channel_id}> is already tracked by '{lock['name']}'; "
                    "stop that session or pick another channel.",
                    session_id=str(lock["session_id"]),
                    session_name=str(lock["name"]),
                )

    # --- stopping and reopening ---------------------------------------------------------------

    def stop(
        self,
        guild_id: str,
        session_id: str,
        *,
        reason: StopReason = StopReason.COMMAND,
        at_ms: int | None = None,
    ) -> Session:
        session = self.get(guild_id, session_id)

        def stopped(_: GuildPresence, now: int) -> tuple[Session, list[TxOp]]:
            when = now if at_ms is None else at_ms
            if when > now:
                raise ValidationError("A session cannot stop in the future.")
            done = replace(session.stop(when, reason), version=session.version + 1)
            ops: list[TxOp] = [TxPut(codec.session_to_item(done), eq("version", session.version))]
            for key in self._lock_keys(session):
                ops.append(TxDelete(key, Or(ItemAbsent(), eq("session_id", session.session_id))))
            return done, ops

        def conflict() -> StateConflict:
            return StateConflict(
                f"'{session.name}' changed while stopping it (stopped by someone else?); "
                "check /mining status."
            )

        return self._with_presence(guild_id, stopped, conflict)

    def reopen(self, guild_id: str, session_id: str) -> Session:
        session = self.get(guild_id, session_id)
        self._explain_conflicts(guild_id, session.type, session.channel_ids)

        def reopened(presence: GuildPresence, now: int) -> tuple[Session, list[TxOp]]:
            seed = presence.seated(session.channel_ids, now)
            again = replace(session.reopen(now, seed), version=session.version + 1)
            ops: list[TxOp] = [TxPut(codec.session_to_item(again), eq("version", session.version))]
            return again, ops + self._lock_ops(again)

        def conflict() -> StateConflict:
            self._explain_conflicts(guild_id, session.type, session.channel_ids)
            return StateConflict(f"'{session.name}' changed at the same moment; try again.")

        return self._with_presence(guild_id, reopened, conflict)

    def _lock_keys(self, session: Session) -> list[tuple[str, str]]:
        found = [keys.channel_lock_key(session.guild_id, c) for c in session.channel_ids]
        if session.type is SessionType.SUNDAY:
            found.append(keys.sunday_lock_key(session.guild_id))
        return found
