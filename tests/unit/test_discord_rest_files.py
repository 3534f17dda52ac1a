"""The REST client's messages with files, and the retries around them, against a scripted
transport: no network, no real waiting (the sleep is injected and recorded)."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sunday_mining.adapters.discord_rest import MAX_WAIT_S, DiscordRest, redact_tokens
from sunday_mining.domain.errors import DiscordUnavailable
from sunday_mining.ports.discord import DiscordApiError, MessageFile
from sunday_mining_dev.simulator.form_data import parse_multipart

APP_ID = "1300000000000000001"
BOT_TOKEN = "bot-token-must-stay-secret"
INTERACTION_TOKEN = "aW50ZXJhY3Rpb246interaction-token-must-stay-secret"
PDF = b"%PDF-1.7\n" + bytes(range(256)) * 8
LINK = {"type": 2, "style": 5, "label": "Open", "url": "https://r.example/x"}
LINK_ROW = {"type": 1, "components": [LINK]}
ROOT = Path(__file__).resolve().parents[2]


def answer(status: int, body: Any = None, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers or {})


def unknown_webhook() -> httpx.Response:
    return answer(404, {"message": "Unknown Webhook", "code": 10015})


def created(message_id: str = "555") -> httpx.Response:
    return answer(200, {"id": message_id, "content": "ok"})


class Scripted:
    """A transport that answers from a list, in order, and keeps every request it got."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers: Iterator[httpx.Response | Exception] = iter(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        next_answer = next(self.answers)
        if isinstance(next_answer, Exception):
            raise next_answer
        return next_answer


def client_for(transport: Scripted) -> tuple[DiscordRest, list[float]]:
    waits: list[float] = []
    rest = DiscordRest(
        token=BOT_TOKEN,
        application_id=APP_ID,
        base_url="https://discord.test/api/v10",
        client=httpx.Client(transport=httpx.MockTransport(transport)),
        sleep=waits.append,
    )
    return rest, waits


def followup(rest: DiscordRest, **kwargs: Any) -> str:
    return rest.send_followup(APP_ID, INTERACTION_TOKEN, content="Payroll final", **kwargs)


def form_of(request: httpx.Request) -> tuple[dict[str, Any], list[Any]]:
    form = parse_multipart(request.headers["content-type"], request.content)
    return json.loads(form.fields["payload_json"]), form.files


def test_a_followup_with_a_file_is_multipart_with_payload_json_and_files_0() -> None:
    transport = Scripted(created("901"))
    rest, _ = client_for(transport)
    file = MessageFile("payroll-v2.pdf", PDF)
    assert followup(rest, file=file, components=[LINK_ROW]) == "901"
    (request,) = transport.requests
    assert request.method == "POST"
    assert request.url.path == f"/api/v10/webhooks/{APP_ID}/{INTERACTION_TOKEN}"
    assert request.headers["content-type"].startswith("multipart/form-data; boundary=")
    payload, files = form_of(request)
    assert payload == {
        "content": "Payroll final",
        "allowed_mentions": {"parse": []},
        "components": [LINK_ROW],
        "attachments": [{"id": "0", "filename": "payroll-v2.pdf"}],
    }
    (upload,) = files
    assert (upload.field, upload.filename, upload.content_type) == (
        "files[0]",
        "payroll-v2.pdf",
        "application/pdf",
    )
    assert upload.data == PDF


def test_a_followup_goes_without_the_bot_token() -> None:
    transport = Scripted(created())
    rest, _ = client_for(transport)
    followup(rest)
    assert "authorization" not in transport.requests[0].headers
    assert transport.requests[0].headers["user-agent"].startswith("DiscordBot (")


def test_without_a_file_the_body_is_json_and_never_pings() -> None:
    transport = Scripted(created())
    rest, _ = client_for(transport)
    followup(rest, ephemeral=True)
    (request,) = transport.requests
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == {
        "content": "Payroll final",
        "allowed_mentions": {"parse": []},
        "flags": 64,
    }


def test_a_channel_message_is_posted_as_the_bot_with_its_file() -> None:
    transport = Scripted(created("777"))
    rest, _ = client_for(transport)
    message_id = rest.send_channel_message(
        "42", content="Report", file=MessageFile("r.pdf", PDF), components=[LINK_ROW]
    )
    assert message_id == "777"
    (request,) = transport.requests
    assert request.url.path == "/api/v10/channels/42/messages"
    assert request.headers["authorization"] == f"Bot {BOT_TOKEN}"
    payload, files = form_of(request)
    assert payload["attachments"] == [{"id": "0", "filename": "r.pdf"}]
    assert payload["allowed_mentions"] == {"parse": []}
    assert [f.field for f in files] == ["files[0]"]


def test_unknown_webhook_twice_then_success_waits_half_a_second_then_one() -> None:
    transport = Scripted(unknown_webhook(), unknown_webhook(), created("902"))
    rest, waits = client_for(transport)
    assert followup(rest, file=MessageFile("r.pdf", PDF)) == "902"
    assert waits == [0.5, 1.0]
    assert all(form_of(r)[1][0].data == PDF for r in transport.requests)


def test_unknown_webhook_gives_up_within_four_seconds() -> None:
    transport = Scripted(*(unknown_webhook() for _ in range(4)))
    rest, waits = client_for(transport)
    with pytest.raises(DiscordApiError) as refused:
        followup(rest)
    assert (refused.value.status, refused.value.code) == (404, 10015)
    assert waits == [0.5, 1.0, 2.0]
    assert sum(waits) <= 4.0


def test_unknown_webhook_on_a_bot_route_is_not_retried() -> None:
    transport = Scripted(unknown_webhook())
    rest, waits = client_for(transport)
    with pytest.raises(DiscordApiError):
        rest.send_channel_message("42", content="x")
    assert waits == []


def test_a_429_waits_the_exact_retry_after_of_the_body() -> None:
    limited = answer(
        429,
        {"message": "You are being rate limited.", "retry_after": 1.25, "global": False},
        {"Retry-After": "2"},
    )
    transport = Scripted(limited, created("903"))
    rest, waits = client_for(transport)
    assert followup(rest) == "903"
    assert waits == [1.25]


def test_a_429_with_only_the_header_waits_the_header() -> None:
    transport = Scripted(httpx.Response(429, headers={"Retry-After": "3"}), created())
    rest, waits = client_for(transport)
    rest.send_channel_message("42", content="x")
    assert waits == [3.0]


def test_a_429_wait_is_capped() -> None:
    transport = Scripted(answer(429, {"retry_after": 3600, "global": True}), created())
    rest, waits = client_for(transport)
    followup(rest)
    assert waits == [MAX_WAIT_S]


def test_rate_limited_four_times_in_a_row_gives_up() -> None:
    transport = Scripted(*(answer(429, {"retry_after": 0.1}) for _ in range(4)))
    rest, waits = client_for(transport)
    with pytest.raises(DiscordUnavailable, match="rate-limiting"):
        followup(rest)
    assert waits == [0.1, 0.1, 0.1]


def test_a_server_error_is_retried_twice_then_reported() -> None:
    transport = Scripted(answer(502), answer(503), answer(500))
    rest, waits = client_for(transport)
    with pytest.raises(DiscordUnavailable, match="try again"):
        rest.send_channel_message("42", content="x")
    assert waits == [1.0, 2.0]


def test_a_server_error_then_success_delivers() -> None:
    transport = Scripted(answer(500), created("904"))
    rest, waits = client_for(transport)
    assert rest.send_channel_message("42", content="x") == "904"
    assert waits == [1.0]


def test_other_client_errors_raise_a_typed_error_at_once() -> None:
    transport = Scripted(answer(403, {"message": "Missing Permissions", "code": 50013}))
    rest, waits = client_for(transport)
    with pytest.raises(DiscordApiError) as refused:
        rest.send_channel_message("42", content="x", file=MessageFile("r.pdf", PDF))
    assert (refused.value.status, refused.value.code) == (403, 50013)
    assert str(refused.value) == "Discord refused the channel message (HTTP 403, code 50013)."
    assert waits == []


def _all_text(error: BaseException) -> str:
    return str(error) + repr(error) + "".join(traceback.format_exception(error))


@pytest.mark.parametrize(
    "failure",
    [
        unknown_webhook,
        lambda: answer(401, {"message": "Invalid Webhook Token", "code": 50027}),
        lambda: httpx.ConnectError(f"cannot reach /webhooks/{APP_ID}/{INTERACTION_TOKEN}"),
        lambda: answer(503),
    ],
)
def test_tokens_never_reach_exceptions_or_logs(
    failure: Callable[[], httpx.Response | Exception], caplog: pytest.LogCaptureFixture
) -> None:
    transport = Scripted(*(failure() for _ in range(5)))
    rest, _ = client_for(transport)
    caplog.set_level(logging.DEBUG, logger="sunday_mining")
    with pytest.raises((DiscordApiError, DiscordUnavailable)) as failed:
        followup(rest, file=MessageFile("r.pdf", PDF))
    seen = _all_text(failed.value) + caplog.text
    assert INTERACTION_TOKEN not in seen
    assert "secret" not in seen
    assert BOT_TOKEN not in seen


def test_redact_tokens_hides_webhook_and_callback_tokens() -> None:
    text = f"POST /api/v10/webhooks/{APP_ID}/{INTERACTION_TOKEN}/messages/@original"
    assert redact_tokens(text) == f"POST /api/v10/webhooks/{APP_ID}/***/messages/@original"
    callback = f"/interactions/99/{INTERACTION_TOKEN}/callback"
    assert redact_tokens(callback) == "/interactions/99/***/callback"
    assert redact_tokens("/channels/42/messages") == "/channels/42/messages"


def test_message_file_repr_leaves_the_bytes_out() -> None:
    assert "PDF" not in repr(MessageFile("r.pdf", PDF))


def test_importing_the_client_and_delivery_does_not_import_httpx() -> None:
    probe = (
        "import sys\n"
        "import sunday_mining.adapters.discord_rest, sunday_mining.reports.delivery\n"
        "print(sorted(m for m in ('httpx', 'fpdf') if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
