"""A fake UEX: the real UexClient over an httpx.MockTransport that answers from the recorded
fixtures (tests/fixtures/uex), from bodies a test sets per path, or badly on purpose."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import httpx

from sunday_mining.adapters.uex import UexClient

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "uex"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text("utf-8"))


def ok(data: Any) -> dict[str, Any]:
    """A UEX envelope that answers ``data``."""
    return {"status": "ok", "http_code": 200, "message": "", "data": data}


def market(quotes: Iterable[tuple[int, int, str, int]], *, live: str) -> dict[str, dict[str, Any]]:
    """Bodies for a small market: refined sell prices ``(commodity, terminal, terminal name,
    price)`` at commodity terminals, no refinery prices, and the LIVE game version."""
    rows = [
        {
            "id_commodity": commodity,
            "id_terminal": terminal,
            "terminal_name": name,
            "price_sell": price,
        }
        for commodity, terminal, name, price in quotes
    ]
    return {
        "commodities_prices_all": ok(rows),
        "commodities_raw_prices_all": ok([]),
        "game_versions": ok({"live": live}),
    }


class FakeUex:
    """UEX as the fixtures describe it, or as ``overrides`` (path -> body) say; ``fail`` makes
    one path (or every path, ``"*"``) answer badly until ``heal``. ``client`` is a price source
    factory for PriceService."""

    def __init__(self, overrides: Mapping[str, Any] | None = None) -> None:
        self.failures: dict[str, Callable[[], httpx.Response]] = {}
        self.overrides: dict[str, Any] = dict(overrides or {})
        self.calls: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.rsplit("/", 1)[-1]
        self.calls.append(path)
        failure = self.failures.get(path) or self.failures.get("*")
        if failure is not None:
            return failure()
        body = self.overrides.get(path) or fixture(f"{path}.json")
        return httpx.Response(200, json=body)

    def fail(self, path: str, make: Callable[[], httpx.Response]) -> None:
        self.failures[path] = make

    def heal(self) -> None:
        self.failures.clear()

    def client(self) -> UexClient:
        http = httpx.Client(transport=httpx.MockTransport(self))
        return UexClient(http, base_url="https://uex.test/2.0", sleep=lambda _: None)
