"""The simulator's REST sink over HTTP as pytest fixtures: one server per module (each
start/stop costs uvicorn ~0.2 s), handed to each test reset.

A test module takes them with ``sink_server, sink = sink_fixtures(APP_ID, BOT_TOKEN)``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import NamedTuple

import pytest

from sunday_mining_dev.simulator import SinkState
from sunday_mining_dev.simulator.rest_sink import running_sink
from sunday_mining_dev.simulator.rest_state import DEFAULT_UPLOAD_LIMIT


class SinkServer(NamedTuple):
    state: SinkState
    base_url: str


def sink_fixtures(
    application_id: str, bot_token: str
) -> tuple[Callable[[], Iterator[SinkServer]], Callable[[SinkServer], SinkState]]:
    """``sink_server`` (module-scoped) and ``sink``: the server's state with nothing recorded and
    the configuration a test may have changed (strict tokens, upload limit) back as built."""

    @pytest.fixture(scope="module")
    def sink_server() -> Iterator[SinkServer]:
        state = SinkState(application_id=application_id, bot_token=bot_token)
        with running_sink(state) as base_url:
            yield SinkServer(state, base_url)

    @pytest.fixture
    def sink(sink_server: SinkServer) -> SinkState:
        state = sink_server.state
        state.reset()
        state.strict_tokens, state.upload_limit = True, DEFAULT_UPLOAD_LIMIT
        return state

    return sink_server, sink
