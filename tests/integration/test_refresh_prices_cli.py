"""`sunday-mining refresh-prices` against a local stand-in for UEX serving recorded answers."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from sunday_mining.adapters.sqlite_store import SqliteStore
from sunday_mining.domain.clock import FixedClock
from sunday_mining.entrypoints import cli
from sunday_mining.services.prices import PriceService

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "uex"


class _Uex(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        name = self.path.split("?")[0].rsplit("/", 1)[-1]
        path = FIXTURES / f"{name}.json"
        body = path.read_bytes() if path.exists() else b'{"status": "error", "data": null}'
        self.send_response(200 if path.exists() else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def uex() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Uex)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/2.0"
    server.shutdown()


def test_refresh_prices_stores_a_snapshot(
    uex: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "prices.sqlite3"
    monkeypatch.setenv("SM_SQLITE_PATH", str(database))
    monkeypatch.setenv("UEX_BASE_URL", uex)
    assert cli.main(["refresh-prices"]) == 0
    assert capsys.readouterr().out.startswith("Stored prices for ")
    snapshot = PriceService(SqliteStore(database), FixedClock(0)).current()
    assert snapshot.source == "uex"
    assert snapshot.priced_count() > 0
