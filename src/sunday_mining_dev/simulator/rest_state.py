"""What the REST sink knows: messages, files, commands, interactions, faults. No HTTP in here.

Operations raise :class:`DiscordError` where Discord would answer with an error, so the sink's
routes only translate. Everything is guarded by one lock: uvicorn serves from its own thread while
tests and the simulator read from theirs.
"""

from __future__ import annotations

import copy
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from sunday_mining_dev.simulator.command_store import CommandStore
from sunday_mining_dev.simulator.form_data import UploadedFile
from sunday_mining_dev.simulator.interactions_state import (
    INTERACTION_TTL_S,
    InteractionRecord,
    response_data,
)
from sunday_mining_dev.simulator.message_store import MessageStore
from sunday_mining_dev.simulator.messages import APP_NAME, MessageFlag, MessageType, bot_user
from sunday_mining_dev.simulator.objects import JSON
from sunday_mining_dev.simulator.rest_errors import (
    Fault,
    Route,
    already_acknowledged,
    cannot_message_user,
    invalid_form_body,
    invalid_recipient,
    invalid_webhook_token,
    unauthorized,
    unknown_interaction,
    unknown_message,
    unknown_webhook,
)
from sunday_mining_dev.simulator.rest_rules import check_message, check_uploads
from sunday_mining_dev.simulator.snowflakes import SnowflakeGen
from sunday_mining_dev.simulator.transcript import RestLog

# 2025-03-01T00:00:00Z
_SINK_START_MS = 1_740_787_200_000
# Discord's default per-file upload limit, 10 MiB (discord.md §1.4).
DEFAULT_UPLOAD_LIMIT = 10_485_760
_EDIT_FLAGS = MessageFlag.SUPPRESS_EMBEDS | MessageFlag.IS_COMPONENTS_V2


class SinkState:
    def __init__(
        self,
        *,
        application_id: str | None = None,
        bot_token: str | None = None,
        strict_tokens: bool = True,
        now_s: Callable[[], float] = time.time,
        seed: int = 7,
        bot_name: str = APP_NAME,
        upload_limit: int = DEFAULT_UPLOAD_LIMIT,
    ) -> None:
        self.application_id = application_id
        # None: any "Bot …" header is accepted (and recorded as unchecked).
        self.bot_token = bot_token
        # False: a webhook call with a token nobody registered gets a fresh deferred interaction.
        self.strict_tokens = strict_tokens
        # Per file, like an interaction's attachment_size_limit; larger uploads get Discord's 413.
        self.upload_limit = upload_limit
        self.log = RestLog()
        # Later than the simulator's ids (as messages follow interactions), so they never collide.
        self.ids = SnowflakeGen(seed, start_ms=_SINK_START_MS)
        self._now_s = now_s
        self._lock = threading.RLock()
        self._store = MessageStore(self.ids, bot_name)
        self._messages = self._store.messages
        self._commands = CommandStore(self.ids)
        self._interactions: dict[str, InteractionRecord] = {}
        self._faults: dict[str, deque[Fault]] = {}
        # (channel, nonce) -> (message id, when): an enforced nonce seen again within
        # NONCE_WINDOW_S returns the first message instead of posting a second one.
        self._nonces: dict[tuple[str, str], tuple[str, float]] = {}
        # Direct messages: user -> their DM channel, and who refuses messages from the bot.
        self._dm_channels: dict[str, str] = {}
        self._closed_dms: set[str] = set()

    @property
    def base_url(self) -> str | None:
        """The sink's root URL, used in attachment URLs; set by ``running_sink``."""
        return self._store.base_url

    @base_url.setter
    def base_url(self, value: str | None) -> None:
        self._store.base_url = value

    def reset(self) -> None:
        """Forget everything recorded (a fresh Discord), keeping the configuration."""
        with self._lock:
            self._store.clear()
            self._commands.clear()
            self._interactions.clear()
            self._faults.clear()
            self._nonces.clear()
            self._dm_channels.clear()
            self._closed_dms.clear()
            self.log.clear()

    # -- faults and auth -------------------------------------------------------------------

    def inject(
        self,
        route: Route | str,
        fault: Fault | int,
        times: int = 1,
        *,
        code: int = 0,
        retry_after: float | None = None,
        served: bool = False,
    ) -> None:
        """The next ``times`` matching calls answer with ``fault`` instead of being served.

        ``route`` is a route name or the start of one (``"webhook."``: every webhook route), or
        the start of an API path (``"/channels/77/"``: that channel only). ``fault`` may be a bare
        status: ``inject(Route.EXECUTE_WEBHOOK, 404, code=10015, times=2)``. ``served=True``:
        the call is carried out and then answered with the fault (a message made whose answer
        was lost).
        """
        if isinstance(fault, int):
            fault = Fault.of(fault, code=code, retry_after=retry_after, served=served)
        with self._lock:
            self._faults.setdefault(str(route), deque()).extend([fault] * times)

    def take_fault(self, route: Route | str, path: str = "") -> Fault | None:
        """The first pending fault injected for this call (``path`` without ``/api/v10``)."""
        with self._lock:
            for key, pending in self._faults.items():
                if pending and _fault_matches(key, str(route), path):
                    return pending.popleft()
            return None

    def pending_faults(self) -> int:
        with self._lock:
            return sum(len(pending) for pending in self._faults.values())

    def check_bot(self, authorization: str | None) -> str:
        if not authorization or not authorization.startswith("Bot "):
            raise unauthorized()
        if self.bot_token is None:
            return "bot unchecked"
        if not secrets.compare_digest(authorization, f"Bot {self.bot_token}"):
            raise unauthorized()
        return "bot ok"

    # -- interactions (fed by the simulator) -----------------------------------------------

    def register_interaction(self, payload: JSON) -> InteractionRecord:
        record = InteractionRecord.from_payload(payload, self._now_s())
        with self._lock:
            self._interactions[record.token] = record
            source = payload.get("message")
            if isinstance(source, dict) and source.get("id") not in self._messages:
                self._messages[str(source["id"])] = copy.deepcopy(source)
        return record

    def record_initial_response(self, token: str, response: Any) -> JSON | None:
        """Apply the app's initial response; returns the message it created or updated."""
        with self._lock:
            record = self._interactions.get(token)
            if record is None:
                raise unknown_webhook()
            if record.responded:
                raise already_acknowledged()
            kind = int(response.get("type", 0)) if isinstance(response, dict) else 0
            data = response_data(response)
            if kind in (4, 7):
                check_message(data, [], creating=kind == 4)
            message = self._apply_initial(record, kind, data)
            record.response_type, record.response_body = kind, copy.deepcopy(response)
            return copy.deepcopy(message) if message is not None else None

    def _apply_initial(self, record: InteractionRecord, kind: int, data: JSON) -> JSON | None:
        if kind in (4, 5):
            fields = data if kind == 4 else {"flags": MessageFlag.LOADING | _ephemeral(data)}
            msg_type = MessageType.CHAT_INPUT_COMMAND if record.type == 2 else MessageType.REPLY
            message = self._create(record, fields, [], msg_type)
            record.original_id = message["id"]
            return message
        if kind in (6, 7) and record.source_message_id is not None:
            record.original_id = record.source_message_id
            if kind == 7 and record.source_message_id in self._messages:
                return self._edit(record.source_message_id, data, [])
            return self._messages.get(record.source_message_id)
        return None

    def mark_failed(self, token: str) -> None:
        """The app missed the 3-second deadline: Discord invalidates the token."""
        with self._lock:
            if (record := self._interactions.get(token)) is not None:
                record.failed = True

    def interaction(self, token: str) -> InteractionRecord | None:
        with self._lock:
            return copy.deepcopy(self._interactions.get(token))

    # -- reading what the app did ----------------------------------------------------------

    def message(self, message_id: str) -> JSON | None:
        with self._lock:
            return copy.deepcopy(self._messages.get(message_id))

    def original_message(self, token: str) -> JSON | None:
        with self._lock:
            record = self._interactions.get(token)
            if record is None or record.original_id is None:
                return None
            return copy.deepcopy(self._messages.get(record.original_id))

    def followup_messages(self, token: str) -> list[JSON]:
        with self._lock:
            record = self._interactions.get(token)
            ids = record.followup_ids if record is not None else []
            return [copy.deepcopy(self._messages[i]) for i in ids if i in self._messages]

    def channel_messages(self, channel_id: str) -> list[JSON]:
        with self._lock:
            found = [m for m in self._messages.values() if m["channel_id"] == channel_id]
            return copy.deepcopy(found)

    def attachment(self, attachment_id: str) -> bytes | None:
        with self._lock:
            return self._store.files.get(attachment_id)

    def commands(self, application_id: str, guild_id: str | None = None) -> list[JSON]:
        with self._lock:
            return self._commands.list(application_id, guild_id)

    # -- webhook routes --------------------------------------------------------------------

    def execute_webhook(
        self, app_id: str, token: str, payload: JSON, files: Sequence[UploadedFile]
    ) -> JSON:
        check_uploads(payload, files, creating=True, limit=self.upload_limit)
        check_message(payload, files, creating=True)
        with self._lock:
            record = self._record(app_id, token)
            if not record.responded:
                raise unknown_webhook()
            if self._replaces_loading(record):
                record.loading_replaced = True
                fields = {**payload, "flags": int(payload.get("flags") or 0) & ~_EPHEMERAL}
                return copy.deepcopy(self._edit(str(record.original_id), fields, files))
            message = self._create(record, payload, files, MessageType.DEFAULT)
            record.followup_ids.append(message["id"])
            return copy.deepcopy(message)

    def webhook_message(self, app_id: str, token: str, message_id: str) -> JSON:
        with self._lock:
            record = self._record(app_id, token)
            return copy.deepcopy(self._messages[self._message_id(record, message_id)])

    def edit_webhook_message(
        self,
        app_id: str,
        token: str,
        message_id: str,
        payload: JSON,
        files: Sequence[UploadedFile],
    ) -> JSON:
        check_uploads(payload, files, creating=False, limit=self.upload_limit)
        check_message(payload, files, creating=False)
        with self._lock:
            record = self._record(app_id, token)
            target = self._message_id(record, message_id)
            if target == record.original_id:
                record.loading_replaced = True
            fields = dict(payload)
            if "flags" in fields:
                fields["flags"] = int(fields["flags"] or 0) & _EDIT_FLAGS
            return copy.deepcopy(self._edit(target, fields, files))

    def delete_webhook_message(self, app_id: str, token: str, message_id: str) -> None:
        with self._lock:
            record = self._record(app_id, token)
            del self._messages[self._message_id(record, message_id)]

    def _record(self, app_id: str, token: str) -> InteractionRecord:
        record = self._interactions.get(token)
        if record is None and not self.strict_tokens:
            record = self._lenient_record(app_id, token)
        if record is None or record.application_id != app_id:
            raise unknown_webhook()
        if record.failed or self._now_s() - record.created_s > INTERACTION_TTL_S:
            raise invalid_webhook_token()
        return record

    def _lenient_record(self, app_id: str, token: str) -> InteractionRecord:
        record = InteractionRecord(self.ids.next(), app_id, token, 2, "0", self._now_s())
        self._interactions[token] = record
        self._apply_initial(record, 5, {})
        record.response_type = 5
        return record

    def _message_id(self, record: InteractionRecord, message_id: str) -> str:
        if message_id == "@original":
            if record.original_id is None:
                # Before the initial response is processed: the documented race after a defer.
                raise unknown_webhook()
            message_id = record.original_id
        known = message_id == record.original_id or message_id in record.followup_ids
        if not known or message_id not in self._messages:
            raise unknown_message()
        return message_id

    def _replaces_loading(self, record: InteractionRecord) -> bool:
        if record.response_type != 5 or record.loading_replaced or record.original_id is None:
            return False
        original = self._messages.get(record.original_id)
        return original is not None and bool(original["flags"] & MessageFlag.LOADING)

    # -- messages ---------------------------------------------------------------------------

    def _create(
        self,
        record: InteractionRecord | None,
        fields: JSON,
        files: Sequence[UploadedFile],
        kind: MessageType,
        channel_id: str | None = None,
    ) -> JSON:
        return self._store.create(
            fields,
            files,
            channel_id=channel_id or (record.channel_id if record else "0"),
            application_id=record.application_id if record else self.application_id,
            kind=kind,
            interaction=record,
        )

    def _edit(self, message_id: str, fields: JSON, files: Sequence[UploadedFile]) -> JSON:
        return self._store.edit(message_id, fields, files)

    # -- interaction callback, commands, channels, users ------------------------------------

    def interaction_callback(
        self, interaction_id: str, token: str, body: Any, *, with_response: bool
    ) -> JSON | None:
        with self._lock:
            record = self._interactions.get(token)
            if record is None or record.id != interaction_id or record.failed:
                raise unknown_interaction()
        message = self.record_initial_response(token, body)
        if not with_response:
            return None
        return _callback_response(record, int(body.get("type", 0)), message)

    def put_commands(self, app_id: str, guild_id: str | None, body: Any) -> list[JSON]:
        with self._lock:
            return self._commands.overwrite(app_id, guild_id, body)

    def create_channel_message(
        self, channel_id: str, payload: JSON, files: Sequence[UploadedFile]
    ) -> JSON:
        check_uploads(payload, files, creating=True, limit=self.upload_limit)
        check_message(payload, files, creating=True)
        nonce = payload.get("nonce")
        if nonce is not None and (not isinstance(nonce, str | int) or len(str(nonce)) > 25):
            raise invalid_form_body(
                "nonce", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."
            )
        with self._lock:
            recipient = self._dm_recipient(channel_id)
            if recipient is not None and recipient in self._closed_dms:
                raise cannot_message_user()
            key = (channel_id, str(nonce))
            if nonce is not None and payload.get("enforce_nonce"):
                seen = self._nonces.get(key)
                if seen is not None and self._now_s() - seen[1] < NONCE_WINDOW_S:
                    first = self._messages.get(seen[0])
                    if first is not None:
                        return copy.deepcopy(first)
            message = self._create(None, payload, files, MessageType.DEFAULT, channel_id)
            if nonce is not None:
                self._nonces[key] = (str(message["id"]), self._now_s())
            return copy.deepcopy(message)

    # -- direct messages ----------------------------------------------------------------------

    def close_dms(self, user_id: str, closed: bool = True) -> None:
        """The member refuses direct messages from the bot (Discord's 50007) until reopened."""
        with self._lock:
            if closed:
                self._closed_dms.add(user_id)
            else:
                self._closed_dms.discard(user_id)

    def create_dm(self, payload: Any) -> JSON:
        """POST /users/@me/channels: the same DM channel for the same member every time.
        Opening one always works; Discord refuses the message, not the channel."""
        recipient = payload.get("recipient_id") if isinstance(payload, dict) else None
        if not isinstance(recipient, str | int) or not str(recipient).isdigit():
            raise invalid_recipient()
        user_id = str(recipient)
        with self._lock:
            channel_id = self._dm_channels.get(user_id)
            if channel_id is None:
                channel_id = self._dm_channels[user_id] = str(self.ids.next())
        return {
            "id": channel_id,
            "type": 1,
            "last_message_id": None,
            "recipients": [{"id": user_id, "username": f"user{user_id[-4:]}", "bot": False}],
        }

    def direct_messages(self, user_id: str) -> list[JSON]:
        """What the bot sent this member by DM, oldest first."""
        with self._lock:
            channel_id = self._dm_channels.get(user_id)
        return [] if channel_id is None else self.channel_messages(channel_id)

    def _dm_recipient(self, channel_id: str) -> str | None:
        return next((u for u, c in self._dm_channels.items() if c == channel_id), None)

    def current_user(self) -> JSON:
        user = bot_user(self.application_id or "0", self._store.bot_name)
        user.update({"verified": True, "mfa_enabled": False, "flags": 0, "locale": "en-US"})
        return user


_EPHEMERAL = int(MessageFlag.EPHEMERAL)
# Discord answers a message posted again with the same enforced nonce, by the same author in
# the same channel, with the first message, "within the past few minutes".
NONCE_WINDOW_S = 300


def _fault_matches(key: str, route: str, path: str) -> bool:
    return path.startswith(key) if key.startswith("/") else route.startswith(key)


def _ephemeral(data: JSON) -> int:
    return int(data.get("flags") or 0) & _EPHEMERAL


def _callback_response(record: InteractionRecord, kind: int, message: JSON | None) -> JSON:
    flags = int(message["flags"]) if message else 0
    interaction: JSON = {
        "id": record.id,
        "type": record.type,
        "activity_instance_id": None,
        "response_message_id": message["id"] if message else None,
        "response_message_loading": bool(flags & MessageFlag.LOADING),
        "response_message_ephemeral": bool(flags & MessageFlag.EPHEMERAL),
    }
    resource: JSON = {"type": kind}
    if message is not None:
        resource["message"] = message
    return {"interaction": interaction, "resource": resource}
