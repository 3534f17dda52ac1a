"""Report delivery's decisions, against a fake poster: what the message says, when it waits,
and which route it takes. The HTTP side is in tests/integration/test_report_delivery.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from sunday_mining.domain.clock import FixedClock
from sunday_mining.ports.discord import DiscordApiError, MessageFile
from sunday_mining.reports.delivery import (
    DEFAULT_ATTACHMENT_LIMIT,
    MAX_CONTENT,
    DeliverableReport,
    DeliveryTarget,
    ReportDelivery,
    compose,
)

T0 = 1_795_370_400_000
TOKEN = "aW50ZXJhY3Rpb246secret-token"


@dataclass
class Sent:
    route: str
    content: str
    file: MessageFile | None
    components: list[dict[str, Any]] | None
    nonce: str | None = None


@dataclass
class FakePoster:
    """Keeps what would have been sent; a route listed in ``refuse`` raises like Discord."""

    refuse: set[str] = field(default_factory=set)
    sent: list[Sent] = field(default_factory=list)

    def send_followup(
        self,
        application_id: str,
        interaction_token: str,
        *,
        content: str,
        file: MessageFile | None = None,
        components: list[dict[str, Any]] | None = None,
        ephemeral: bool = False,
    ) -> str:
        return self._post("followup", content, file, components)

    def send_channel_message(
        self,
        channel_id: str,
        *,
        content: str,
        file: MessageFile | None = None,
        components: list[dict[str, Any]] | None = None,
        nonce: str | None = None,
    ) -> str:
        return self._post("channel", content, file, components, nonce)

    def _post(
        self,
        route: str,
        content: str,
        file: MessageFile | None,
        components: list[dict[str, Any]] | None,
        nonce: str | None = None,
    ) -> str:
        if route in self.refuse:
            raise DiscordApiError(403, 50013, f"the {route}")
        self.sent.append(Sent(route, content, file, components, nonce))
        return f"{route}-{len(self.sent)}"


def report(
    summary: str = "Payroll v1 is final.", link: str = "https://m.example/r/1"
) -> DeliverableReport:
    return DeliverableReport(summary, "payroll.pdf", b"%PDF-1.7 tiny", link, "Open the report")


def target(age_ms: int = 5_000, **extra: Any) -> DeliveryTarget:
    fields: dict[str, Any] = {
        "application_id": "13",
        "interaction_token": TOKEN,
        "interaction_ms": T0 - age_ms,
        "report_channel_id": "42",
        **extra,
    }
    return DeliveryTarget(**fields)


def delivery(poster: FakePoster, waits: list[float]) -> ReportDelivery:
    return ReportDelivery(poster, FixedClock(T0), sleep=waits.append)


def test_a_followup_right_after_the_defer_waits_for_it_to_settle() -> None:
    waits: list[float] = []
    poster = FakePoster()
    delivery(poster, waits).deliver(target(age_ms=200), report())
    assert waits == [0.8]
    assert [s.route for s in poster.sent] == ["followup"]


def test_without_a_token_the_channel_gets_the_report_at_once() -> None:
    waits: list[float] = []
    poster = FakePoster()
    outcome = delivery(poster, waits).deliver(target(interaction_token=None), report())
    assert outcome.fallback_used
    assert [s.route for s in poster.sent] == ["channel"]
    assert waits == []


def test_a_refused_extra_channel_post_does_not_undo_the_followup() -> None:
    poster = FakePoster(refuse={"channel"})
    outcome = delivery(poster, []).deliver(target(), report(), also_to_channel=True)
    assert outcome.followup_message_id == "followup-1"
    assert outcome.channel_message_id is None
    assert outcome.problems == (
        "report channel: Discord refused the channel (HTTP 403, code 50013).",
    )


def test_the_token_window_keeps_a_minute_of_margin() -> None:
    ready = delivery(FakePoster(), [])
    assert ready.token_usable(target(age_ms=14 * 60_000 - 1))
    assert not ready.token_usable(target(age_ms=14 * 60_000))


def test_a_long_summary_is_shortened_so_the_note_and_link_still_fit() -> None:
    long_link = "https://m.example/r/" + "x" * 600
    message = compose(report("word " * 1000, link=long_link), attachment_size_limit=5)
    assert len(message.content) <= MAX_CONTENT
    assert message.content.endswith(long_link)
    assert "too large to attach" in message.content
    assert "…" in message.content
    assert message.components == []
    assert message.file is None


def test_the_button_label_is_cut_to_discords_80() -> None:
    long_label = DeliverableReport("s", "r.pdf", b"x", "https://m.example/r/1", "L" * 120)
    (row,) = compose(long_label, DEFAULT_ATTACHMENT_LIMIT).components
    assert row["components"][0]["label"] == "L" * 80


def test_the_target_reads_the_interaction_and_defaults_the_size_limit() -> None:
    payload = {"application_id": "13", "token": TOKEN, "attachment_size_limit": 26_214_400}
    read = DeliveryTarget.from_interaction(payload, received_ms=T0, report_channel_id="42")
    assert read.attachment_size_limit == 26_214_400
    assert read.interaction_token == TOKEN
    del payload["attachment_size_limit"]
    assert DeliveryTarget.from_interaction(payload, received_ms=T0).attachment_size_limit == (
        DEFAULT_ATTACHMENT_LIMIT
    )
    assert TOKEN not in repr(read)


@pytest.mark.parametrize("size_limit", [DEFAULT_ATTACHMENT_LIMIT, 13])
def test_a_pdf_exactly_at_the_limit_is_attached(size_limit: int) -> None:
    assert compose(report(), size_limit).file is not None


def test_an_attached_pdf_comes_with_its_link_only_form_and_an_empty_one_is_not_attached() -> None:
    message = compose(report(), DEFAULT_ATTACHMENT_LIMIT)
    assert message.file is not None
    assert message.link_only is not None
    assert message.link_only.file is None
    assert "too large to attach" in message.link_only.content
    empty = DeliverableReport("Payroll v1 is final.", "p.pdf", b"", "https://m.example/r/1", "Open")
    assert compose(empty, DEFAULT_ATTACHMENT_LIMIT).file is None


def test_the_channel_post_carries_the_requests_nonce() -> None:
    poster = FakePoster()
    delivery(poster, []).deliver(target(nonce="r" + "a" * 24), report(), also_to_channel=True)
    assert [(s.route, s.nonce) for s in poster.sent] == [
        ("followup", None),
        ("channel", "r" + "a" * 24),
    ]


def test_a_delivery_resumed_after_a_dead_attempt_uses_only_the_deduplicated_channel() -> None:
    # The dead attempt may have sent its follow-up, which nothing can deduplicate; the channel
    # post carries the nonce, so Discord keeps one message whether or not it went out before.
    poster = FakePoster()
    outcome = delivery(poster, []).deliver(
        target(nonce="r" + "b" * 24, resumed=True), report(), also_to_channel=True
    )
    assert [(s.route, s.nonce) for s in poster.sent] == [("channel", "r" + "b" * 24)]
    assert outcome.problems == ("follow-up: skipped, an attempt that died may have sent it",)


def test_a_resumed_delivery_without_a_report_channel_still_answers_the_officer() -> None:
    poster = FakePoster()
    delivery(poster, []).deliver(target(report_channel_id=None, resumed=True), report())
    assert [s.route for s in poster.sent] == ["followup"]
