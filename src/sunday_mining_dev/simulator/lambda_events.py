"""Signed interactions as Lambda events: what a Function URL hands the interactions function.

`sunday-mining-dev sign-event` writes these for `sam local invoke`; the sample events in
infra/events/ were written by it. A signed event is good for the app's replay window only
(SM_SIGNATURE_MAX_AGE_S, 5 minutes by default), hence a command that signs a fresh one.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from sunday_mining_dev.simulator.keys import DevKeyPair
from sunday_mining_dev.simulator.model import SimGuild
from sunday_mining_dev.simulator.options import OptionValue
from sunday_mining_dev.simulator.payloads import PayloadFactory
from sunday_mining_dev.simulator.sample_guild import sample_guild
from sunday_mining_dev.simulator.tamper import signed_request

# The application id of local runs (infra/env.example.json's DISCORD_APPLICATION_ID).
LOCAL_APPLICATION_ID = "1300000000000000001"
INTERACTIONS_PATH = "/interactions"


def function_url_event(
    method: str, path: str, body: bytes, headers: Mapping[str, str], now_s: float
) -> dict[str, Any]:
    """A Lambda Function URL request: API Gateway payload format 2.0, a text body."""
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {name.lower(): value for name, value in headers.items()},
        "requestContext": {
            "accountId": "anonymous",
            "apiId": "sunday-mining-local",
            "domainName": "sunday-mining-local.lambda-url.us-east-1.on.aws",
            "domainPrefix": "sunday-mining-local",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": headers.get("user-agent", "Discord-Interactions/1.0"),
            },
            "requestId": f"local-{int(now_s * 1000)}",
            "routeKey": "$default",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now_s)),
            "timeEpoch": int(now_s * 1000),
        },
        "body": body.decode("utf-8"),
        "isBase64Encoded": False,
    }


def signed_interaction_event(
    command: str | None,
    *,
    options: Mapping[str, OptionValue] | None = None,
    user: str = "lead",
    keys: DevKeyPair | None = None,
    application_id: str = LOCAL_APPLICATION_ID,
    guild: SimGuild | None = None,
    now_s: float | None = None,
) -> dict[str, Any]:
    """A PING (``command`` None) or a slash command such as ``"mining status"``, run by ``user``
    of the simulator's sample guild, signed with ``keys`` (the local dev key by default)."""
    now_s = time.time() if now_s is None else now_s
    guild = guild or sample_guild()
    factory = PayloadFactory(application_id, guild)
    if command is None:
        payload = factory.ping()
    else:
        payload = factory.command(guild.member(user), command, dict(options or {}))
    signature, body = signed_request(keys or DevKeyPair.local_dev(), payload, int(now_s))
    headers = {
        "content-type": "application/json",
        "user-agent": "Discord-Interactions/1.0 (+https://discord.com)",
        **signature,
    }
    return function_url_event("POST", INTERACTIONS_PATH, body, headers, now_s)
