"""A development Ed25519 key pair that stands in for Discord's signing key."""

from __future__ import annotations

import re

from nacl.signing import SigningKey

_SEED_RE = re.compile(r"[0-9a-fA-F]{64}")
# The simulator's fixed dev key for local runs (sam local, infra/env.example.json): public on
# purpose, so a signed sample event and the app's DISCORD_PUBLIC_KEY agree. Discord never
# signs with it; an app configured with the portal's key refuses everything it signs.
# The seed is the ASCII text "SundayMining-local-dev-key-00001".
LOCAL_DEV_SEED_HEX = "53756e6461794d696e696e672d6c6f63616c2d6465762d6b65792d3030303031"


class DevKeyPair:
    """Signs interactions the way Discord does; the app is configured with ``public_key_hex``."""

    def __init__(self, signing_key: SigningKey) -> None:
        self._signing_key = signing_key
        self._public_key_hex = str(signing_key.verify_key.encode().hex())

    @classmethod
    def generate(cls) -> DevKeyPair:
        return cls(SigningKey.generate())

    @classmethod
    def from_seed_hex(cls, seed_hex: str) -> DevKeyPair:
        """A fixed pair (32-byte seed as 64 hex characters), for a demo that restarts."""
        if not _SEED_RE.fullmatch(seed_hex):
            raise ValueError("a dev key seed must be 64 hex characters")
        return cls(SigningKey(bytes.fromhex(seed_hex)))

    @classmethod
    def local_dev(cls) -> DevKeyPair:
        """The fixed pair of local runs (:data:`LOCAL_DEV_SEED_HEX`)."""
        return cls.from_seed_hex(LOCAL_DEV_SEED_HEX)

    @property
    def public_key_hex(self) -> str:
        return self._public_key_hex

    @property
    def seed_hex(self) -> str:
        return str(self._signing_key.encode().hex())

    def sign(self, timestamp: str, body: bytes) -> str:
        """The hex signature Discord would put in ``X-Signature-Ed25519``."""
        signed = self._signing_key.sign(timestamp.encode("ascii") + body)
        return str(signed.signature.hex())

    def __repr__(self) -> str:
        # Never print the seed: even a dev key ends up in shared logs.
        return f"DevKeyPair(public_key_hex={self._public_key_hex!r})"
