"""How a route runs its blocking work (store calls, Discord REST): off the event loop on a
server, on it inside a Lambda.

A server (uvicorn, locally) answers many requests at once, so blocking work goes to a thread and
the loop stays free. A Lambda container handles one event at a time: nothing else waits on its
loop, and the thread hop would cost the cold start the thread pool's start and anyio's asyncio
backend (about 11 ms) for nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

T = TypeVar("T")


class Offload(Protocol):
    def __call__(self, work: Callable[..., T], /, *args: Any) -> Awaitable[T]: ...


async def in_thread(work: Callable[..., T], /, *args: Any) -> T:
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(work, *args)


async def inline(work: Callable[..., T], /, *args: Any) -> T:
    return work(*args)
