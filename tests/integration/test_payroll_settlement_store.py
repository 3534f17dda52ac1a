"""A final payroll paid by a settlement plan keeps its transfers, their paid marks and what was
sent under the versions it replaced on both stores (SQLite and DynamoDB through moto), and
``settlement_of`` reads the plan back."""

from __future__ import annotations

from dataclasses import replace

from sunday_mining.domain.guild import DonationPolicy
from sunday_mining.domain.payroll import ORG_PAYEE_ID, IncomeLine, Percentage
from sunday_mining.domain.session import SessionType
from sunday_mining.domain.settlement import Transfer
from sunday_mining.ports.store import Store
from sunday_mining.services.payroll import PayrollStatus, PayrollVersion, settlement_of
from sunday_mining.services.payroll.codec import version_from_item, version_key, version_to_item
from sunday_mining.services.payroll.model import Member, PaidMark, SentBefore
from sunday_mining.services.payroll.settling import payee_marks, settle, stored, uses_plan

ANA, BEN, CY, MO = "111111111111111111", "222222222222222222", "333333333333333333", "4" * 18
H = 3600


def draft() -> PayrollVersion:
    return PayrollVersion(
        guild_id="900000000000000000",
        payroll_id="01M82DG5G0C1NF1046J1ER4Y6J",
        session_id="01M82DG5G0C1NF1046J1ER4Y6K",
        session_name="Halo run",
        session_type=SessionType.SUNDAY,
        session_creator=ANA,
        session_version=3,
        number=1,
        status=PayrollStatus.DRAFT,
        rev=4,
        created_by=ANA,
        created_ms=1_795_370_400_000,
        updated_by=ANA,
        updated_ms=1_795_370_400_000,
        donation_policy=DonationPolicy.ORG,
        transfer_fee_bp=50,
        minimum_s=0,
        members=(Member(ANA, 2 * H, False, False, True), Member(BEN, H, False, False, True)),
        income=(
            IncomeLine.sale(700_000, "Ana's load", seller_id=ANA),
            IncomeLine.sale(300_000, "Ben's load", seller_id=BEN),
        ),
        percentages=(Percentage("Org cut", ORG_PAYEE_ID, 1_000),),
    )


def finalized() -> PayrollVersion:
    version = draft()
    assert uses_plan(version)
    # Pool 1,000,000; org 100,000 held by Mo; shares 900,000 by 2 : 1 = Ana 600,000, Ben
    # 300,000. Ana holds 700,000 (+100,000), Ben 300,000 (0): Ana -> Mo 100,000, sent 100,503.
    settled = settle(version, MO)
    marks = {(ANA, MO): PaidMark(ANA, 1_795_370_500_000)}
    final = replace(
        version,
        status=PayrollStatus.FINAL,
        finalized_by=ANA,
        finalized_ms=1_795_370_450_000,
        result=settled.payroll,
        settlement=replace(stored(settled.plan), marks=marks),
    )
    return replace(final, paid=payee_marks(final))


def test_a_settled_version_reads_back_the_same_from_the_store(store: Store) -> None:
    version = finalized()
    store.put(version_to_item(version))
    item = store.get(version_key(version.guild_id, version.payroll_id))
    assert item is not None
    assert version_from_item(item) == version


def test_settlement_of_reads_the_stored_plan_with_its_marks(store: Store) -> None:
    store.put(version_to_item(finalized()))
    item = store.get(version_key(draft().guild_id, draft().payroll_id))
    assert item is not None
    plan = settlement_of(version_from_item(item))
    assert plan is not None
    assert [(t.sender, t.receiver, t.amount_received, t.amount_sent, t.fee, t.paid) for t in
            plan.transfers] == [(ANA, MO, 100_000, 100_503, 503, True)]  # fmt: skip
    assert plan.holders == {ORG_PAYEE_ID: MO}
    # Ana keeps 700,000 - 100,503 = 599,497: her 600,000 less the 503 fee she paid on top.
    assert {p.member_id: p.keeps for p in plan.positions} == {
        ANA: 599_497,
        BEN: 300_000,
        MO: 100_000,
    }


def test_a_version_paid_payee_by_payee_has_no_settlement() -> None:
    one_seller = replace(draft(), income=(IncomeLine.sale(1_000_000, "All of it", seller_id=ANA),))
    assert not uses_plan(one_seller)
    assert settlement_of(one_seller) is None
    assert version_from_item(version_to_item(one_seller)).settlement is None


def amended() -> PayrollVersion:
    """Version 2 of the same op, after v1's Ana -> Mo 100,000 (sent 100,503) was sent and Ben's
    earlier payment of 20,000 from Ana: Ana 700,000 - 100,000 - 20,000 = 580,000, 20,000 short
    of her 600,000; Ben 300,000 + 20,000 = +20,000. The plan: Ben -> Ana 20,000, sent 20,101
    (fee(20,101) = 100.505 -> 101, net 20,000; 20,100 nets 19,999)."""
    before = (
        SentBefore(Transfer(ANA, MO, 100_000, 100_503, 503, True), 1, ANA, 1_795_370_500_000),
        SentBefore(Transfer(ANA, BEN, 20_000, 20_101, 101, True), 1, BEN, 1_795_370_600_000),
    )
    version = replace(draft(), payroll_id="01M82DG5G0C1NF1046J1ER4Y6M", number=2)
    settled = settle(version, MO, before)
    final = replace(
        version,
        status=PayrollStatus.FINAL,
        supersedes=draft().payroll_id,
        finalized_by=ANA,
        finalized_ms=1_795_370_700_000,
        result=settled.payroll,
        settlement=stored(settled.plan, before),
    )
    return replace(final, paid=payee_marks(final))


def test_what_was_sent_before_reads_back_the_same_from_the_store(store: Store) -> None:
    version = amended()
    assert version.settlement is not None
    assert [(t.sender, t.receiver, t.amount_received, t.amount_sent, t.fee) for t in
            version.settlement.transfers] == [(BEN, ANA, 20_000, 20_101, 101)]  # fmt: skip
    store.put(version_to_item(version))
    item = store.get(version_key(version.guild_id, version.payroll_id))
    assert item is not None
    back = version_from_item(item)
    assert back == version
    assert back.settlement is not None
    assert back.settlement.sent_before == version.settlement.sent_before
    plan = settlement_of(back)
    assert plan is not None
    # Ana keeps 700,000 - 100,503 - 20,101 + 20,000 = 599,396: 600,000 less v1's fees 604.
    assert {p.member_id: p.keeps for p in plan.positions} == {
        ANA: 599_396,
        BEN: 299_899,
        MO: 100_000,
    }


def test_a_settlement_stored_without_a_history_reads_as_nothing_sent_before(store: Store) -> None:
    item = version_to_item(finalized())
    assert "sent_before" not in item["settlement"]
    store.put(item)
    back = store.get(version_key(draft().guild_id, draft().payroll_id))
    assert back is not None
    settlement = version_from_item(back).settlement
    assert settlement is not None
    assert settlement.sent_before == ()
