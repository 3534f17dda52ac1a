"""Who sold each income line: by default the officer entering it, or a participant picked."""

from __future__ import annotations

import pytest
from tests.support.payroll import (
    ANA,
    BEN,
    DEE,
    GUILD,
    OFFICER,
    QUANTAINIUM,
    ready_draft,
    stored,
)

from sunday_mining.domain.clock import FixedClock
from sunday_mining.domain.errors import ValidationError
from sunday_mining.entrypoints.factories import Services
from sunday_mining.services.payroll import OreEntry, PayrollService, version_key


def test_a_line_is_sold_by_the_officer_entering_it_unless_a_seller_is_picked(
    services: Services, clock: FixedClock, payroll: PayrollService
) -> None:
    draft = ready_draft(services, clock, payroll)
    draft = payroll.add_sale(GUILD, draft.payroll_id, OFFICER, "Gold at Levski", 90_000, BEN)
    assert [line.seller_id for line in draft.income] == [OFFICER, BEN]
    assert [line.seller_id for line in payroll.get(GUILD, draft.payroll_id).income] == [
        OFFICER,
        BEN,
    ]


def test_replacing_ore_amounts_names_the_seller_picked_with_them(
    services: Services, clock: FixedClock, payroll: PayrollService
) -> None:
    draft = ready_draft(services, clock, payroll)
    entry = OreEntry(QUANTAINIUM, 2_000)
    draft = payroll.set_ores(GUILD, draft.payroll_id, OFFICER, [entry], ANA)
    assert [(line.scu_centi, line.seller_id) for line in draft.income] == [(2_000, ANA)]


def test_the_seller_of_a_line_can_be_changed_to_any_participant(
    services: Services, clock: FixedClock, payroll: PayrollService
) -> None:
    draft = ready_draft(services, clock, payroll)
    before = draft.to_input()
    draft = payroll.set_seller(GUILD, draft.payroll_id, OFFICER, 0, ANA)
    assert draft.income[0].seller_id == ANA
    assert (
        payroll.result_of(draft).lines
        == payroll.result_of(payroll.set_seller(GUILD, draft.payroll_id, OFFICER, 0, BEN)).lines
    )  # the seller never changes the money
    assert [x.value for x in before.income] == [x.value for x in draft.income]


def test_a_seller_who_is_not_a_participant_is_refused_and_nothing_is_written(
    services: Services, clock: FixedClock, payroll: PayrollService
) -> None:
    draft = ready_draft(services, clock, payroll)
    item = stored(services, draft)
    with pytest.raises(ValidationError, match="must be a participant"):
        payroll.set_seller(GUILD, draft.payroll_id, OFFICER, 0, DEE)
    with pytest.raises(ValidationError, match="must be a participant"):
        payroll.add_sale(GUILD, draft.payroll_id, OFFICER, "Sale", 1_000, DEE)
    with pytest.raises(ValidationError, match="gone already"):
        payroll.set_seller(GUILD, draft.payroll_id, OFFICER, 5, ANA)
    assert stored(services, draft) == item


def test_a_line_stored_before_sellers_existed_reads_as_sold_by_the_purser(
    services: Services, clock: FixedClock, payroll: PayrollService
) -> None:
    draft = ready_draft(services, clock, payroll)
    item = dict(services.store.get(version_key(GUILD, draft.payroll_id)) or {})
    assert item["income"][0]["seller"] == OFFICER
    item["income"] = [{k: v for k, v in raw.items() if k != "seller"} for raw in item["income"]]
    services.store.put(item)
    assert payroll.get(GUILD, draft.payroll_id).income[0].seller_id == OFFICER
