"""Delivering a payroll report through the real REST client into the simulator's REST sink over
HTTP: follow-up with the PDF, the report channel when the token cannot be used, and the faults
Discord really produces (10015 after a defer, 429, 403) injected into the sink."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
from tests.support.discord_contract import check_followup
from tests.support.sink import SinkServer, sink_fixtures

from sunday_mining.adapters.discord_rest import DiscordRest
from sunday_mining.domain.clock import FixedClock
from sunday_mining.reports.delivery import (
    DeliverableReport,
    DeliveryTarget,
    ReportDelivery,
    ReportNotDelivered,
)
from sunday_mining_dev.simulator import (
    Fault,
    PayloadFactory,
    RestCall,
    Route,
    SinkState,
    sample_guild,
)

APP_ID = "1300000000000000001"
BOT_TOKEN = "delivery-bot-token"
REPORT_CHANNEL = "1400000000000000042"
T0 = 1_795_370_400_000
PDF = b"%PDF-1.7\n" + bytes(range(256)) * 40
LINK = "https://mining.example/r/01JDELIVERY"


sink_server, sink = sink_fixtures(APP_ID, BOT_TOKEN)


class Rig:
    """The delivery wired to the sink, with every wait recorded instead of slept."""

    def __init__(self, sink: SinkState, base_url: str) -> None:
        self.sink = sink
        self.clock = FixedClock(T0)
        self.waits: list[float] = []
        self.http = httpx.Client(timeout=5)
        rest = DiscordRest(
            token=BOT_TOKEN,
            application_id=APP_ID,
            base_url=base_url,
            client=self.http,
            sleep=self.waits.append,
        )
        self.delivery = ReportDelivery(rest, self.clock, sleep=self.waits.append)

    def deferred_target(
        self, *, channel: str | None = REPORT_CHANNEL, **extra: Any
    ) -> DeliveryTarget:
        """A command answered with a defer five seconds ago, as the reports job finds it."""
        guild = sample_guild(seed=3)
        payload = PayloadFactory(APP_ID, guild).command(guild.member("lead"), "mining status", {})
        self.sink.register_interaction(payload)
        self.sink.record_initial_response(payload["token"], {"type": 5, "data": {}})
        target = DeliveryTarget.from_interaction(
            payload, received_ms=T0 - 5_000, report_channel_id=channel
        )
        return replace(target, **extra)


@pytest.fixture
def rig(sink: SinkState, sink_server: SinkServer) -> Iterator[Rig]:
    rig = Rig(sink, sink_server.base_url)
    yield rig
    rig.http.close()


def report(pdf: bytes = PDF, link: str = LINK) -> DeliverableReport:
    return DeliverableReport(
        summary="Payroll v2 is final: 12 payees, 4,812,000 aUEC.",
        pdf_filename="payroll-2026-11-22-v2.pdf",
        pdf=pdf,
        link_url=link,
        link_label="Open the report",
    )


def request_of(call: RestCall) -> dict[str, Any]:
    assert isinstance(call.request, dict)
    return call.request


def only_attachment(message: dict[str, Any]) -> dict[str, Any]:
    (attachment,) = message["attachments"]
    return dict(attachment)


def test_a_followup_carries_the_pdf_and_a_link_button(rig: Rig) -> None:
    target = rig.deferred_target()
    outcome = rig.delivery.deliver(target, report())
    assert outcome.attached
    assert not outcome.fallback_used
    assert outcome.channel_message_id is None
    message = rig.sink.message(outcome.followup_message_id or "")
    assert message is not None
    assert message["content"].startswith("Payroll v2 is final")
    attachment = only_attachment(message)
    assert attachment["filename"] == "payroll-2026-11-22-v2.pdf"
    assert rig.sink.attachment(attachment["id"]) == PDF
    button = message["components"][0]["components"][0]
    assert (button["style"], button["url"]) == (5, LINK)
    (call,) = rig.sink.log.by_route(Route.EXECUTE_WEBHOOK)
    assert call.files[0]["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert request_of(call)["allowed_mentions"] == {"parse": []}
    check_followup(request_of(call))
    assert rig.waits == []


def test_unknown_webhook_twice_after_the_defer_then_the_followup_lands(rig: Rig) -> None:
    target = rig.deferred_target()
    rig.sink.inject(Route.EXECUTE_WEBHOOK, 404, code=10015, times=2)
    outcome = rig.delivery.deliver(target, report())
    assert outcome.followup_message_id is not None
    assert not outcome.fallback_used
    statuses = [c.status for c in rig.sink.log.by_route(Route.EXECUTE_WEBHOOK)]
    assert statuses == [404, 404, 200]
    assert rig.waits == [0.5, 1.0]
    assert rig.sink.channel_messages(REPORT_CHANNEL) == []


def test_a_rate_limited_followup_waits_out_retry_after(rig: Rig) -> None:
    target = rig.deferred_target()
    rig.sink.inject(Route.EXECUTE_WEBHOOK, 429, retry_after=1.5)
    outcome = rig.delivery.deliver(target, report())
    assert outcome.followup_message_id is not None
    (limited, _) = rig.sink.log.by_route(Route.EXECUTE_WEBHOOK)
    assert limited.fault == "429 rate limited"
    assert rig.waits == [1.5]


def test_a_pdf_over_the_attachment_limit_goes_as_the_link_only(rig: Rig) -> None:
    target = rig.deferred_target(attachment_size_limit=len(PDF) - 1)
    outcome = rig.delivery.deliver(target, report())
    assert not outcome.attached
    message = rig.sink.message(outcome.followup_message_id or "")
    assert message is not None
    assert message["attachments"] == []
    assert "too large to attach" in message["content"]
    assert message["components"][0]["components"][0]["url"] == LINK
    (call,) = rig.sink.log.by_route(Route.EXECUTE_WEBHOOK)
    assert call.files == []
    assert "attachments" not in request_of(call)


def test_after_the_token_window_the_report_goes_to_the_report_channel(rig: Rig) -> None:
    target = rig.deferred_target()
    rig.clock.advance(minutes=14)
    outcome = rig.delivery.deliver(target, report())
    assert outcome.fallback_used
    assert outcome.attached
    assert outcome.followup_message_id is None
    assert rig.sink.log.by_route(Route.EXECUTE_WEBHOOK) == []
    (posted,) = rig.sink.channel_messages(REPORT_CHANNEL)
    assert posted["id"] == outcome.channel_message_id
    assert rig.sink.attachment(only_attachment(posted)["id"]) == PDF
    (call,) = rig.sink.log.by_route(Route.CREATE_MESSAGE)
    assert call.auth == "bot ok"
    check_followup(request_of(call))


def test_a_followup_that_keeps_failing_falls_back_to_the_channel(rig: Rig) -> None:
    target = rig.deferred_target()
    rig.sink.inject(Route.EXECUTE_WEBHOOK, Fault.unknown_webhook(), times=4)
    outcome = rig.delivery.deliver(target, report())
    assert outcome.fallback_used
    assert outcome.channel_message_id is not None
    assert rig.waits == [0.5, 1.0, 2.0]
    assert any("10015" in problem for problem in outcome.problems)


def test_an_expired_token_at_discord_falls_back_at_once(rig: Rig) -> None:
    target = rig.deferred_target()
    rig.sink.inject(Route.EXECUTE_WEBHOOK, 401, code=50027)
    outcome = rig.delivery.deliver(target, report())
    assert outcome.fallback_used
    assert outcome.channel_message_id is not None
    assert rig.waits == []


def test_also_to_channel_posts_the_final_report_in_both_places(rig: Rig) -> None:
    target = rig.deferred_target()
    outcome = rig.delivery.deliver(target, report(), also_to_channel=True)
    assert outcome.followup_message_id is not None
    assert outcome.channel_message_id is not None
    assert not outcome.fallback_used
    (posted,) = rig.sink.channel_messages(REPORT_CHANNEL)
    assert rig.sink.attachment(only_attachment(posted)["id"]) == PDF


def test_when_both_routes_fail_a_typed_error_names_no_token(rig: Rig) -> None:
    target = rig.deferred_target()
    rig.sink.inject(Route.EXECUTE_WEBHOOK, Fault.unknown_webhook(), times=4)
    rig.sink.inject(f"/channels/{REPORT_CHANNEL}/", Fault.missing_access())
    with pytest.raises(ReportNotDelivered) as failed:
        rig.delivery.deliver(target, report())
    assert "report channel" in failed.value.message
    assert len(failed.value.problems) == 2
    token = target.interaction_token or ""
    assert token not in str(failed.value) + " ".join(failed.value.problems)
    assert token not in repr(target)


def test_without_a_token_or_a_channel_nothing_is_sent_and_the_error_says_what_to_do(
    rig: Rig,
) -> None:
    target = rig.deferred_target(channel=None, interaction_token=None)
    with pytest.raises(ReportNotDelivered, match="set a report channel"):
        rig.delivery.deliver(target, report())
    assert rig.sink.log.calls == []


def test_a_followup_refused_as_too_large_goes_again_with_the_link_only(rig: Rig) -> None:
    # The interaction promised more than Discord then accepts: the sink answers 413 like Discord.
    target = rig.deferred_target(channel=None)
    rig.sink.upload_limit = len(PDF) - 1
    try:
        outcome = rig.delivery.deliver(target, report())
    finally:
        rig.sink.upload_limit = 10_485_760
    refused, sent = rig.sink.log.by_route(Route.EXECUTE_WEBHOOK)
    assert refused.status == 413
    assert refused.response == {"message": "Request entity too large", "code": 40005}
    assert sent.files == []
    assert not outcome.attached
    assert any("Sent the link only" in problem for problem in outcome.problems)
    message = rig.sink.message(outcome.followup_message_id or "")
    assert message is not None
    assert message["attachments"] == []
    assert "too large to attach" in message["content"]
    assert message["components"][0]["components"][0]["url"] == LINK


def test_a_report_channel_refusing_the_file_gets_the_link_only(rig: Rig) -> None:
    target = rig.deferred_target(interaction_token=None)
    rig.sink.upload_limit = len(PDF) - 1
    try:
        outcome = rig.delivery.deliver(target, report())
    finally:
        rig.sink.upload_limit = 10_485_760
    assert outcome.fallback_used
    assert not outcome.attached
    refused, sent = rig.sink.log.by_route(Route.CREATE_MESSAGE)
    assert (refused.status, sent.files) == (413, [])
    message = rig.sink.message(outcome.channel_message_id or "")
    assert message is not None
    assert message["components"][0]["components"][0]["url"] == LINK
