"""Ways to spoil a signed request, for tests of the endpoint's 401 path.

Discord itself sends invalid signatures on purpose (its routine security probes), so every one
of these must be refused with 401 by a correct endpoint.
"""

from __future__ import annotations

import copy
import json
from enum import StrEnum

from sunday_mining_dev.simulator.keys import DevKeyPair
from sunday_mining_dev.simulator.objects import JSON
from sunday_mining_dev.simulator.permissions import ALL_PERMISSIONS, as_string

SIGNATURE_HEADER = "X-Signature-Ed25519"
TIMESTAMP_HEADER = "X-Signature-Timestamp"


class Tamper(StrEnum):
    BAD_SIGNATURE = "bad signature"
    WRONG_KEY = "wrong key"
    MODIFIED_BODY = "modified body"
    RESERIALISED = "re-serialised body"
    STALE_TIMESTAMP = "stale timestamp"
    MISSING_HEADERS = "missing headers"


def encode(payload: JSON) -> bytes:
    """Compact JSON, as Discord sends it; signed and posted as these exact bytes."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def signed_request(
    keys: DevKeyPair, payload: JSON, now_s: int, tamper: Tamper | None = None
) -> tuple[dict[str, str], bytes]:
    """The signature headers and the body to POST, spoiled as ``tamper`` says."""
    body = encode(payload)
    timestamp = str(now_s - 600 if tamper is Tamper.STALE_TIMESTAMP else now_s)
    signature = keys.sign(timestamp, body)
    if tamper is Tamper.BAD_SIGNATURE:
        signature = f"{int(signature[:2], 16) ^ 0x01:02x}" + signature[2:]
    elif tamper is Tamper.WRONG_KEY:
        signature = DevKeyPair.generate().sign(timestamp, body)
    elif tamper is Tamper.MODIFIED_BODY:
        body = encode(_escalated(payload))
    elif tamper is Tamper.RESERIALISED:
        # Same JSON value, other whitespace: what a proxy that parses and re-encodes would send.
        body = json.dumps(payload, indent=1).encode("utf-8")
    if tamper is Tamper.MISSING_HEADERS:
        return {}, body
    return {SIGNATURE_HEADER: signature, TIMESTAMP_HEADER: timestamp}, body


def _escalated(payload: JSON) -> JSON:
    """The attack a signature stops: the same request claiming every permission."""
    forged = copy.deepcopy(payload)
    if isinstance(forged.get("member"), dict):
        forged["member"]["permissions"] = as_string(ALL_PERMISSIONS)
    else:
        forged["forged"] = True
    return forged
