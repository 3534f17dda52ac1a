"""The on-failure queue on AWS (SQS): how many failed jobs wait in it, for diagnostics.

Failed asynchronous invokes (reports, price refresh) and undeliverable scheduled events land
there (infra/template.yaml); this only counts them, it never reads or deletes a message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.config import Config

from sunday_mining.domain.errors import FailureQueueUnavailable

# One attempt with short timeouts, inside diagnostics' 1.5 s per check: a slow queue shows as
# "couldn't read" with its fix instead of holding the whole answer.
SQS_CONFIG = Config(connect_timeout=0.5, read_timeout=0.5, retries={"total_max_attempts": 1})
# Visible messages, and those someone is reading in the console right now (still in the queue).
_COUNTED = ("ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible")


class SqsFailureQueue:
    def __init__(self, client: Callable[[], Any], queue_url: str) -> None:
        self._client = client
        self._queue_url = queue_url

    def depth(self) -> int:
        """Messages in the queue (approximate, as SQS counts them); FailureQueueUnavailable if
        unreadable."""
        try:
            answer = self._client().get_queue_attributes(
                QueueUrl=self._queue_url, AttributeNames=list(_COUNTED)
            )
        except Exception as error:
            raise FailureQueueUnavailable(_explain(error)) from None
        attributes = answer.get("Attributes", {})
        return sum(int(attributes.get(name, 0)) for name in _COUNTED)


def _explain(error: Exception) -> str:
    """The AWS error code only: messages can carry account ids and ARNs."""
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code", type(error).__name__)
        return f"SQS refused the request ({code})."
    return f"SQS did not answer ({type(error).__name__})."
