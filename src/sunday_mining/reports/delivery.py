"""Getting a finished payroll report into Discord: as a follow-up to the command that asked for
it while its token lasts, else in the guild's report channel as the bot.

The PDF rides along when it fits the interaction's ``attachment_size_limit``; a link button to
the durable report link is always there, so a report too big to attach is still one click away.
Lean on purpose (no httpx, no fpdf2): it only names the REST client's types.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sunday_mining.domain.clock import Clock
from sunday_mining.domain.errors import DependencyUnavailable, DomainError
from sunday_mining.ports.discord import DiscordApiError, MessageFile, MessagePoster

log = logging.getLogger(__name__)

DEFAULT_ATTACHMENT_LIMIT = 10_485_760
HTTP_TOO_LARGE = 413
CODE_TOO_LARGE = 40005  # Discord: "Request entity too large"
# Discord honours an interaction token for 15 minutes; a minute's margin leaves room for the
# follow-up's own retries and for clock skew between Discord and us.
TOKEN_WINDOW_MS = 14 * 60_000
# A follow-up sent the instant after a defer can beat Discord's processing of it (404 10015);
# waiting out the first second is cheaper than retrying into a 404 (discord.md §2.2).
DEFER_SETTLE_MS = 1_000
MAX_CONTENT = 2000
MAX_LINK_URL = 512
MAX_BUTTON_LABEL = 80
_MIB = 1_048_576


@dataclass(frozen=True)
class DeliveryTarget:
    """Where a report may go. The token is a credential: it stays out of reprs and logs, and
    out of the job's payload (the report job reads it back from the store)."""

    application_id: str
    interaction_token: str | None = field(repr=False)
    interaction_ms: int
    attachment_size_limit: int = DEFAULT_ATTACHMENT_LIMIT
    report_channel_id: str | None = None
    # The follow-up goes to the officer who asked, privately by default: payouts are the
    # org's business, and the report channel (when set) is where the org reads them.
    ephemeral: bool = True
    # Posted with the channel message so that Discord keeps one message per request however
    # often it is sent (at most 25 characters; Discord enforces it for a few minutes).
    nonce: str | None = None
    # An earlier attempt died while sending: its follow-up may be out, and a follow-up cannot
    # be deduplicated, so only the report channel (deduplicated by the nonce) is used.
    resumed: bool = False

    @classmethod
    def from_interaction(
        cls, payload: Mapping[str, Any], *, received_ms: int, report_channel_id: str | None = None
    ) -> DeliveryTarget:
        """From the interaction payload the job was started by; ``received_ms`` is its arrival."""
        limit = payload.get("attachment_size_limit")
        return cls(
            application_id=str(payload["application_id"]),
            interaction_token=payload.get("token"),
            interaction_ms=received_ms,
            attachment_size_limit=limit if isinstance(limit, int) else DEFAULT_ATTACHMENT_LIMIT,
            report_channel_id=report_channel_id,
        )


@dataclass(frozen=True)
class DeliverableReport:
    summary: str
    pdf_filename: str
    pdf: bytes = field(repr=False)
    link_url: str
    link_label: str = "Open the report"
    # The report's other files (the CSV, the JSON), as (label, url): buttons beside the PDF's.
    more_links: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class DeliveryOutcome:
    followup_message_id: str | None
    channel_message_id: str | None
    attached: bool
    # The report channel stood in for a follow-up that could not be sent.
    fallback_used: bool
    # What went wrong on the way, in words (never a token), e.g. for the job's log.
    problems: tuple[str, ...] = ()


class ReportNotDelivered(DomainError):
    """Neither route took the report: the caller sends the job to its on-failure queue."""

    def __init__(self, message: str, problems: tuple[str, ...]) -> None:
        super().__init__(message)
        self.problems = problems


@dataclass(frozen=True)
class ReportMessage:
    """What both routes send, decided once so the channel post matches the follow-up."""

    content: str
    file: MessageFile | None
    components: list[dict[str, Any]]
    # With a file: the same without it, for a route that refuses the upload as too large.
    link_only: ReportMessage | None = None


class ReportDelivery:
    def __init__(
        self, rest: MessagePoster, clock: Clock, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self._rest = rest
        self._clock = clock
        self._sleep = sleep

    def deliver(
        self, target: DeliveryTarget, report: DeliverableReport, *, also_to_channel: bool = False
    ) -> DeliveryOutcome:
        """Follow-up first; the report channel when that fails, or as well if asked to."""
        message = compose(report, target.attachment_size_limit)
        problems: list[str] = []
        attached: list[bool] = []  # per message sent: with the file or not
        if target.resumed and target.report_channel_id:
            problems.append("follow-up: skipped, an attempt that died may have sent it")
            followup_id = None
        else:
            followup_id = self._followup(target, message, problems, attached)
        channel_id = None
        if target.report_channel_id and (followup_id is None or also_to_channel):
            channel_id = self._post_in_channel(
                target.report_channel_id, message, problems, attached, target.nonce
            )
        if followup_id is None and channel_id is None:
            raise ReportNotDelivered(_advice(target), tuple(problems))
        return DeliveryOutcome(
            followup_message_id=followup_id,
            channel_message_id=channel_id,
            attached=any(attached),
            fallback_used=followup_id is None,
            problems=tuple(problems),
        )

    def token_usable(self, target: DeliveryTarget) -> bool:
        age_ms = self._clock.now_ms() - target.interaction_ms
        return target.interaction_token is not None and age_ms < TOKEN_WINDOW_MS

    def _followup(
        self,
        target: DeliveryTarget,
        message: ReportMessage,
        problems: list[str],
        attached: list[bool],
    ) -> str | None:
        token = target.interaction_token
        if token is None:
            # None given, or the stored one was gone or past its window when the job read it.
            problems.append("follow-up: no interaction token to answer with")
            return None
        if not self.token_usable(target):
            problems.append("follow-up: the interaction's 15-minute window is over")
            return None
        self._let_defer_settle(target)

        def send(sent: ReportMessage) -> str:
            return self._rest.send_followup(
                target.application_id,
                token,
                content=sent.content,
                file=sent.file,
                components=sent.components,
                ephemeral=target.ephemeral,
            )

        return self._send("follow-up", send, message, problems, attached)

    def _post_in_channel(
        self,
        channel_id: str,
        message: ReportMessage,
        problems: list[str],
        attached: list[bool],
        nonce: str | None,
    ) -> str | None:
        def send(sent: ReportMessage) -> str:
            # The link-only resend after a refused upload is another message: another nonce.
            once = nonce if sent is message or nonce is None else f"{nonce[:24]}l"
            return self._rest.send_channel_message(
                channel_id,
                content=sent.content,
                file=sent.file,
                components=sent.components,
                nonce=once,
            )

        return self._send("report channel", send, message, problems, attached)

    def _send(
        self,
        route: str,
        send: Callable[[ReportMessage], str],
        message: ReportMessage,
        problems: list[str],
        attached: list[bool],
    ) -> str | None:
        """One route's message; sent again without the file if Discord refuses the upload as
        too large (the interaction's size limit promised more than the route accepts)."""
        try:
            try:
                sent = send(message)
                attached.append(message.file is not None)
                return sent
            except DiscordApiError as error:
                if not _too_large(error) or message.link_only is None:
                    raise
                log.warning("report %s refused the PDF as too large: sending the link only", route)
                sent = send(message.link_only)
                problems.append(f"{route}: {error.message} Sent the link only.")
                attached.append(False)
                return sent
        except (DiscordApiError, DependencyUnavailable) as error:
            log.warning("report %s failed: %s", route, error.message)
            problems.append(f"{route}: {error.message}")
            return None

    def _let_defer_settle(self, target: DeliveryTarget) -> None:
        age_ms = self._clock.now_ms() - target.interaction_ms
        if 0 <= age_ms < DEFER_SETTLE_MS:
            self._sleep((DEFER_SETTLE_MS - age_ms) / 1000)


def _too_large(error: DiscordApiError) -> bool:
    return error.status == HTTP_TOO_LARGE or error.code == CODE_TOO_LARGE


def compose(report: DeliverableReport, attachment_size_limit: int) -> ReportMessage:
    """The message both routes send: summary, the PDF if it fits, and the link as a button."""
    size = len(report.pdf)
    fits = 0 < size <= attachment_size_limit  # (an empty file is not worth attaching)
    file = MessageFile(report.pdf_filename, report.pdf) if fits else None
    notes: list[str] = []
    if not fits:
        notes.append(f"The PDF ({size / _MIB:.1f} MB) is too large to attach; use the link.")
    components: list[dict[str, Any]] = []
    if len(report.link_url) <= MAX_LINK_URL:
        components.append(_link_row(report))
    else:
        # A Link button takes at most 512 characters; a longer link still works as text.
        notes.append(report.link_url)
    link_only = compose(report, 0) if file is not None else None
    return ReportMessage(_fit(report.summary, notes), file, components, link_only)


def _link_row(report: DeliverableReport) -> dict[str, Any]:
    label = report.link_label[:MAX_BUTTON_LABEL] or "Open the report"
    buttons = [{"type": 2, "style": 5, "label": label, "url": report.link_url}]
    # A row holds five buttons; a link too long for a button is left to the PDF's page.
    buttons += [
        {"type": 2, "style": 5, "label": more[:MAX_BUTTON_LABEL], "url": url}
        for more, url in report.more_links[:4]
        if more and len(url) <= MAX_LINK_URL
    ]
    return {"type": 1, "components": buttons}


def _fit(summary: str, notes: list[str]) -> str:
    """Shorten the summary, never the notes, so the message stays within Discord's 2000."""
    tail = "".join("\n" + note for note in notes)
    room = MAX_CONTENT - len(tail)
    if len(summary) > room:
        summary = summary[: max(0, room - 1)] + "…"
    return (summary + tail).strip()[:MAX_CONTENT]


def _advice(target: DeliveryTarget) -> str:
    if target.report_channel_id:
        return (
            "The report could not be posted in Discord; check that the bot may send messages "
            "and attach files in the report channel."
        )
    return (
        "The report could not be posted in Discord; set a report channel with "
        "/mining-admin settings set so late reports have somewhere to go."
    )
