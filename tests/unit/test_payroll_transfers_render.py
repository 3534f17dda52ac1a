"""The transfers of a big settlement page by sender, each page one phone screen, and the
preview's "who will pay whom" field stays within Discord's limit for a field."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from tests.support.member_view import problems

from sunday_mining.domain.guild import DonationPolicy
from sunday_mining.domain.payroll import PayrollResult
from sunday_mining.domain.session import SessionType
from sunday_mining.domain.settlement import SettlementPlan, Transfer, plan_settlement
from sunday_mining.interactions import payroll_transfers
from sunday_mining.interactions.responses import MAX_FIELD_VALUE, message
from sunday_mining.services.payroll import PayrollStatus, PayrollVersion
from sunday_mining.services.payroll.model import SentBefore, StoredSettlement

SELLERS = [f"1{n:017d}" for n in range(3)]
CREW = [f"2{n:017d}" for n in range(9)]
NAMES = {member: f"Miner number {n}" for n, member in enumerate(SELLERS + CREW)}
HANDLES = {member: f"Handle_{n}_in_game" for n, member in enumerate(SELLERS + CREW)}


def big_plan() -> SettlementPlan:
    # Three sellers hold 900,000 each; twelve members are paid 225,000 each.
    payouts = dict.fromkeys(SELLERS + CREW, 225_000)
    return plan_settlement(payouts, dict.fromkeys(SELLERS, 900_000), 50)


def final_version(plan: SettlementPlan) -> PayrollVersion:
    return PayrollVersion(
        guild_id="900000000000000000",
        payroll_id="01M82DG5G0C1NF1046J1ER4Y6J",
        session_id="01M82DG5G0C1NF1046J1ER4Y6K",
        session_name="Halo run",
        session_type=SessionType.SUNDAY,
        session_creator=SELLERS[0],
        session_version=1,
        number=1,
        status=PayrollStatus.FINAL,
        rev=1,
        created_by=SELLERS[0],
        created_ms=0,
        updated_by=SELLERS[0],
        updated_ms=0,
        donation_policy=DonationPolicy.ORG,
        transfer_fee_bp=50,
        minimum_s=0,
        result=PayrollResult(2_700_000, [], [], [], 0, 0, 0, 0, DonationPolicy.ORG),
        settlement=StoredSettlement(None, tuple(replace(t, paid=False) for t in plan.transfers)),
    )


def body(view: Any) -> dict[str, Any]:
    embeds, components = view
    data: dict[str, Any] = message(embeds=embeds, components=components)["data"]
    return data


def test_every_page_of_transfers_posted_for_the_senders_fits_one_phone_screen() -> None:
    plan = big_plan()
    assert len(plan.transfers) == 9
    version = final_version(plan)
    seen: list[str] = []
    for page in range(3):
        shown = body(
            payroll_transfers.transfers_view(
                version, plan, page, NAMES, HANDLES, view=payroll_transfers.SHARED
            )
        )
        assert problems(shown, public=True) == []
        (ticks,) = [c for r in shown["components"] for c in r["components"] if c.get("type") == 3]
        seen += [option["value"] for option in ticks["options"]]
    # Every transfer is on exactly one page, by its place in the plan.
    assert sorted(seen, key=int) == [str(i) for i in range(9)]


def test_the_preview_field_fits_a_field_however_many_senders() -> None:
    many = [f"3{n:017d}" for n in range(60)]
    # Sixty sellers each hold 1,000 more than their payout and send it to one member.
    payouts = dict.fromkeys(many, 1_000) | {CREW[0]: 60_000}
    plan = plan_settlement(payouts, dict.fromkeys(many, 2_000), 50)
    name, value = payroll_transfers.preview_field(plan, "", NAMES)
    assert name == "Who will pay whom"
    assert len(value) <= MAX_FIELD_VALUE
    assert value.startswith("60 transfers. Transfer fee 0.5 %, paid by the sender on top.")


def test_a_page_of_an_amendment_says_in_one_line_what_was_sent_under_earlier_versions() -> None:
    plan = big_plan()
    earlier = [
        SentBefore(Transfer(SELLERS[0], CREW[0], 200_000, 201_005, 1_005, True), 1, "x", 0),
        SentBefore(Transfer(SELLERS[1], CREW[1], 90_000, 90_453, 453, True), 2, "x", 0),
    ]
    version = final_version(plan)
    assert version.settlement is not None
    version = replace(version, settlement=replace(version.settlement, sent_before=tuple(earlier)))
    for page in range(3):
        shown = body(
            payroll_transfers.transfers_view(
                version, plan, page, NAMES, HANDLES, view=payroll_transfers.SHARED
            )
        )
        assert problems(shown, public=True) == []
        lines = shown["embeds"][0]["description"].splitlines()
        assert lines[1] == "Already sent under v1, v2: 2 transfers, 290,000 aUEC."
