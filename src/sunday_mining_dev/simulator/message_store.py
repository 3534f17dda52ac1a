"""Messages and uploaded files as Discord keeps them. Not locked: :class:`SinkState` locks."""

from __future__ import annotations

from collections.abc import Sequence

from sunday_mining_dev.simulator.form_data import UploadedFile, file_index
from sunday_mining_dev.simulator.interactions_state import InteractionRecord
from sunday_mining_dev.simulator.messages import (
    MessageType,
    bot_user,
    edit_message,
    iso_from_snowflake,
    new_message,
)
from sunday_mining_dev.simulator.objects import JSON
from sunday_mining_dev.simulator.rest_rules import check_message
from sunday_mining_dev.simulator.snowflakes import SnowflakeGen


class MessageStore:
    def __init__(self, ids: SnowflakeGen, bot_name: str) -> None:
        self.ids = ids
        self.bot_name = bot_name
        # Where attachment URLs point; set once the sink knows its port.
        self.base_url: str | None = None
        self.messages: dict[str, JSON] = {}
        self.files: dict[str, bytes] = {}

    def clear(self) -> None:
        self.messages.clear()
        self.files.clear()

    def create(
        self,
        fields: JSON,
        files: Sequence[UploadedFile],
        *,
        channel_id: str,
        application_id: str | None,
        kind: MessageType,
        interaction: InteractionRecord | None = None,
    ) -> JSON:
        message_id = self.ids.next()
        message = new_message(
            message_id,
            channel_id,
            bot_user(application_id or "0", self.bot_name),
            fields,
            kind=kind,
            # Interaction messages come from the app's webhook; bot-token posts do not.
            application_id=application_id if interaction else None,
            interaction_metadata=interaction.metadata() if interaction else None,
        )
        message["attachments"] = self._store_files(channel_id, fields, files, [])
        self.messages[message_id] = message
        return message

    def edit(self, message_id: str, fields: JSON, files: Sequence[UploadedFile]) -> JSON:
        current = self.messages[message_id]
        updated = edit_message(current, fields, iso_from_snowflake(self.ids.next()))
        # The edit is judged on the result: e.g. turning on IS_COMPONENTS_V2 while content stays.
        check_message(updated, [], creating=False)
        kept = current["attachments"]
        if "attachments" in fields:
            # Discord drops existing attachments the edit does not list again.
            wanted = {str(a.get("id")) for a in fields["attachments"] or []}
            kept = [a for a in kept if a["id"] in wanted]
        updated["attachments"] = self._store_files(current["channel_id"], fields, files, kept)
        self.messages[message_id] = updated
        return updated

    def _store_files(
        self, channel_id: str, fields: JSON, files: Sequence[UploadedFile], kept: list[JSON]
    ) -> list[JSON]:
        described = {str(a.get("id")): a for a in fields.get("attachments") or []}
        stored = list(kept)
        for position, upload in enumerate(files):
            meta = described.get(file_index(upload.field, position), {})
            stored.append(self._store_file(channel_id, upload, meta))
        return stored

    def _store_file(self, channel_id: str, upload: UploadedFile, meta: JSON) -> JSON:
        attachment_id = self.ids.next()
        filename = str(meta.get("filename") or upload.filename)
        self.files[attachment_id] = upload.data
        base = (self.base_url or "http://127.0.0.1").rstrip("/")
        url = f"{base}/attachments/{channel_id}/{attachment_id}/{filename}"
        attachment: JSON = {
            "id": attachment_id,
            "filename": filename,
            "size": len(upload.data),
            "url": url,
            "proxy_url": url,
            "content_type": upload.content_type,
        }
        if meta.get("description"):
            attachment["description"] = meta["description"]
        return attachment
