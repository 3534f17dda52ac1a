"""The REST sink's side of file uploads: what it records, what it refuses the way Discord does,
and faults injected by route name or by path."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from tests.support.sink import SinkServer, sink_fixtures

from sunday_mining_dev.simulator import Fault, Route, SinkState, Transcript

APP_ID = "1300000000000000001"
BOT_TOKEN = "sink-uploads-bot-token"
BOT = {"Authorization": f"Bot {BOT_TOKEN}"}
PDF = b"%PDF-1.7\n" + bytes(range(256)) * 16
LINK = {"type": 2, "style": 5, "label": "Open the report", "url": "https://mining.example/r/1"}


sink_server, sink = sink_fixtures(APP_ID, BOT_TOKEN)


@pytest.fixture
def http(sink: SinkState, sink_server: SinkServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sink_server.base_url, headers=BOT, timeout=5) as client:
        yield client


def post_with_file(
    http: httpx.Client, payload: dict[str, Any], field: str = "files[0]", channel: str = "77"
) -> httpx.Response:
    return http.post(
        f"/channels/{channel}/messages",
        data={"payload_json": json.dumps(payload)},
        files={field: ("report.pdf", PDF, "application/pdf")},
    )


def described(**extra: Any) -> dict[str, Any]:
    return {"content": "Report", "attachments": [{"id": "0", "filename": "report.pdf"}], **extra}


def error_paths(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert body["code"] == 50035, body
    return dict(body["errors"])


def test_an_upload_is_recorded_with_its_digest_and_kept_byte_for_byte(
    sink: SinkState, http: httpx.Client
) -> None:
    response = post_with_file(http, described(components=[{"type": 1, "components": [LINK]}]))
    assert response.status_code == 200
    (attachment,) = response.json()["attachments"]
    assert sink.attachment(attachment["id"]) == PDF
    (call,) = sink.log.by_route(Route.CREATE_MESSAGE)
    assert call.files[0]["sha256"] == hashlib.sha256(PDF).hexdigest()
    saved = json.loads(Transcript(sink.log).to_json())
    assert saved[0]["files"][0]["size"] == len(PDF)
    assert BOT_TOKEN not in json.dumps(saved)


def test_an_attachment_id_without_its_file_is_refused(http: httpx.Client) -> None:
    payload = {"content": "Report", "attachments": [{"id": "1", "filename": "report.pdf"}]}
    refused = post_with_file(http, payload)
    assert refused.status_code == 400
    assert "id" in error_paths(refused)["attachments"]["0"]


def test_the_same_files_n_twice_is_refused(http: httpx.Client) -> None:
    twice = http.post(
        "/channels/77/messages",
        data={"payload_json": json.dumps(described())},
        files=[("files[0]", ("a.pdf", PDF, "application/pdf"))] * 2,
    )
    assert twice.status_code == 400
    assert "files" in error_paths(twice)


def test_an_upload_over_the_limit_gets_413(sink: SinkState, http: httpx.Client) -> None:
    sink.upload_limit = len(PDF) - 1
    too_big = post_with_file(http, described())
    assert too_big.status_code == 413
    assert too_big.json() == {"message": "Request entity too large", "code": 40005}
    assert sink.channel_messages("77") == []


def test_payload_json_that_is_not_json_is_refused(http: httpx.Client) -> None:
    broken = http.post(
        "/channels/77/messages",
        data={"payload_json": "{not json"},
        files={"files[0]": ("r.pdf", PDF, "application/pdf")},
    )
    assert broken.status_code == 400
    assert broken.json()["code"] == 50109


def test_a_multipart_body_without_a_boundary_is_refused(http: httpx.Client) -> None:
    response = http.post(
        "/channels/77/messages",
        content=b"--x\r\n",
        headers={"Content-Type": "multipart/form-data"},
    )
    assert response.status_code == 400
    assert response.json()["code"] == 50035


@pytest.mark.parametrize(
    "mentions",
    [{"parse": ["here"]}, {"parse": ["users"], "users": ["1"]}, "none"],
)
def test_malformed_allowed_mentions_are_refused(http: httpx.Client, mentions: Any) -> None:
    response = http.post(
        "/channels/77/messages", json={"content": "x", "allowed_mentions": mentions}
    )
    assert response.status_code == 400
    assert "allowed_mentions" in error_paths(response)


@pytest.mark.parametrize(
    "button",
    [
        {**LINK, "url": ""},
        {**LINK, "url": "https://mining.example/" + "x" * 512},
        {**LINK, "custom_id": "report:open"},
        {**LINK, "label": "x" * 81},
    ],
)
def test_a_bad_link_button_is_refused(http: httpx.Client, button: dict[str, Any]) -> None:
    body = {"content": "x", "components": [{"type": 1, "components": [button]}]}
    response = http.post("/channels/77/messages", json=body)
    assert response.status_code == 400
    assert "components" in error_paths(response)


def test_a_path_fault_hits_only_that_channel(sink: SinkState, http: httpx.Client) -> None:
    sink.inject("/channels/77/", Fault.missing_access())
    assert http.post("/channels/78/messages", json={"content": "x"}).status_code == 200
    denied = http.post("/channels/77/messages", json={"content": "x"})
    assert denied.status_code == 403
    assert denied.json() == {"message": "Missing Access", "code": 50001}
    assert http.post("/channels/77/messages", json={"content": "x"}).status_code == 200
    assert sink.pending_faults() == 0


def test_a_route_prefix_fault_hits_every_route_it_starts(sink: SinkState) -> None:
    sink.inject("webhook.", 404, code=10015, times=2)
    assert sink.take_fault(Route.CREATE_MESSAGE) is None
    assert sink.take_fault(Route.EXECUTE_WEBHOOK) == Fault.unknown_webhook()
    assert sink.take_fault(Route.EDIT_WEBHOOK_MESSAGE) == Fault.unknown_webhook()
    assert sink.take_fault(Route.EXECUTE_WEBHOOK) is None


def test_a_status_fault_is_worded_like_discord(sink: SinkState, http: httpx.Client) -> None:
    sink.inject(Route.CREATE_MESSAGE, 429, retry_after=0.25)
    sink.inject(Route.GET_CURRENT_USER, 502)
    limited = http.post("/channels/77/messages", json={"content": "x"})
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "1"
    assert limited.json()["retry_after"] == 0.25
    failing = http.get("/users/@me")
    assert failing.json() == {"message": "502: Bad Gateway", "code": 0}
