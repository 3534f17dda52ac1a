"""Build the UEX test fixtures in ``tests/fixtures/uex/`` from the shared samples.

    .venv/bin/python tools/build_uex_fixtures.py [SAMPLES_DIR]

The samples (``../shared/reference/uex-samples`` beside the repository) give real ids, names,
codes and terminal names; the per-terminal prices are invented around the dump's UEX-wide
averages with a fixed seed, in the exact row shapes of uex.md, wrapped in the
``{status, http_code, data, message}`` envelope. A few rows are deliberately awkward: a
terminal paying 0, ``status_sell`` null, halves to round, commodities outside the catalogue, a
raw ore sold at commodity terminals.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path
from typing import Any

from sunday_mining.domain.ores import all_ores

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "fixtures" / "uex"
SAMPLES = ROOT.parent / "shared" / "reference" / "uex-samples"
GAME_VERSION = "4.9"
SEED = 20260605
MODIFIED_S = 1_780_600_000  # early June 2026, like the dump

COMMODITY_FIELDS = (
    "id", "id_parent", "name", "code", "kind", "weight_scu", "price_buy", "price_sell",
    "is_available", "is_available_live", "is_visible", "is_extractable", "is_mineral", "is_raw",
    "is_pure", "is_refined", "is_refinable", "is_harvestable", "is_buyable", "is_sellable",
    "is_inert", "date_added", "date_modified",
)  # fmt: skip
DECOYS = (109, 36, 25)  # Steel (its id_parent is Iron), Hadanite, Diamond: not in the catalogue
NO_RAW_ROWS = (210, 42)  # Ouratite (Raw) is too new for reports; nobody buys Inert Materials
ICE_RAW = 125  # sold at commodity terminals, so it appears in commodities_prices_all


def envelope(data: Any, status: str = "ok", http_code: int = 200, message: str = "") -> Any:
    return {"status": status, "http_code": http_code, "data": data, "message": message}


def commodities(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{name: row.get(name) for name in COMMODITY_FIELDS} for row in rows]


def _price(rng: random.Random, average: float, low: float, high: float) -> float:
    # Quarter aUEC steps, so rounding half-up is exercised (x.5 and x.25/x.75 both appear).
    return round(average * rng.uniform(low, high) * 4) / 4


def _slug(text: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


def price_row(n: int, row: dict[str, Any], terminal: dict[str, Any], sell: float) -> Any:
    return {
        "id": 90_000 + n, "id_commodity": row["id"], "id_terminal": terminal["id"],
        "price_buy": 0, "price_buy_avg": 0, "price_sell": sell,
        "price_sell_avg": round(sell * 0.98, 2), "scu_buy": 0, "scu_buy_avg": 0,
        "scu_sell_stock": 12, "scu_sell_stock_avg": 20, "scu_sell": 3400, "scu_sell_avg": 3100,
        "status_buy": None, "status_sell": 5, "container_sizes": "1,2,4,8,16,24,32",
        "date_added": 1_760_000_000, "date_modified": MODIFIED_S + n,
        "commodity_name": row["name"], "commodity_code": row["code"],
        "commodity_slug": _slug(row["name"]), "terminal_name": terminal["name"],
        "terminal_code": terminal["code"], "terminal_slug": _slug(terminal["name"]),
    }  # fmt: skip


def raw_row(n: int, row: dict[str, Any], terminal: dict[str, Any], sell: float) -> Any:
    return {
        "id": 7_000 + n, "id_commodity": row["id"], "id_terminal": terminal["id"],
        "price_sell": sell, "price_sell_avg": round(sell * 0.99, 2),
        "price_sell_avg_week": round(sell * 0.985, 2), "game_version": GAME_VERSION,
        "date_added": 1_760_000_000, "date_modified": MODIFIED_S + n,
        "commodity_name": row["name"], "commodity_code": row["code"],
        "commodity_slug": _slug(row["name"]), "terminal_name": terminal["name"],
        "terminal_code": terminal["code"], "terminal_slug": _slug(terminal["name"]),
    }  # fmt: skip


def prices_all(rng: random.Random, by_id: dict[int, Any], terminals: list[Any]) -> list[Any]:
    refined = [o.uex_id for o in all_ores() if not o.is_raw]
    rows: list[Any] = []
    for commodity_id in [*refined, ICE_RAW, *DECOYS]:
        row = by_id[commodity_id]
        average = float(row["price_sell"] or 500)
        for terminal in rng.sample(terminals, rng.randint(3, 6)):
            rows.append(price_row(len(rows), row, terminal, _price(rng, average, 0.85, 1.12)))
    rows[0]["price_sell"] = 0  # a terminal that is not buying Quantainium
    rows[1]["status_sell"] = None
    return rows


def raw_prices_all(rng: random.Random, by_id: dict[int, Any], refineries: list[Any]) -> Any:
    rows: list[Any] = []
    for ore in all_ores():
        if not ore.is_raw or ore.uex_id in (*NO_RAW_ROWS, ICE_RAW):
            continue
        refined_average = float(by_id[ore.refined_id or 0]["price_sell"])
        # Raw ore fetches roughly 35-45 % of the refined price at a refinery (uex.md).
        for terminal in rng.sample(refineries, rng.randint(2, 5)):
            sell = _price(rng, refined_average, 0.35, 0.45)
            rows.append(raw_row(len(rows), by_id[ore.uex_id], terminal, sell))
    return rows


def _refineries(samples: Path) -> list[dict[str, Any]]:
    yields = json.loads((samples / "refinery_yields.json").read_text("utf-8"))
    names = {row["id_terminal"]: row["terminal_name"] for row in yields}
    return [{"id": tid, "name": name, "code": f"RFN{tid}"} for tid, name in sorted(names.items())]


def _commodity_terminals(samples: Path) -> list[dict[str, Any]]:
    terminals = json.loads((samples / "refinery_terminals.json").read_text("utf-8"))
    return [t for t in terminals if t["name"].startswith(("Admin", "TDD", "Shubin", "HDMS"))]


def build(samples: Path) -> dict[str, Any]:
    dump = json.loads((samples / "commodities.json").read_text("utf-8"))
    by_id = {row["id"]: row for row in dump}
    rng = random.Random(SEED)
    return {
        "commodities.json": envelope(commodities(dump)),
        "commodities_prices_all.json": envelope(
            prices_all(rng, by_id, _commodity_terminals(samples))
        ),
        "commodities_raw_prices_all.json": envelope(
            raw_prices_all(rng, by_id, _refineries(samples))
        ),
        "game_versions.json": envelope({"live": GAME_VERSION, "ptu": "4.10"}),
        "error_requests_limit_reached.json": envelope(
            None, "requests_limit_reached", 429, "Too many requests"
        ),
        "error_missing_id_commodity.json": envelope(
            None, "missing_id_commodity", 400, "Commodity not provided"
        ),
        "error_server.json": envelope(None, "error", 500, "Internal error"),
        "empty.json": envelope([]),
    }


def _render(data: Any) -> str:
    # One row per line: small diffs, still readable.
    if isinstance(data, dict) and isinstance(data.get("data"), list) and data["data"]:
        head = json.dumps({k: v for k, v in data.items() if k != "data"})[:-1]
        rows = ",\n".join(json.dumps(row, ensure_ascii=False) for row in data["data"])
        return f'{head}, "data": [\n{rows}\n]}}\n'
    return json.dumps(data, indent=1) + "\n"


CLOUDFLARE_403 = """<!DOCTYPE html>
<html lang="en-US"><head><title>Just a moment...</title></head>
<body><h1>Checking your browser before accessing api.uexcorp.space</h1></body></html>
"""


def main(argv: list[str]) -> int:
    samples = Path(argv[0]) if argv else SAMPLES
    OUT.mkdir(parents=True, exist_ok=True)
    for name, data in build(samples).items():
        (OUT / name).write_text(_render(data), "utf-8")
    (OUT / "cloudflare_403.html").write_text(CLOUDFLARE_403, "utf-8")
    print(f"wrote fixtures to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
