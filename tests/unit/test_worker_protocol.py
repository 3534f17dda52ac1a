"""The worker protocol's HMAC (v2: timestamp, method, path and body): what `verify` accepts and
refuses, and the JSON shapes."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from sunday_mining.ports.worker_protocol import (
    MAX_HEARTBEAT_CHANNELS,
    MAX_HEARTBEAT_ERROR_CHARS,
    MAX_HEARTBEAT_GAPS,
    MAX_HEARTBEAT_GUILDS,
    MAX_PERMISSION_NAMES,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    Batch,
    ChannelReport,
    Gap,
    Heartbeat,
    HeartbeatAnswer,
    LeaseAnswer,
    ProtocolError,
    Snapshot,
    VoiceEvent,
    VoiceReport,
    bounded_gaps,
    encode,
    sign,
    signature,
    signed_by_outdated_worker,
    verify,
)

SECRET = "s" * 40
NOW = 1_795_370_400
PATH = "/worker/v1/lease"
BODY = b'{"worker_id":"w1","ttl_s":60}'


def _verify(headers: dict[str, str], body: bytes = BODY, **kwargs: int) -> bool:
    return verify(SECRET, headers, "POST", PATH, body, NOW, **kwargs)


def test_signature_is_hmac_sha256_of_timestamp_method_path_and_body() -> None:
    signed = b"1795370400\nPOST\n/worker/v1/lease\n" + BODY
    expected = hmac.new(SECRET.encode(), signed, hashlib.sha256).hexdigest()
    assert signature(SECRET, "1795370400", "POST", PATH, BODY) == f"v2={expected}"


def test_sign_then_verify_accepts() -> None:
    headers = sign(SECRET, PATH, BODY, NOW)
    assert headers[TIMESTAMP_HEADER] == str(NOW)
    assert _verify(headers)


def test_header_names_match_case_insensitively() -> None:
    headers = {k.lower(): v for k, v in sign(SECRET, PATH, BODY, NOW).items()}
    assert _verify(headers)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/worker/v1/lease/release"),
        ("POST", "/worker/v1/heartbeat"),
        ("POST", "/worker/v1/lease/"),
        ("GET", PATH),
        ("PUT", PATH),
    ],
)
def test_a_body_signed_for_another_endpoint_or_method_is_refused(method: str, path: str) -> None:
    assert not _verify(sign(SECRET, path, BODY, NOW, method))


def test_tampered_body_is_refused() -> None:
    headers = sign(SECRET, PATH, BODY, NOW)
    assert not _verify(headers, BODY.replace(b"60", b"61"))


def test_reserialised_body_is_refused() -> None:
    headers = sign(SECRET, PATH, BODY, NOW)
    same_json = json.dumps(json.loads(BODY)).encode()  # spaces after separators
    assert not _verify(headers, same_json)


def test_wrong_secret_is_refused() -> None:
    headers = sign("t" * 40, PATH, BODY, NOW)
    assert not _verify(headers)


@pytest.mark.parametrize("skew", [-301, 301, 10_000])
def test_timestamp_outside_the_window_is_refused(skew: int) -> None:
    headers = sign(SECRET, PATH, BODY, NOW + skew)
    assert not _verify(headers)


@pytest.mark.parametrize("skew", [-300, 0, 300])
def test_timestamp_inside_the_window_is_accepted(skew: int) -> None:
    assert _verify(sign(SECRET, PATH, BODY, NOW + skew))


def test_window_is_configurable() -> None:
    headers = sign(SECRET, PATH, BODY, NOW - 20)
    assert not _verify(headers, window_s=10)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {TIMESTAMP_HEADER: str(NOW)},
        {SIGNATURE_HEADER: "v2=00"},
        {TIMESTAMP_HEADER: "", SIGNATURE_HEADER: "v2=00"},
        {TIMESTAMP_HEADER: "-5", SIGNATURE_HEADER: "v2=00"},
        {TIMESTAMP_HEADER: "1795370400.5", SIGNATURE_HEADER: "v2=00"},
        {
            TIMESTAMP_HEADER: "\uff11\uff17\uff19\uff15",
            SIGNATURE_HEADER: "v2=00",
        },  # full-width digits
        {TIMESTAMP_HEADER: "9" * 40, SIGNATURE_HEADER: "v2=00"},
    ],
)
def test_missing_or_malformed_headers_are_refused(headers: dict[str, str]) -> None:
    assert not _verify(headers)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda sig: sig.removeprefix("v2="),  # no version
        lambda sig: "v3=" + sig[3:],  # unknown version
        lambda sig: "v1=" + sig[3:],  # the previous version
        lambda sig: sig.upper(),  # the hex must be lowercase, as sent
        lambda sig: sig[:-1],  # truncated
        lambda sig: sig + "00",  # extended
        lambda sig: sig[:-1] + "é",  # not ASCII
    ],
)
def test_malformed_signatures_are_refused(mangle: object) -> None:
    headers = sign(SECRET, PATH, BODY, NOW)
    assert callable(mangle)
    headers[SIGNATURE_HEADER] = mangle(headers[SIGNATURE_HEADER])
    assert not _verify(headers)


def _signed_v1(secret: str, now_s: int) -> dict[str, str]:
    mac = hmac.new(secret.encode(), f"{now_s}.".encode() + BODY, hashlib.sha256).hexdigest()
    return {TIMESTAMP_HEADER: str(now_s), SIGNATURE_HEADER: f"v1={mac}"}


def test_a_genuine_protocol_v1_signature_is_recognised_as_an_outdated_worker() -> None:
    genuine = _signed_v1(SECRET, NOW)
    assert not _verify(genuine)
    assert signed_by_outdated_worker(SECRET, genuine, BODY, NOW)
    assert not signed_by_outdated_worker(SECRET, _signed_v1("t" * 40, NOW), BODY, NOW)
    assert not signed_by_outdated_worker(SECRET, _signed_v1(SECRET, NOW - 3600), BODY, NOW)
    assert not signed_by_outdated_worker(SECRET, sign(SECRET, PATH, BODY, NOW), BODY, NOW)


def test_batch_body_matches_the_protocol_document() -> None:
    batch = Batch(
        guild_id="1000",
        conn="1795370400123-9f2c01ab",
        batch_seq=7,
        events=[VoiceEvent(1795370401000, 12, "42", "11", False)],
        snapshots=[Snapshot(1795370460000, 13, {"11": ["42", "43"], "12": []}, [])],
    )
    assert batch.to_dict("w1") == {
        "worker_id": "w1",
        "guild_id": "1000",
        "conn": "1795370400123-9f2c01ab",
        "batch_seq": 7,
        "events": [
            {"t_ms": 1795370401000, "seq": 12, "user_id": "42", "channel_id": "11", "bot": False}
        ],
        "snapshots": [
            {
                "t_ms": 1795370460000,
                "seq": 13,
                "channels": {"11": ["42", "43"], "12": []},
                "bots": [],
            }
        ],
    }
    assert "worker_id" not in batch.to_dict()


def test_heartbeat_body_matches_the_protocol_document() -> None:
    beat = Heartbeat(
        worker_id="w1",
        conn="1795370400123-9f2c01ab",
        sent_ms=1795370415000,
        state="connected",
        latency_ms=42,
        reconnects_24h=1,
        guilds=["1000"],
        gaps=[Gap(1795370300000, 1795370380000)],
        voice={"1000": VoiceReport("11", "11", None)},
        channels={"1000": {"11": ChannelReport(), "12": ChannelReport(missing=["CONNECT"])}},
        loop_lag_p99_ms=3.04,
    )
    body = json.loads(encode(beat.to_dict()))
    assert body["gaps"] == [{"start_ms": 1795370300000, "end_ms": 1795370380000}]
    assert body["voice"] == {"1000": {"channel_id": "11", "requested": "11", "error": None}}
    assert body["channels"]["1000"]["12"] == {"missing": ["CONNECT"], "full": False}
    assert body["loop_lag_p99_ms"] == 3  # whole ms: the stores refuse floats
    assert isinstance(body["loop_lag_p99_ms"], int)


def test_heartbeat_answer_is_parsed() -> None:
    answer = HeartbeatAnswer.from_dict(
        {
            "lease": {"granted": True, "expires_ms": 1795370475000},
            "presence": {"1000": "11", "2000": None},
            "watch": {"1000": ["11", "12"]},
            "server_ms": 1795370415020,
        }
    )
    assert answer.lease_granted
    assert answer.presence == {"1000": "11", "2000": None}
    assert answer.watch == {"1000": ("11", "12")}


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"presence": {}},
        {"lease": {"granted": "yes", "expires_ms": 1}},
        {"lease": {"granted": True, "expires_ms": 1}, "presence": {"1000": "general"}},
        {"lease": {"granted": True, "expires_ms": 1}, "watch": {"1000": "11"}},
    ],
)
def test_malformed_heartbeat_answers_are_refused(body: object) -> None:
    with pytest.raises(ProtocolError):
        HeartbeatAnswer.from_dict(body)


def test_lease_answer_is_parsed() -> None:
    answer = LeaseAnswer.from_dict({"granted": False, "holder": "w0", "expires_ms": 5})
    assert answer == LeaseAnswer(granted=False, holder="w0", expires_ms=5)


def test_gaps_past_the_bound_merge_the_oldest_into_one_that_spans_them() -> None:
    gaps = [Gap(n * 10, n * 10 + 5) for n in range(MAX_HEARTBEAT_GAPS + 5)]
    bounded = bounded_gaps(gaps)
    assert len(bounded) == MAX_HEARTBEAT_GAPS
    assert bounded[0] == Gap(0, 5 * 10 + 5)  # the first six, merged
    assert bounded[1:] == gaps[6:]
    assert bounded_gaps(gaps[:3]) == gaps[:3]


def test_a_heartbeat_body_stays_within_the_bounds_the_app_accepts() -> None:
    guilds = [str(1000 + n) for n in range(MAX_HEARTBEAT_GUILDS + 10)]
    channels = {
        str(c): ChannelReport(missing=("VIEW_CHANNEL", "CONNECT", "SPEAK")) for c in range(9)
    }
    body = Heartbeat(
        worker_id="w1",
        conn="c",
        sent_ms=0,
        state="connected",
        guilds=guilds,
        gaps=[Gap(n, n + 1) for n in range(MAX_HEARTBEAT_GAPS * 2)],
        voice={g: VoiceReport("11", "11", "timeout " * 1000) for g in guilds},
        channels=dict.fromkeys(guilds, channels),
    ).to_dict()
    assert body["guilds"] == guilds[:MAX_HEARTBEAT_GUILDS]
    assert len(body["gaps"]) == MAX_HEARTBEAT_GAPS
    assert set(body["voice"]) == set(body["guilds"])
    assert {len(v["error"]) for v in body["voice"].values()} == {MAX_HEARTBEAT_ERROR_CHARS}
    assert set(body["channels"]) <= set(body["guilds"])
    assert sum(len(c) for c in body["channels"].values()) == MAX_HEARTBEAT_CHANNELS
    reports = [r for c in body["channels"].values() for r in c.values()]
    assert {len(r["missing"]) for r in reports} == {MAX_PERMISSION_NAMES}
