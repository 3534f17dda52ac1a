"""UEX's refineries_yields through the UexClient, and the yields a price snapshot keeps: each
usable row read (negative bonuses and numbers sent as text included), unusable rows skipped,
and a snapshot without yields telling "unknown" apart from "no bonus"."""

from __future__ import annotations

import httpx
import pytest
from tests.support.uex import FakeUex, ok

from sunday_mining.domain.prices import PriceSnapshot, PriceSourceError, YieldBonus
from sunday_mining.services.prices import bundled_snapshot

ARC_L1, MIC_L1, MIC_L2 = 246, 242, 243
QUANT_RAW, GOLD_RAW, QUARTZ_RAW = 59, 34, 61


def test_the_yield_rows_are_read_by_terminal_and_raw_ore() -> None:
    assert FakeUex().client().refineries_yields() == [
        YieldBonus(ARC_L1, QUANT_RAW, 3),
        YieldBonus(ARC_L1, GOLD_RAW, -2),
        YieldBonus(MIC_L1, GOLD_RAW, 1),
        YieldBonus(MIC_L1, QUARTZ_RAW, -3),  # sent as text
    ]  # the fixture's 250 % row and its row without an ore are skipped


def test_yield_rows_that_all_lack_the_fields_are_an_error() -> None:
    uex = FakeUex({"refineries_yields": ok([{"id_terminal": 1, "value": "lots"}])})
    with pytest.raises(PriceSourceError):
        uex.client().refineries_yields()


def test_a_failing_yields_endpoint_is_a_price_source_error() -> None:
    uex = FakeUex()
    uex.fail("refineries_yields", lambda: httpx.Response(403, text="<html>denied</html>"))
    with pytest.raises(PriceSourceError):
        uex.client().refineries_yields()


def test_a_snapshot_gives_a_refinerys_bonuses_or_none_when_it_has_no_rows_for_it() -> None:
    snapshot = PriceSnapshot(1, "4.5", "uex", {}, {ARC_L1: {QUANT_RAW: 3, GOLD_RAW: -2}})
    assert snapshot.refinery_bonuses(ARC_L1) == {QUANT_RAW: 3, GOLD_RAW: -2}
    assert snapshot.refinery_bonuses(MIC_L2) is None
    assert PriceSnapshot(1, "4.5", "uex", {}).refinery_bonuses(ARC_L1) is None


def test_the_yields_survive_the_snapshots_stored_form() -> None:
    snapshot = PriceSnapshot(1, "4.5", "uex", {}, {ARC_L1: {QUANT_RAW: 3}, MIC_L1: {}})
    assert PriceSnapshot.from_dict(snapshot.to_dict()) == snapshot
    assert "yields" not in PriceSnapshot(1, "4.5", "uex", {}).to_dict()


def test_the_bundled_sample_has_no_yield_figures() -> None:
    assert bundled_snapshot().yields is None
