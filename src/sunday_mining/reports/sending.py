"""The report job's view of Discord: turns a finished report and the request that asked for it
into a delivery (follow-up, report channel) and, when the last attempt failed, a short notice.

The request's interaction token is the one the job read back from the store (see
reports/service.py); None when it was gone or past its window, which leaves the report channel."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sunday_mining.domain.clock import Clock
from sunday_mining.ports.discord import MessagePoster
from sunday_mining.reports.delivery import (
    DEFAULT_ATTACHMENT_LIMIT,
    DeliverableReport,
    DeliveryTarget,
    ReportDelivery,
)

if (
    TYPE_CHECKING
):  # only types: the report service loads with the first report (entrypoints/factories.py)
    from sunday_mining.reports.service import ReportFiles, ReportRequest

log = logging.getLogger(__name__)


class DiscordDeliverer:
    """Made from a factory of REST clients, so that the HTTP client loads with the first
    report, never with the app that only asks for reports."""

    def __init__(self, rest_factory: Callable[[], MessagePoster], clock: Clock) -> None:
        self._rest_factory = rest_factory
        self._clock = clock
        self._made: tuple[MessagePoster, ReportDelivery] | None = None

    @property
    def _rest(self) -> MessagePoster:
        return self._parts()[0]

    @property
    def _delivery(self) -> ReportDelivery:
        return self._parts()[1]

    def _parts(self) -> tuple[MessagePoster, ReportDelivery]:
        if self._made is None:
            rest = self._rest_factory()
            self._made = (rest, ReportDelivery(rest, self._clock))
        return self._made

    def deliver(self, request: ReportRequest, files: ReportFiles, link: str) -> dict[str, Any]:
        target = _target(request, files.report_channel_id)
        report = DeliverableReport(
            files.summary, files.pdf_name, files.pdf, link, more_links=files.links
        )
        outcome = self._delivery.deliver(target, report, also_to_channel=request.post_to_channel)
        return {
            "followup_message_id": outcome.followup_message_id,
            "channel_message_id": outcome.channel_message_id,
            "attached": outcome.attached,
            "fallback_used": outcome.fallback_used,
        }

    def notify_failure(self, request: ReportRequest, text: str) -> None:
        target = _target(request, None)
        if not self._delivery.token_usable(target) or target.interaction_token is None:
            log.info("report failure not told: no interaction token within its window")
            return
        self._rest.send_followup(
            target.application_id, target.interaction_token, content=text, ephemeral=True
        )


def _target(request: ReportRequest, channel_id: str | None) -> DeliveryTarget:
    return DeliveryTarget(
        application_id=request.application_id or "",
        interaction_token=request.interaction_token,
        interaction_ms=request.interaction_ms or 0,
        attachment_size_limit=request.attachment_size_limit or DEFAULT_ATTACHMENT_LIMIT,
        report_channel_id=channel_id,
        nonce=request_nonce(request),
        resumed=request.resumed,
    )


def request_nonce(request: ReportRequest) -> str:
    """25 characters naming this request's report message, the same on every attempt."""
    digest = hashlib.sha256(f"{request.payroll_id}:{request.request_key}".encode()).hexdigest()
    return f"r{digest[:24]}"
