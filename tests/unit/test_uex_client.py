"""The UEX client against httpx.MockTransport: envelopes, retries, every error case of uex.md."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from sunday_mining.adapters.uex import DEFAULT_BASE_URL, USER_AGENT, UexClient
from sunday_mining.domain.prices import PriceSourceError, SellQuote

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "uex"
TOKEN = "tok_5ecret0123456789abcdefSHOULDNEVERLEAK"

Reply = httpx.Response | Exception


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def ok(data: Any) -> httpx.Response:
    return httpx.Response(200, json={"status": "ok", "http_code": 200, "data": data, "message": ""})


class Script:
    """A fake UEX: answers each request with the next reply, recording the requests."""

    def __init__(self, *replies: Reply) -> None:
        self.replies = list(replies)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return reply


def client(script: Script, sleeps: list[float], **kwargs: Any) -> UexClient:
    http = httpx.Client(transport=httpx.MockTransport(script))
    return UexClient(http, base_url="https://uex.test/2.0/", sleep=sleeps.append, **kwargs)


# --- success ----------------------------------------------------------------------------------


def test_prices_all_parses_every_fixture_row_into_quotes() -> None:
    script = Script(httpx.Response(200, content=fixture("commodities_prices_all.json")))
    quotes = client(script, []).commodities_prices_all()
    rows = json.loads(fixture("commodities_prices_all.json"))["data"]
    assert len(quotes) == len(rows)
    assert all(isinstance(q, SellQuote) for q in quotes)
    assert str(script.requests[0].url) == "https://uex.test/2.0/commodities_prices_all"


def test_prices_round_half_up_to_whole_auec() -> None:
    row = {"id_commodity": 58, "id_terminal": 1, "terminal_name": "T", "price_sell": 100.5}
    rows = [row, {**row, "id_terminal": 2, "price_sell": 2.675}, {**row, "price_sell": "99.49"}]
    quotes = client(Script(ok(rows)), []).commodities_prices_all()
    assert [q.price_sell for q in quotes] == [101, 3, 99]


def test_numbers_sent_as_text_are_read() -> None:
    row = {"id_commodity": "58", "id_terminal": "246", "price_sell": "61000.5"}
    (quote,) = client(Script(ok([row])), []).commodities_raw_prices_all()
    assert quote == SellQuote(58, 246, "Terminal 246", 61001, None)


def test_raw_prices_carry_game_version_and_terminal_names() -> None:
    script = Script(httpx.Response(200, content=fixture("commodities_raw_prices_all.json")))
    quotes = client(script, []).commodities_raw_prices_all()
    assert quotes[0].game_version == "4.9"
    assert quotes[0].terminal_name.startswith("Refinement")


def test_commodities_keep_ids_parents_and_flags() -> None:
    script = Script(httpx.Response(200, content=fixture("commodities.json")))
    by_id = {c.id: c for c in client(script, []).commodities()}
    assert (by_id[59].name, by_id[59].code, by_id[59].id_parent) == (
        "Quantainium (Raw)",
        "QUAN",
        58,
    )
    assert by_id[59].is_raw
    assert not by_id[59].is_refined
    assert by_id[58].price_sell == 143973


def test_game_versions_is_an_object() -> None:
    script = Script(httpx.Response(200, content=fixture("game_versions.json")))
    assert client(script, []).game_versions() == {"live": "4.9", "ptu": "4.10"}


def test_null_data_means_no_rows() -> None:
    assert client(Script(ok(None)), []).commodities_prices_all() == []
    script = Script(httpx.Response(200, content=fixture("empty.json")))
    assert client(script, []).commodities_raw_prices_all() == []


def test_requests_carry_a_user_agent_and_the_bearer_token_when_given() -> None:
    with_token, without = Script(ok([])), Script(ok([]))
    client(with_token, [], token=TOKEN).commodities_prices_all()
    client(without, []).commodities_prices_all()
    assert with_token.requests[0].headers["User-Agent"] == USER_AGENT
    assert with_token.requests[0].headers["Authorization"] == f"Bearer {TOKEN}"
    assert without.requests[0].headers["User-Agent"] == USER_AGENT
    assert "Authorization" not in without.requests[0].headers


def test_default_host_is_the_one_that_serves_httpx() -> None:
    assert DEFAULT_BASE_URL == "https://api.uexcorp.uk/2.0"


# --- retries ----------------------------------------------------------------------------------


def test_429_with_retry_after_waits_as_told_then_succeeds() -> None:
    sleeps: list[float] = []
    limited = httpx.Response(429, headers={"Retry-After": "7"}, text="slow down")
    rows = client(Script(limited, ok([])), sleeps).commodities_prices_all()
    assert rows == []
    assert sleeps == [7.0]


def test_429_without_retry_after_backs_off_exponentially_then_gives_up() -> None:
    sleeps: list[float] = []
    script = Script(*[httpx.Response(429)] * 4)
    with pytest.raises(PriceSourceError, match="UEX rate limit"):
        client(script, sleeps).commodities_prices_all()
    assert sleeps == [1.0, 2.0, 4.0]
    assert len(script.requests) == 4


def test_retry_after_is_capped() -> None:
    sleeps: list[float] = []
    limited = httpx.Response(429, headers={"Retry-After": "3600"})
    client(Script(limited, ok([])), sleeps).commodities_prices_all()
    assert sleeps == [30.0]


def test_backoff_is_capped() -> None:
    sleeps: list[float] = []
    script = Script(*[httpx.Response(503)] * 8)
    with pytest.raises(PriceSourceError):
        client(script, sleeps, max_attempts=8).commodities_prices_all()
    assert sleeps == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]


def test_5xx_then_success() -> None:
    sleeps: list[float] = []
    server_error = httpx.Response(500, content=fixture("error_server.json"))
    script = Script(server_error, httpx.Response(502, text="bad gateway"), ok([]))
    assert client(script, sleeps).commodities_prices_all() == []
    assert sleeps == [1.0, 2.0]


def test_5xx_every_time_names_the_http_code() -> None:
    with pytest.raises(PriceSourceError, match=r"UEX server error \(HTTP 503\)"):
        client(Script(*[httpx.Response(503)] * 4), []).game_versions()


@pytest.mark.parametrize("http_code", [200, 429])
def test_requests_limit_reached_in_the_envelope_is_retried(http_code: int) -> None:
    sleeps: list[float] = []
    limited = httpx.Response(http_code, content=fixture("error_requests_limit_reached.json"))
    assert client(Script(limited, ok([])), sleeps).commodities_prices_all() == []
    assert sleeps == [1.0]


def test_requests_limit_reached_every_time_is_a_rate_limit_error() -> None:
    limited = httpx.Response(200, content=fixture("error_requests_limit_reached.json"))
    with pytest.raises(PriceSourceError, match="UEX rate limit"):
        client(Script(*[limited] * 4), []).commodities_prices_all()


def test_timeouts_are_retried_then_reported() -> None:
    sleeps: list[float] = []
    script = Script(*[httpx.ReadTimeout("read timed out")] * 4)
    with pytest.raises(PriceSourceError, match="UEX timed out"):
        client(script, sleeps).commodities_prices_all()
    assert len(script.requests) == 4


def test_a_timeout_then_success() -> None:
    script = Script(httpx.ConnectTimeout("connect timed out"), ok([]))
    assert client(script, []).commodities_prices_all() == []


def test_connection_errors_say_unreachable() -> None:
    script = Script(*[httpx.ConnectError("name resolution failed")] * 2)
    with pytest.raises(PriceSourceError, match="UEX unreachable"):
        client(script, [], max_attempts=2).commodities_prices_all()


# --- errors that are not retried --------------------------------------------------------------


def test_status_not_ok_is_an_error_naming_the_status_without_retry() -> None:
    script = Script(httpx.Response(400, content=fixture("error_missing_id_commodity.json")))
    with pytest.raises(PriceSourceError, match="UEX answered status 'missing_id_commodity'"):
        client(script, []).commodities_prices_all()
    assert len(script.requests) == 1


def test_status_not_ok_with_http_200_is_still_an_error() -> None:
    body = {"status": "not_allowed", "http_code": 403, "data": None, "message": ""}
    with pytest.raises(PriceSourceError, match="'not_allowed'"):
        client(Script(httpx.Response(200, json=body)), []).commodities_prices_all()


def test_an_html_403_from_a_bot_wall_is_refused_without_retry() -> None:
    script = Script(httpx.Response(403, content=fixture("cloudflare_403.html")))
    with pytest.raises(PriceSourceError, match=r"UEX refused the request \(HTTP 403\)"):
        client(script, []).commodities_prices_all()
    assert len(script.requests) == 1


@pytest.mark.parametrize("body", [b"{not json", b"", b"\xff\xfe garbage"])
def test_malformed_json_is_an_error(body: bytes) -> None:
    with pytest.raises(PriceSourceError, match="not JSON"):
        client(Script(httpx.Response(200, content=body)), []).commodities_prices_all()


@pytest.mark.parametrize("body", [[1, 2], {"data": []}, {"status": 1, "data": []}])
def test_an_envelope_without_a_status_is_an_error(body: Any) -> None:
    with pytest.raises(PriceSourceError, match="without a status"):
        client(Script(httpx.Response(200, json=body)), []).commodities_prices_all()


def test_rows_missing_fields_are_skipped_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    good = {"id_commodity": 58, "id_terminal": 1, "price_sell": 10}
    rows = [good, {"id_commodity": 58, "price_sell": 10}, {"id_terminal": 1}, "junk"]
    with caplog.at_level(logging.WARNING):
        quotes = client(Script(ok(rows)), []).commodities_prices_all()
    assert [q.terminal_id for q in quotes] == [1]
    assert "skipped 3 of 4 rows" in caplog.text


def test_rows_all_missing_fields_mean_the_api_changed() -> None:
    rows = [{"commodity": 58, "terminal": 1, "sell": 10}]
    with pytest.raises(PriceSourceError, match="lack the fields we need"):
        client(Script(ok(rows)), []).commodities_prices_all()


def test_a_row_without_price_sell_is_not_a_quote() -> None:
    rows = [
        {"id_commodity": 58, "id_terminal": 1},
        {"id_commodity": 58, "id_terminal": 2, "price_sell": 5},
    ]
    assert [q.terminal_id for q in client(Script(ok(rows)), []).commodities_prices_all()] == [2]


def test_data_of_the_wrong_shape_is_an_error() -> None:
    with pytest.raises(PriceSourceError, match="unexpected shape"):
        client(Script(ok({"rows": []})), []).commodities_prices_all()
    with pytest.raises(PriceSourceError, match="unexpected shape"):
        client(Script(ok(["4.9"])), []).game_versions()


def test_zero_and_null_prices_are_kept_as_not_buying() -> None:
    rows = [
        {"id_commodity": 58, "id_terminal": 1, "price_sell": 0},
        {"id_commodity": 58, "id_terminal": 2, "price_sell": None, "status_sell": None},
    ]
    quotes = client(Script(ok(rows)), []).commodities_prices_all()
    assert [q.price_sell for q in quotes] == [0, None]


# --- the token never leaks --------------------------------------------------------------------

FAILURES: list[Callable[[], Reply]] = [
    lambda: httpx.Response(429),
    lambda: httpx.Response(500, text=f"echo Bearer {TOKEN}"),
    lambda: httpx.Response(403, text=f"<html>Authorization: Bearer {TOKEN}</html>"),
    lambda: httpx.Response(200, text=f"not json {TOKEN}"),
    lambda: httpx.Response(200, json={"status": TOKEN, "data": None}),
    lambda: httpx.Response(200, json={"status": f"bad_{TOKEN}", "data": None}),
    lambda: httpx.ReadTimeout(f"timeout with Bearer {TOKEN}"),
    lambda: httpx.ConnectError(f"cannot connect, Bearer {TOKEN}"),
]


@pytest.mark.parametrize("failure", FAILURES)
def test_the_token_never_appears_in_errors_or_logs(
    failure: Callable[[], Reply], caplog: pytest.LogCaptureFixture
) -> None:
    script = Script(*[failure() for _ in range(4)])
    uex = client(script, [], token=TOKEN)
    with caplog.at_level(logging.DEBUG), pytest.raises(PriceSourceError) as caught:
        uex.commodities_prices_all()
    error = caught.value
    for text in (str(error), repr(error), error.message, caplog.text, repr(uex)):
        assert TOKEN not in text
    assert error.__suppress_context__ or error.__cause__ is None
    assert script.requests[0].headers["Authorization"] == f"Bearer {TOKEN}"


def test_repr_says_whether_a_token_is_set_but_not_which() -> None:
    uex = client(Script(), [], token=TOKEN)
    assert "token=set" in repr(uex)
    assert TOKEN not in repr(uex)
