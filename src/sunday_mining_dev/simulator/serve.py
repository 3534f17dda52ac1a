"""Run an ASGI app under uvicorn on a loopback port, in a background thread."""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn


@contextmanager
def serve_asgi(
    app: Any, *, host: str = "127.0.0.1", port: int = 0, timeout_s: float = 10.0
) -> Iterator[str]:
    """Yields ``http://127.0.0.1:PORT`` once the server accepts connections; stops it after.

    The socket is bound here (port 0 = a free one) and handed to uvicorn, so the port is known
    before the server starts and two tests never race for the same number.
    """
    if not ipaddress.ip_address(host).is_loopback:
        raise ValueError("the simulator only listens on loopback addresses")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    bound_port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, lifespan="off", timeout_graceful_shutdown=2
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"asgi-{bound_port}", daemon=True
    )
    thread.start()
    try:
        _wait_started(server, thread, timeout_s)
        yield f"http://{host}:{bound_port}"
    finally:
        server.should_exit = True
        thread.join(timeout_s)
        sock.close()


def _wait_started(server: uvicorn.Server, thread: threading.Thread, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the loopback server did not start")
        time.sleep(0.005)
