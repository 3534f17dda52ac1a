"""Domain errors. Adapters raise these; entrypoints turn them into messages or statuses.

Every error carries a short sentence meant for the person who caused it: what went wrong and
what to do. It never contains a secret, a token or a raw payload.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error the product explains to a user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ValidationError(DomainError):
    """Input that cannot be accepted as given."""


class NotFound(DomainError):
    """The thing asked for does not exist (in this guild)."""


class PermissionDenied(DomainError):
    """The caller may not do this."""


class StateConflict(DomainError):
    """The request contradicts the current state (a second op, a channel already tracked...)."""


class ChannelTracked(StateConflict):
    """A channel asked for is tracked by another active session, named here."""

    def __init__(self, message: str, *, session_id: str, session_name: str) -> None:
        super().__init__(message)
        self.session_id = session_id
        self.session_name = session_name


class DependencyUnavailable(DomainError):
    """A part the app depends on failed or did not answer. Each part has its own subclass, so
    that counts and messages name the part that failed (``part``), never a neighbour."""

    part = "a dependency"


class StoreError(DomainError):
    """Base of the store's failures, mapped by the adapters from their own error codes."""


class ConditionFailed(StoreError):
    """A conditional write or a transaction's condition did not hold: nothing was written."""

    def __init__(self, message: str = "The item changed while you were working on it.") -> None:
        super().__init__(message)


class Throttled(StoreError):
    """The store asked us to slow down; the same call may succeed shortly."""

    def __init__(self, message: str = "The database is busy; try again in a moment.") -> None:
        super().__init__(message)


class Unavailable(StoreError, DependencyUnavailable):
    """The store could not be reached or failed internally."""

    part = "store"

    def __init__(self, message: str = "The database is unavailable; try again shortly.") -> None:
        super().__init__(message)


class ItemNotFound(StoreError):
    """An update or condition check addressed an item that must exist but does not."""

    def __init__(self, message: str = "That record does not exist.") -> None:
        super().__init__(message)


# --- the other parts ------------------------------------------------------------------------


class DiscordUnavailable(DependencyUnavailable):
    """Discord's REST API could not be reached, kept rate-limiting, or failed (5xx)."""

    part = "Discord"

    def __init__(self, message: str = "Discord didn't answer; try again in a few minutes.") -> None:
        super().__init__(message)


class BlobStoreUnavailable(DependencyUnavailable):
    """Where report files live (S3, or the local reports folder) refused or did not answer."""

    part = "report storage"

    def __init__(
        self, message: str = "The report storage didn't answer; try again in a few minutes."
    ) -> None:
        super().__init__(message)


class JobsUnavailable(DependencyUnavailable):
    """The job runner (Lambda's async invoke, or the in-process runner) did not take a job."""

    part = "job runner"

    def __init__(
        self, message: str = "The background job couldn't be started; try again in a minute."
    ) -> None:
        super().__init__(message)


class FailureQueueUnavailable(DependencyUnavailable):
    """The on-failure queue (SQS) could not be read: the failed jobs waiting there are unknown,
    which says nothing about the store."""

    part = "on-failure queue"

    def __init__(self, message: str = "The on-failure queue couldn't be read.") -> None:
        super().__init__(message)


class SchedulerUnavailable(DependencyUnavailable):
    """The job timers (EventBridge Scheduler) refused or did not answer."""

    part = "scheduler"

    def __init__(self, message: str = "The scheduler didn't answer.") -> None:
        super().__init__(message)
