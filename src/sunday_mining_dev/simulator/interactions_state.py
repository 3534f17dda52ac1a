"""The life of one interaction as Discord tracks it: token, initial response, @original.

The simulator registers every interaction it sends, so the sink can answer webhook calls the way
Discord does: ``@original`` exists only once the initial response is in (a PATCH that comes first
gets 10015, the documented race after a defer), and a token stops working after 15 minutes or
when the 3-second deadline was missed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sunday_mining_dev.simulator.objects import JSON

INTERACTION_TTL_S = 15 * 60
INITIAL_DEADLINE_S = 3.0


@dataclass
class InteractionRecord:
    id: str
    application_id: str
    token: str
    type: int
    channel_id: str
    created_s: float
    user: JSON | None = None
    command_name: str | None = None
    source_message_id: str | None = None
    owners: JSON = field(default_factory=dict)
    response_type: int | None = None
    response_body: Any = None
    original_id: str | None = None
    # Discord's deprecated quirk: the first follow-up POST after a defer edits the loading message.
    loading_replaced: bool = False
    failed: bool = False
    followup_ids: list[str] = field(default_factory=list)

    @classmethod
    def from_payload(cls, payload: JSON, created_s: float) -> InteractionRecord:
        member = payload.get("member") or {}
        user = member.get("user") or payload.get("user")
        message = payload.get("message") or {}
        data = payload.get("data") or {}
        return cls(
            id=str(payload["id"]),
            application_id=str(payload["application_id"]),
            token=str(payload["token"]),
            type=int(payload["type"]),
            channel_id=str(payload.get("channel_id") or "0"),
            created_s=created_s,
            user=user,
            command_name=data.get("name") if payload["type"] in (2, 4) else None,
            source_message_id=message.get("id"),
            owners=dict(payload.get("authorizing_integration_owners") or {}),
        )

    @property
    def responded(self) -> bool:
        return self.response_type is not None

    def metadata(self) -> JSON:
        """``interaction_metadata`` of the messages this interaction creates."""
        meta: JSON = {
            "id": self.id,
            "type": self.type,
            "user": self.user,
            "authorizing_integration_owners": self.owners,
        }
        if self.command_name is not None:
            meta.update({"name": self.command_name, "command_type": 1})
        if self.source_message_id is not None:
            meta["interacted_message_id"] = self.source_message_id
        return meta


def response_data(response: Any) -> JSON:
    if isinstance(response, dict) and isinstance(response.get("data"), dict):
        return dict(response["data"])
    return {}
