"""Build the ore catalogue and the bundled offline price snapshot from a UEX ``commodities`` dump.

    .venv/bin/python tools/build_ore_catalogue.py [DUMP] [--check]

DUMP defaults to the shared sample (``../shared/reference/uex-samples/commodities.json`` beside
the repository);
a bare list of rows or a ``{"status": "ok", "data": [...]}`` envelope both work. Writes
``src/sunday_mining/data/ores.json`` and ``src/sunday_mining/data/prices_bundled.json``;
``--check`` only compares and exits 1 when the shipped files differ.

Only facts are taken from the dump (ids, names, codes, the raw/refined link and the UEX-wide
average sell price); which ores count as ship-mineable and the aliases are ours. Every pairing
is checked both ways and the build stops at the first contradiction, because codes are shared
between an ore and its raw form (QUAN, GOLD, ...) and ``id_parent`` is sometimes 0 or points
elsewhere (Steel's parent is Iron).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sunday_mining.domain.ores import build_catalogue, normalise
from sunday_mining.domain.prices import OrePrice, PriceSnapshot, to_auec

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "src" / "sunday_mining" / "data"
DEFAULT_DUMP = ROOT.parent / "shared" / "reference" / "uex-samples" / "commodities.json"

# Ship-mineable ores of 4.x, most valuable first (uex.md "Mineable ores"), by UEX spelling,
# with the other names officers type. Each has a refined row "X" and a raw row "X (Ore|Raw)".
SHIP_ORES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Quantainium", ("Quantanium", "Quant")),  # UEX's spelling; the game says Quantanium
    ("Stileron", ()),
    ("Savrilium", ()),
    ("Ouratite", ()),
    ("Riccite", ()),
    ("Lindinium", ()),
    ("Beryl", ()),
    ("Taranite", ()),
    ("Borase", ()),
    ("Gold", ()),
    ("Bexalite", ()),
    ("Laranite", ()),
    ("Aslarite", ()),
    ("Titanium", ()),
    ("Tungsten", ()),
    ("Agricium", ()),
    ("Torite", ()),
    ("Hephaestanite", ()),
    ("Tin", ()),
    ("Quartz", ()),
    ("Corundum", ()),
    ("Copper", ()),
    ("Silicon", ()),
    ("Iron", ()),
    ("Aluminum", ("Aluminium",)),
)
# Mined but never refined: exact UEX names with their aliases.
RAW_ONLY: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Ice (Raw)", ("Ice",)),
    ("Inert Materials", ("Inert", "Inert Material", "INRT")),  # INRT: the old bot's code
)
# Raw codes UEX used before (uex.md: Ouratite (Raw) was OURW, now OURAR).
RAW_ALIASES: dict[str, tuple[str, ...]] = {"Ouratite": ("OURW",)}
RAW_SUFFIXES = (" (Ore)", " (Raw)")

LABEL = "Sunday Mining bundled price snapshot"
NOTE = (
    "Offline sample for the demo and tests, not live prices: UEX-wide average sell prices "
    "(commodities.price_sell) from a UEX commodities dump of June 2026. No terminal prices; "
    "raw ores UEX lists at 0 have no price here."
)


class BuildError(Exception):
    """The dump contradicts what the catalogue needs; fix the spec above or the dump."""


def load_rows(path: Path) -> list[dict[str, Any]]:
    data = json.loads(path.read_text("utf-8"))
    if isinstance(data, dict):
        if data.get("status") != "ok":
            raise BuildError(f"{path}: envelope status is {data.get('status')!r}, not 'ok'")
        data = data.get("data")
    if not isinstance(data, list):
        raise BuildError(f"{path}: expected a list of commodity rows")
    return data


def _flag(row: dict[str, Any], name: str) -> bool:
    # UEX flags are 0/1 numbers; read "non-zero is true" and tolerate text.
    return str(row.get(name, 0)).strip() not in ("", "0", "None")


def _one(rows_by_name: dict[str, list[dict[str, Any]]], name: str) -> dict[str, Any] | None:
    found = rows_by_name.get(name, [])
    if len(found) > 1:
        raise BuildError(f"{len(found)} rows are named {name!r}")
    return found[0] if found else None


def _pair(
    rows_by_name: dict[str, list[dict[str, Any]]], base: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    refined = _one(rows_by_name, base)
    raws = [row for s in RAW_SUFFIXES if (row := _one(rows_by_name, base + s)) is not None]
    if refined is None or len(raws) != 1:
        raise BuildError(f"{base}: need one refined row and one raw row, found {len(raws)} raw")
    raw = raws[0]
    if _flag(refined, "is_raw") or not _flag(raw, "is_raw"):
        raise BuildError(f"{base}: raw/refined flags contradict the names")
    # id_parent links the pair in both directions on old ores, is 0 on several new ones, and
    # must never point anywhere else.
    for row, other in ((refined, raw), (raw, refined)):
        if int(row.get("id_parent") or 0) not in (0, int(other["id"])):
            raise BuildError(f"{row['name']}: id_parent {row['id_parent']} is not {other['id']}")
    return refined, raw


def resolve_ores(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The catalogue rows (``data/ores.json``'s ``ores``), in catalogue order."""
    by_name: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_name.setdefault(str(row["name"]).strip(), []).append(row)
    ores: list[dict[str, Any]] = []
    for base, aliases in SHIP_ORES:
        refined, raw = _pair(by_name, base)
        r_id, w_id = int(refined["id"]), int(raw["id"])
        ores.append(_entry(refined, "refined", r_id, w_id, aliases))
        ores.append(_entry(raw, "raw", r_id, w_id, RAW_ALIASES.get(base, ())))
    for name, aliases in RAW_ONLY:
        only = _one(by_name, name)
        if only is None or not _flag(only, "is_raw"):
            raise BuildError(f"{name}: no raw row of that name")
        ores.append(_entry(only, "raw", None, int(only["id"]), aliases))
    _check_unambiguous(ores)
    return ores


def _entry(
    row: dict[str, Any], kind: str, refined_id: int | None, raw_id: int, aliases: tuple[str, ...]
) -> dict[str, Any]:
    return {
        "uex_id": int(row["id"]),
        "name": str(row["name"]).strip(),
        "code": str(row["code"]).strip(),
        "kind": kind,
        "refined_id": refined_id,
        "raw_id": raw_id,
        "aliases": list(aliases),
    }


def _check_unambiguous(ores: list[dict[str, Any]]) -> None:
    """Names and aliases must each mean one ore; only codes may be shared (raw and refined)."""
    seen: dict[str, int] = {}
    for ore in ores:
        for key in (ore["name"], *ore["aliases"]):
            norm = normalise(key)
            if seen.setdefault(norm, ore["uex_id"]) != ore["uex_id"]:
                raise BuildError(f"{key!r} would mean both {seen[norm]} and {ore['uex_id']}")
    build_catalogue(ores)  # the loader's own checks


def bundled_snapshot(rows: list[dict[str, Any]], ores: list[dict[str, Any]]) -> dict[str, Any]:
    """UEX-wide average sell prices as a snapshot: ``average_sell`` only, no terminals."""
    by_id = {int(row["id"]): row for row in rows}
    prices: dict[int, OrePrice] = {}
    for ore in ores:
        average = to_auec(by_id[ore["uex_id"]].get("price_sell"))
        prices[ore["uex_id"]] = OrePrice(ore["uex_id"], None, average or None, ())
    # The dump carries no fetch time; its latest change is the best "as of" it gives.
    as_of_s = max(int(row.get("date_modified") or 0) for row in rows)
    snapshot = PriceSnapshot(as_of_s * 1000, "unknown", "bundled", prices)
    as_of = datetime.fromtimestamp(as_of_s, tz=UTC).strftime("%Y-%m-%d")
    return {"label": LABEL, "date": as_of, "note": NOTE, **snapshot.to_dict()}


def render(rows: list[dict[str, Any]]) -> dict[str, str]:
    ores = resolve_ores(rows)
    catalogue = {
        "generated_by": "tools/build_ore_catalogue.py",
        "note": "Ship-mineable ores keyed by UEX commodity id. Codes are not unique: use ids.",
        "ores": ores,
    }
    return {
        "ores.json": _dump(catalogue),
        "prices_bundled.json": _dump(bundled_snapshot(rows, ores)),
    }


def _dump(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dump", nargs="?", type=Path, default=DEFAULT_DUMP)
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args(argv)
    files = render(load_rows(args.dump))
    stale = [name for name, text in files.items() if _read(DATA / name) != text]
    if args.check:
        for name in stale:
            print(f"{name} is out of date; run tools/build_ore_catalogue.py", file=sys.stderr)
        return 1 if stale else 0
    DATA.mkdir(parents=True, exist_ok=True)
    for name in stale:
        (DATA / name).write_text(files[name], "utf-8")
        print(f"wrote {DATA / name}")
    return 0


def _read(path: Path) -> str | None:
    return path.read_text("utf-8") if path.exists() else None


if __name__ == "__main__":
    sys.exit(main())
