"""Ed25519 verification of interaction requests: exactly the signed bytes, nothing else."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nacl.signing import SigningKey

from sunday_mining.web.signature import SignatureVerifier, verify_discord_signature

NOW = 1_767_225_600
TIMESTAMP = str(NOW)
PAYLOAD = {"type": 2, "id": "1", "data": {"name": "mining", "options": []}, "token": "t"}
BODY = json.dumps(PAYLOAD, separators=(",", ":")).encode()

_KEY = SigningKey(bytes(range(32)))
PUBLIC = _KEY.verify_key.encode().hex()


def sign(timestamp: str, body: bytes, key: SigningKey = _KEY) -> str:
    return str(key.sign(timestamp.encode() + body).signature.hex())


SIGNATURE = sign(TIMESTAMP, BODY)


def verify(
    signature: str | None = SIGNATURE,
    timestamp: str | None = TIMESTAMP,
    body: bytes = BODY,
    **kwargs: int | None,
) -> bool:
    return verify_discord_signature(PUBLIC, signature, timestamp, body, **kwargs)


def test_valid_signature_verifies() -> None:
    assert verify()


def test_valid_signature_verifies_within_the_age_window() -> None:
    assert verify(now_s=NOW + 299)


def test_uppercase_hex_signature_verifies() -> None:
    assert verify(SIGNATURE.upper())


@pytest.mark.parametrize("signature", [None, ""])
def test_missing_signature_fails(signature: str | None) -> None:
    assert not verify(signature=signature)


@pytest.mark.parametrize("timestamp", [None, ""])
def test_missing_timestamp_fails(timestamp: str | None) -> None:
    assert not verify(timestamp=timestamp)


@pytest.mark.parametrize(
    "signature",
    [
        "zz" + SIGNATURE[2:],
        SIGNATURE[:-2],
        SIGNATURE + "00",
        SIGNATURE[:64] + " " + SIGNATURE[65:],
        " " + SIGNATURE[1:],
    ],
    ids=["non-hex", "short", "long", "inner-space", "leading-space"],
)
def test_malformed_signature_fails(signature: str) -> None:
    assert not verify(signature=signature)


@pytest.mark.parametrize(
    "key",
    ["", "00" * 31, "zz" * 32, "00" * 32, "ff" * 32, PUBLIC + "00"],
    ids=["empty", "short", "non-hex", "zero-point", "not-a-point", "long"],
)
def test_bad_public_key_fails_without_raising(key: str) -> None:
    assert not verify_discord_signature(key, SIGNATURE, TIMESTAMP, BODY)


def test_signature_by_another_key_fails() -> None:
    other = sign(TIMESTAMP, BODY, SigningKey(bytes(range(1, 33))))
    assert not verify(signature=other)


@pytest.mark.parametrize(
    "timestamp", ["12a", "-5", "+5", "1_000", " 5", "5 ", "1.5", "\uff11\uff12"]
)
def test_non_integer_timestamp_fails(timestamp: str) -> None:
    assert not verify(signature=sign(timestamp, BODY), timestamp=timestamp)


def test_timestamp_older_than_max_age_fails() -> None:
    assert not verify(now_s=NOW + 301)


def test_timestamp_far_in_the_future_fails() -> None:
    assert not verify(now_s=NOW - 61)


def test_small_clock_skew_into_the_future_is_tolerated() -> None:
    assert verify(now_s=NOW - 60)


def test_age_is_not_checked_without_a_clock() -> None:
    assert verify(now_s=None)


def test_age_is_not_checked_when_max_age_is_none() -> None:
    assert verify(now_s=NOW + 86_400, max_age_s=None)


def test_reserialised_body_with_other_whitespace_fails() -> None:
    reserialised = json.dumps(json.loads(BODY)).encode()
    assert json.loads(reserialised) == PAYLOAD
    assert not verify(body=reserialised)


def test_verifier_parses_the_key_once_and_reuses_it() -> None:
    verifier = SignatureVerifier(PUBLIC)
    assert verifier.public_key_hex == PUBLIC
    assert verifier.verify(SIGNATURE, TIMESTAMP, BODY, now_s=NOW)
    assert not verifier.verify(SIGNATURE, TIMESTAMP, BODY + b" ", now_s=NOW)


def test_verifier_applies_its_max_age() -> None:
    assert not SignatureVerifier(PUBLIC, max_age_s=10).verify(
        SIGNATURE, TIMESTAMP, BODY, now_s=NOW + 11
    )


@pytest.mark.parametrize("key", ["", "00" * 32, "zz" * 32, PUBLIC[:-1]])
def test_verifier_rejects_an_invalid_key_at_construction(key: str) -> None:
    with pytest.raises(ValueError, match="public key"):
        SignatureVerifier(key)


def _flip(data: bytes, bit: int) -> bytes:
    flipped = bytearray(data)
    flipped[bit // 8] ^= 1 << (bit % 8)
    return bytes(flipped)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_any_single_bit_flip_in_the_body_fails(data: st.DataObject) -> None:
    bit = data.draw(st.integers(0, len(BODY) * 8 - 1))
    assert not verify(body=_flip(BODY, bit))


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_any_single_bit_flip_in_the_signature_fails(data: st.DataObject) -> None:
    raw = bytes.fromhex(SIGNATURE)
    bit = data.draw(st.integers(0, len(raw) * 8 - 1))
    assert not verify(signature=_flip(raw, bit).hex())


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_any_single_bit_flip_in_the_timestamp_fails(data: st.DataObject) -> None:
    raw = TIMESTAMP.encode()
    bit = data.draw(st.integers(0, len(raw) * 8 - 1))
    # Header values are latin-1 on the wire, so any flipped byte is still a representable string.
    assert not verify(timestamp=_flip(raw, bit).decode("latin-1"))


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=512))
def test_arbitrary_bodies_verify_only_with_their_own_signature(body: bytes) -> None:
    assert verify(signature=sign(TIMESTAMP, body), body=body)
    assert body == BODY or not verify(body=body)
