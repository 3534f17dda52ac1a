"""What AWS hands a Lambda handler: a Function URL request event and an invocation context."""

from __future__ import annotations

import base64
from typing import Any


def url_event(method: str, path: str, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    """A Lambda Function URL request (API Gateway payload format 2.0)."""
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {k.lower(): v for k, v in headers.items()},
        "requestContext": {
            "accountId": "anonymous",
            "apiId": "abcdefghij",
            "domainName": "abcdefghij.lambda-url.us-east-1.on.aws",
            "domainPrefix": "abcdefghij",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.7",
                "userAgent": "Discord-Interactions/1.0 (+https://discord.com)",
            },
            "requestId": "c0ffee00-0000-4000-8000-000000000000",
            "routeKey": "$default",
            "stage": "$default",
            "time": "23/Nov/2026:22:00:00 +0000",
            "timeEpoch": 1795478400000,
        },
        "body": base64.b64encode(body).decode(),
        "isBase64Encoded": True,
    }


class LambdaContext:
    function_name = "sunday-mining-interactions"
    aws_request_id = "c0ffee00-0000-4000-8000-000000000000"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 10_000
