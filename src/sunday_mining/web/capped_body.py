"""Reading a request body with a ceiling: refused on its declared length, else cut off as soon as
it passes the limit, so an unauthenticated caller can never make the app hold more than that."""

from __future__ import annotations

from fastapi import Request

from sunday_mining.domain.ids import ascii_number

_MAX_LENGTH_DIGITS = 12  # a terabyte: anything longer is garbage, and over every limit anyway


async def read_capped(request: Request, limit: int) -> bytes | None:
    """The whole body, or None when it is (or says it is) longer than ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None:
        # ASCII digits only: str.isdigit() takes "²", which int() then refuses.
        size = ascii_number(declared, _MAX_LENGTH_DIGITS)
        if size is None or size > limit:
            return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
