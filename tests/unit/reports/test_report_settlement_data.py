"""The report's settlement is the plan stored when the payroll was finalized (``settlement_of``),
with its paid marks, named by display name and handle; a payroll paid payee by payee has none."""

from __future__ import annotations

import io
from dataclasses import replace

from pypdf import PdfReader

from sunday_mining.domain.guild import DonationPolicy
from sunday_mining.domain.payroll import ORG_PAYEE_ID, IncomeLine, Percentage, compute
from sunday_mining.domain.session import ActiveWindow, Session, SessionStatus, SessionType
from sunday_mining.domain.settlement import Transfer
from sunday_mining.reports.csv_export import render_csv
from sunday_mining.reports.data import build_report_data
from sunday_mining.reports.json_export import read_json, render_json
from sunday_mining.reports.model import ReportData
from sunday_mining.reports.pdf import render_pdf
from sunday_mining.services.payroll import PayrollStatus, PayrollVersion
from sunday_mining.services.payroll.model import Member, PaidMark, SentBefore
from sunday_mining.services.payroll.settling import payee_marks, settle, stored

GUILD = "900000000000000000"
ANA, BEN, MO = "111111111111111111", "222222222222222222", "333333333333333333"
NAMES = {ANA: "Ana", BEN: "Ben", MO: "Mo"}
HANDLES = {ANA: "Ana_Mines", MO: "Mo-Treasury"}
START, H = 1_795_360_000_000, 3600


def draft() -> PayrollVersion:
    """Ana (who opened the payroll) sold 600,000 and the gems nobody was picked for, 100,000;
    Ben sold 300,000. A 10 % org cut held by Mo, the fee 0.5 %."""
    return PayrollVersion(
        guild_id=GUILD,
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
        created_ms=START + 3 * H * 1000,
        updated_by=ANA,
        updated_ms=START + 3 * H * 1000,
        donation_policy=DonationPolicy.ORG,
        transfer_fee_bp=50,
        minimum_s=0,
        members=(Member(ANA, 2 * H, False, False, True), Member(BEN, H, False, False, True)),
        income=(
            IncomeLine.sale(600_000, "Ana's load", seller_id=ANA),
            IncomeLine.sale(100_000, "Gems"),
            IncomeLine.sale(300_000, "Ben's load", seller_id=BEN),
        ),
        percentages=(Percentage("Org cut", ORG_PAYEE_ID, 1_000),),
    )


def finalized(marks: dict[tuple[str, str], PaidMark]) -> PayrollVersion:
    """Finalized as the payroll service does: the settled payroll and its plan, stored."""
    version = draft()
    settled = settle(version, MO)
    final = replace(
        version,
        status=PayrollStatus.FINAL,
        finalized_by=ANA,
        finalized_ms=START + 4 * H * 1000,
        result=settled.payroll,
        settlement=replace(stored(settled.plan), marks=marks),
    )
    return replace(final, paid=payee_marks(final))


def report(version: PayrollVersion) -> ReportData:
    session = Session(
        GUILD,
        version.session_id,
        SessionType.SUNDAY,
        "Halo run",
        ANA,
        ("11",),
        (ActiveWindow(START, START + 3 * H * 1000),),
        status=SessionStatus.STOPPED,
    )
    return build_report_data(
        version,
        session,
        time_zone="UTC",
        records=[],
        gaps=[],
        lookup_names=lambda _guild, wanted: {u: NAMES[u] for u in wanted if u in NAMES},
        lookup_handles=lambda _guild, wanted: {u: HANDLES[u] for u in wanted if u in HANDLES},
    )


def test_the_report_shows_the_stored_transfer_with_names_handles_and_its_paid_mark() -> None:
    # Pool 1,000,000; org 100,000 held by Mo; Ana 600,000 and Ben 300,000 by time 2 : 1. Ana
    # holds 700,000: she sends Mo 100,503, of which 503 is the fee she pays on top.
    data = report(finalized({(ANA, MO): PaidMark(BEN, START + 5 * H * 1000)}))
    plan = data.settlement
    assert plan is not None
    assert plan.treasurer == "Mo"
    assert [
        (t.sender, t.sender_handle, t.receiver, t.receiver_handle, t.sent, t.fee, t.received)
        for t in plan.transfers
    ] == [("Ana", "Ana_Mines", "Mo", "Mo-Treasury", 100_503, 503, 100_000)]
    assert [t.paid for t in plan.transfers] == [True]
    keeps = {h.name: (h.holds, h.payout, h.keeps) for h in plan.holdings}
    assert keeps == {
        "Ana": (700_000, 600_000, 599_497),
        "Ben": (300_000, 300_000, 300_000),
        "Mo": (0, 100_000, 100_000),
    }


def test_a_transfer_not_marked_is_still_to_send() -> None:
    plan = report(finalized({})).settlement
    assert plan is not None
    assert [t.paid for t in plan.transfers] == [False]


def test_with_a_plan_the_payees_carry_no_fee_of_their_own() -> None:
    data = report(finalized({}))
    assert data.fees == 0
    assert data.balances
    assert {p.name: p.payout for p in data.payees} == {
        "Ana": 600_000,
        "Ben": 300_000,
        "the org": 100_000,
    }


def test_each_line_names_its_seller_and_a_line_nobody_was_picked_for_names_who_holds_it() -> None:
    data = report(finalized({}))
    assert [(line.name, line.seller) for line in data.income] == [
        ("Ana's load", "Ana"),
        ("Gems", "Ana"),
        ("Ben's load", "Ben"),
    ]


def test_a_payroll_paid_payee_by_payee_has_no_settlement_and_keeps_its_fees() -> None:
    # Several sellers, but finalized before plans were stored: it was paid payee by payee,
    # with the per-payee fee, and the report does not plan it again.
    version = finalized({})
    before = replace(version, settlement=None, result=compute(version.to_input()), paid={})
    data = report(before)
    assert data.settlement is None
    assert data.fees > 0
    assert data.balances
    assert [line.seller for line in data.income] == ["Ana", "", "Ben"]


def amended() -> PayrollVersion:
    """Version 2 of the op, nobody's pay changed, after v1's Ana -> Mo 100,000 (sent 100,503)
    was sent: Ana 700,000 - 100,000 = 600,000, her payout; Mo holds the org's 100,000. Nothing
    is left to send."""
    sent = SentBefore(Transfer(ANA, MO, 100_000, 100_503, 503, True), 1, ANA, START)
    version = replace(draft(), payroll_id="01M82DG5G0C1NF1046J1ER4Y6M", number=2)
    settled = settle(version, MO, (sent,))
    assert settled.plan.transfers == ()
    final = replace(
        version,
        status=PayrollStatus.FINAL,
        finalized_by=ANA,
        finalized_ms=START + 4 * H * 1000,
        result=settled.payroll,
        settlement=stored(settled.plan, (sent,)),
    )
    return replace(final, paid=payee_marks(final))


def test_the_report_lists_what_was_sent_under_an_earlier_version() -> None:
    data = report(amended())
    plan = data.settlement
    assert plan is not None
    assert plan.transfers == ()
    assert [(t.sender, t.receiver, t.sent, t.fee, t.received, t.sent_under) for t in
            plan.sent_before] == [("Ana", "Mo", 100_503, 503, 100_000, 1)]  # fmt: skip
    # Ana keeps 700,000 - 100,503 = 599,497: her 600,000 less the fee she paid under v1.
    keeps = {h.name: (h.holds, h.before, h.keeps) for h in plan.holdings}
    assert keeps == {
        "Ana": (700_000, -100_503, 599_497),
        "Ben": (300_000, 0, 300_000),
        "Mo": (0, 100_000, 100_000),
    }
    pages = PdfReader(io.BytesIO(render_pdf(data))).pages
    text = " ".join(" ".join(page.extract_text().split()) for page in pages)
    assert "Already sent under v1: 1 transfer, 100,000 aUEC arrived (fees 503" in text
    assert "Ana → Mo 100,000. Nothing more is to send." in text
    assert "Before" in text
    assert read_json(render_json(data)) == data
    rows = render_csv(data).decode("utf-8-sig").splitlines()
    assert '"Ana","Ana_Mines","Mo","Mo-Treasury","100503","503","100000","sent under v1"' in rows
    assert '"Total (1 sent under earlier versions)","","","","100503","503","100000",""' in rows
    assert rows[-5].startswith('"settlement_member","handle","holds_auec","before_auec",')
