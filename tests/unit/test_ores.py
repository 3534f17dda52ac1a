"""The ore catalogue: every ship-mineable ore of uex.md, paired by id, found by what people type."""

from __future__ import annotations

import json
import runpy
from pathlib import Path
from typing import Any

import pytest

from sunday_mining.domain import ores
from sunday_mining.domain.ores import Ore, lookup, search

ROOT = Path(__file__).resolve().parents[2]
DUMP = ROOT / "tests" / "fixtures" / "uex" / "commodities.json"

# uex.md, "Ship-mineable ores (4.x)": refined id, code, raw id, raw code.
SHIP_MINEABLE = {
    "Quantainium": (58, "QUAN", 59, "QUAN"),
    "Stileron": (122, "STIL", 162, "STIL"),
    "Savrilium": (188, "SAVR", 187, "SAVW"),
    "Ouratite": (194, "OURA", 210, "OURAR"),
    "Riccite": (124, "RICC", 163, "RICO"),
    "Lindinium": (184, "LIND", 185, "LINW"),
    "Beryl": (11, "BERY", 12, "BERY"),
    "Taranite": (73, "TARA", 74, "TARA"),
    "Borase": (15, "BORA", 16, "BORA"),
    "Gold": (33, "GOLD", 34, "GOLD"),
    "Bexalite": (13, "BEXA", 14, "BEXA"),
    "Laranite": (47, "LARA", 48, "LARA"),
    "Aslarite": (193, "ASLA", 199, "ASLW"),
    "Titanium": (75, "TITA", 76, "TITA"),
    "Tungsten": (77, "TUNG", 78, "TUNG"),
    "Agricium": (1, "AGRI", 2, "AGRI"),
    "Torite": (190, "TORI", 189, "TORIO"),
    "Hephaestanite": (39, "HEPH", 40, "HEPH"),
    "Tin": (103, "TIN", 176, "TINO"),
    "Quartz": (60, "QUAR", 61, "QUAR"),
    "Corundum": (22, "CORU", 23, "CORU"),
    "Copper": (20, "COPP", 21, "COPP"),
    "Silicon": (100, "SILI", 161, "SILI"),
    "Iron": (44, "IRON", 45, "IRONO"),
    "Aluminum": (5, "ALUM", 6, "ALUM"),
}
RAW_ONLY = {125: "ICEW", 42: "INER"}  # Ice (Raw), Inert Materials


@pytest.fixture(scope="module")
def dump() -> dict[int, dict[str, Any]]:
    rows = json.loads(DUMP.read_text("utf-8"))["data"]
    return {row["id"]: row for row in rows}


def test_catalogue_has_every_ship_mineable_ore_in_both_forms() -> None:
    expected = {i for r, _, w, _ in SHIP_MINEABLE.values() for i in (r, w)} | set(RAW_ONLY)
    assert {ore.uex_id for ore in ores.all_ores()} == expected
    assert len(ores.all_ores()) == 52


@pytest.mark.parametrize("name", sorted(SHIP_MINEABLE))
def test_each_ore_pairs_raw_and_refined_by_id(name: str) -> None:
    refined_id, code, raw_id, raw_code = SHIP_MINEABLE[name]
    refined, raw = ores.get(refined_id), ores.get(raw_id)
    assert refined is not None
    assert raw is not None
    assert (refined.name, refined.code, refined.kind) == (name, code, "refined")
    assert (raw.code, raw.kind) == (raw_code, "raw")
    assert (refined.refined_id, refined.raw_id) == (refined_id, raw_id)
    assert (raw.refined_id, raw.raw_id) == (refined_id, raw_id)
    assert ores.raw_of(refined) == raw
    assert ores.refined_of(raw) == refined


def test_pairs_agree_with_the_uex_dump_despite_shared_codes(dump: dict[int, Any]) -> None:
    for ore in ores.all_ores():
        row = dump[ore.uex_id]
        assert (row["name"], row["code"]) == (ore.name, ore.code)
        assert bool(row["is_raw"]) == ore.is_raw
        partner = ore.refined_id if ore.is_raw else ore.raw_id
        if partner is None:
            continue
        other = dump[partner]
        # id_parent is 0 on several new rows but never points to a different ore.
        assert row["id_parent"] in (0, partner)
        assert other["id_parent"] in (0, ore.uex_id)
        refined_name = dump[ore.refined_id or 0]["name"]
        assert dump[ore.raw_id or 0]["name"] in (f"{refined_name} (Ore)", f"{refined_name} (Raw)")


def test_codes_shared_by_both_forms_exist_and_are_not_used_as_keys() -> None:
    shared = [r for r, c, _, rc in SHIP_MINEABLE.values() if c == rc]
    assert len(shared) >= 15  # QUAN, GOLD, LARA, ... (uex.md, "Codes are not unique keys")
    by_code: dict[str, list[Ore]] = {}
    for ore in ores.all_ores():
        by_code.setdefault(ore.code, []).append(ore)
    assert len(by_code["QUAN"]) == 2


def test_steel_whose_parent_is_iron_is_not_iron_ore(dump: dict[int, Any]) -> None:
    assert dump[109]["id_parent"] == 44
    iron = ores.get(44)
    assert iron is not None
    assert iron.raw_id == 45
    assert ores.get(109) is None


def test_raw_only_ores_have_no_refined_form() -> None:
    for uex_id, code in RAW_ONLY.items():
        ore = ores.get(uex_id)
        assert ore is not None
        assert ore.kind == "raw"
        assert ore.code == code
        assert ore.refined_id is None
        assert ores.refined_of(ore) is None


def test_shipped_catalogue_is_what_the_tool_builds_from_the_dump() -> None:
    tool = runpy.run_path(str(ROOT / "tools" / "build_ore_catalogue.py"))
    rows = tool["load_rows"](DUMP)
    files = tool["render"](rows)
    data = ROOT / "src" / "sunday_mining" / "data"
    assert files["ores.json"] == (data / "ores.json").read_text("utf-8")
    assert files["prices_bundled.json"] == (data / "prices_bundled.json").read_text("utf-8")


def test_tool_refuses_an_id_parent_pointing_at_another_ore(dump: dict[int, Any]) -> None:
    tool = runpy.run_path(str(ROOT / "tools" / "build_ore_catalogue.py"))
    rows = [dict(row) for row in dump.values()]
    next(row for row in rows if row["id"] == 59)["id_parent"] = 33  # Quantainium (Raw) -> Gold
    with pytest.raises(tool["BuildError"], match="id_parent"):
        tool["resolve_ores"](rows)


@pytest.mark.parametrize(
    ("text", "uex_id"),
    [
        ("QUAN", 58),
        ("quan", 58),
        ("Quantainium", 58),
        ("Quantanium", 58),
        ("quant", 58),
        ("  QUANT ", 58),
        ("Quantainium (Raw)", 59),
        ("quantainium raw", 59),
        ("raw quant", 59),
        ("QUAN ore", 59),
        ("LARA", 47),
        ("Laranite", 47),
        ("Laranite (Raw)", 48),
        ("Gold", 33),
        ("gold ore", 34),
        ("Gold (Ore)", 34),
        ("refined gold", 33),
        ("TORI", 190),
        ("TORIO", 189),
        ("OURAR", 210),
        ("OURW", 210),
        ("Aluminium", 5),
        ("ice", 125),
        ("Ice (Raw)", 125),
        ("inert", 42),
        ("INRT", 42),
        ("Inert Materials", 42),
    ],
)
def test_lookup_finds_what_officers_type(text: str, uex_id: int) -> None:
    found = lookup(text)
    assert found is not None
    assert found.uex_id == uex_id


@pytest.mark.parametrize("text", ["", "   ", "raw", "ore", "Steel", "Hadanite", "Quantum", "qua"])
def test_lookup_does_not_guess(text: str) -> None:
    assert lookup(text) is None


def test_refined_ice_does_not_exist() -> None:
    assert lookup("refined ice") is None


def test_every_name_code_and_alias_resolves_to_its_own_ore_or_its_pair() -> None:
    for ore in ores.all_ores():
        assert lookup(ore.name) == ore
        for alias in ore.aliases:
            assert lookup(alias) == ore
        by_code = lookup(ore.code)
        assert by_code is not None
        assert by_code.uex_id in (ore.uex_id, ore.refined_id)


def test_search_ranks_name_prefixes_first_and_refined_before_raw() -> None:
    names = [ore.name for ore in search("qu")]
    assert names[:2] == ["Quantainium", "Quartz"]
    assert set(names[2:]) == {"Quantainium (Raw)", "Quartz (Raw)"}


def test_search_matches_codes_aliases_and_raw_wording() -> None:
    assert [o.uex_id for o in search("LARA")][:2] == [47, 48]
    assert 58 in [o.uex_id for o in search("quantan")]
    assert [o.uex_id for o in search("raw quant")] == [59]
    assert [o.name for o in search("materials")] == ["Inert Materials"]


def test_empty_search_lists_the_refined_ores_within_discords_25_options() -> None:
    found = search("")
    assert len(found) == 25
    assert all(not ore.is_raw for ore in found)
    assert found[0].name == "Quantainium"


def test_search_respects_the_limit() -> None:
    assert len(search("", limit=5)) == 5
    assert search("zzz") == []
