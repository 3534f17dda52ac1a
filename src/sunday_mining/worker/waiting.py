"""Waiting on an event with a timeout, without losing a cancellation.

`asyncio.wait_for` on Python 3.11 can swallow a cancel that races with the awaited event being
set (fixed in 3.12); a loop around it then never stops. `asyncio.timeout` has no such race.
"""

from __future__ import annotations

import asyncio


async def wait_event(event: asyncio.Event, timeout_s: float) -> bool:
    """True when ``event`` is set within ``timeout_s``; False when the time ran out."""
    try:
        async with asyncio.timeout(timeout_s):
            await event.wait()
    except TimeoutError:
        return False
    return True
