"""Ed25519 verification of Discord's interaction requests.

Discord signs ``timestamp + raw body`` and sends the hex signature in ``X-Signature-Ed25519``
and the timestamp in ``X-Signature-Timestamp``. The check must run on the exact bytes received: a
body that was parsed and re-serialised (other whitespace, other escaping) no longer verifies. Every
failure is a plain ``False`` so the caller answers 401; Discord's routine probes send invalid
signatures on purpose and an exception there would turn into a 500 and get the endpoint URL removed.
"""

from __future__ import annotations

import re

from nacl.exceptions import CryptoError
from nacl.signing import VerifyKey

__all__ = ["SignatureVerifier", "verify_discord_signature"]

# fullmatch with explicit classes: bytes.fromhex() and int() both forgive whitespace, signs and
# underscores, which would let two different header strings verify as the same value.
_KEY_RE = re.compile(r"[0-9a-fA-F]{64}")
_SIGNATURE_RE = re.compile(r"[0-9a-fA-F]{128}")
_TIMESTAMP_RE = re.compile(r"[0-9]{1,12}")

# Clocks drift; a little future is tolerated, more than this looks like a forged timestamp.
_MAX_FUTURE_S = 60


class SignatureVerifier:
    """Holds the app's parsed public key; build it once at start-up and reuse it per request."""

    def __init__(self, public_key_hex: str, *, max_age_s: int | None = 300) -> None:
        if not isinstance(public_key_hex, str) or not _KEY_RE.fullmatch(public_key_hex):
            raise ValueError("the Discord public key must be 64 hex characters")
        try:
            self._key = VerifyKey(bytes.fromhex(public_key_hex))
            # The constructor accepts any 32 bytes; this conversion fails on bytes that are not a
            # usable curve point (small order, non-canonical), so a typo'd key fails at start-up.
            self._key.to_curve25519_public_key()
        except (CryptoError, ValueError, TypeError) as exc:
            raise ValueError("the Discord public key is not a valid Ed25519 key") from exc
        self._public_key_hex = public_key_hex.lower()
        self._max_age_s = max_age_s

    @property
    def public_key_hex(self) -> str:
        return self._public_key_hex

    def verify(
        self,
        signature_hex: str | None,
        timestamp: str | None,
        body: bytes,
        *,
        now_s: int | None = None,
    ) -> bool:
        """Whether the headers sign ``body``; freshness is checked only when ``now_s`` is given."""
        if not signature_hex or not timestamp:
            return False
        if not _SIGNATURE_RE.fullmatch(signature_hex) or not _TIMESTAMP_RE.fullmatch(timestamp):
            return False
        if not self._is_fresh(int(timestamp), now_s):
            return False
        try:
            self._key.verify(timestamp.encode("ascii") + body, bytes.fromhex(signature_hex))
        except (CryptoError, ValueError, TypeError):
            return False
        return True

    def _is_fresh(self, timestamp_s: int, now_s: int | None) -> bool:
        # Discord defines no replay window; refusing old timestamps is our own hardening.
        if self._max_age_s is None or now_s is None:
            return True
        return now_s - self._max_age_s <= timestamp_s <= now_s + _MAX_FUTURE_S


def verify_discord_signature(
    public_key_hex: str,
    signature_hex: str | None,
    timestamp: str | None,
    body: bytes,
    *,
    now_s: int | None = None,
    max_age_s: int | None = 300,
) -> bool:
    """One-shot check; a bad key is just another ``False``. Prefer a long-lived verifier."""
    try:
        verifier = SignatureVerifier(public_key_hex, max_age_s=max_age_s)
    except ValueError:
        return False
    return verifier.verify(signature_hex, timestamp, body, now_s=now_s)
