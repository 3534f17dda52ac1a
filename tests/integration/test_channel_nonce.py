"""A channel message sent twice with the same enforced nonce is one message, over HTTP against
the simulator's REST sink as Discord documents it; how report delivery relies on that is in
tests/unit/test_report_delivery_policy.py and tests/reliability/test_process_kill.py."""

from __future__ import annotations

import pytest
from tests.support.sink import SinkServer, sink_fixtures

from sunday_mining.adapters.discord_rest import DiscordRest
from sunday_mining_dev.simulator import SinkState

APP_ID, BOT_TOKEN, CHANNEL = "1300000000000000001", "b" * 60, "1300000000000000042"
sink_server, sink = sink_fixtures(APP_ID, BOT_TOKEN)


@pytest.fixture
def rest(sink: SinkState, sink_server: SinkServer) -> DiscordRest:
    return DiscordRest(token=BOT_TOKEN, application_id=APP_ID, base_url=sink_server.base_url)


def test_the_same_enforced_nonce_twice_makes_one_message(
    rest: DiscordRest, sink: SinkState
) -> None:
    first = rest.send_channel_message(CHANNEL, content="Payroll v1 is final.", nonce="r" + "c" * 24)
    again = rest.send_channel_message(CHANNEL, content="Payroll v1 is final.", nonce="r" + "c" * 24)
    assert first == again
    assert len(sink.channel_messages(CHANNEL)) == 1


def test_another_nonce_or_none_is_another_message(rest: DiscordRest, sink: SinkState) -> None:
    rest.send_channel_message(CHANNEL, content="one", nonce="r" + "d" * 24)
    rest.send_channel_message(CHANNEL, content="two", nonce="r" + "e" * 24)
    rest.send_channel_message(CHANNEL, content="three")
    rest.send_channel_message(CHANNEL, content="three")
    assert len(sink.channel_messages(CHANNEL)) == 4
