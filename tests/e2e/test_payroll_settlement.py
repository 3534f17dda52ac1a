"""An op sold by three members settles in Discord: the preview says who will pay whom, the final
payroll lists the transfers by sender, senders and officers tick them, and an amendment asks
only for what the transfers already sent did not bring. Through the simulator over HTTP, from
voice batches; every answer passes Discord's contract and reads well on a phone.

The money, worked by hand (fee 0.5 %, paid by the sender on top, half-up):
  sales: Ana 1,000,000, Ben 800,000, Cy 200,000 = 2,000,000
  escort (flat, Dee) 100,000; pool 1,900,000; org cut 10 % = 190,000 (held by Mo, the
  treasurer); shares of 1,710,000 by time 2 : 2 : 1 = Ana 684,000, Ben 684,000, Cy 342,000
  balances: Ana +316,000, Ben +116,000, Cy -142,000, Mo -190,000, Dee -100,000
  Ana -> Mo 190,000: send 190,955 (0.5 % of 190,955 = 954.775 -> 955)
  Ana -> Cy 126,000: send 126,633 (633.165 -> 633)
  Ben -> Dee 100,000: send 100,503 (502.515 -> 503)
  Ben -> Cy 16,000: send 16,080 (80.4 -> 80)

The amendment, once all four are sent: Cy's load fetched 220,000 and the escort gets 120,000.
  gross 2,020,000; pool 2,020,000 - 120,000 = 1,900,000: the org, Ana, Ben and Cy are paid as
  before, Dee 120,000
  holds after what was sent: Ana 1,000,000 - 190,000 - 126,000 = 684,000; Ben 800,000 -
  100,000 - 16,000 = 684,000; Cy 220,000 + 126,000 + 16,000 = 362,000; Mo 190,000; Dee 100,000
  balances: Cy +20,000, Dee -20,000, everyone else 0
  Cy -> Dee 20,000: send 20,101 (100.505 -> 101; 20,100 would leave 19,999)
  Cy keeps 220,000 + 142,000 - 20,101 = 341,899 (342,000 - fee 101); Dee 120,000
"""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import Discord
from tests.support.member_view import problems
from tests.support.payroll_flow import custom_id, modal_submit, option_labels, stopped_op, text

from sunday_mining.domain.payroll import ORG_PAYEE_ID
from sunday_mining.services.payroll import PayrollVersion, settlement_of
from sunday_mining_dev.simulator import Exchange


def seen(exchange: Exchange, *, public: bool = False) -> Exchange:
    """Every answer is read as a member reads it: no raw ids, one phone screen if public."""
    assert problems(exchange.data, public=public) == []
    return exchange


def click(
    discord: Discord, who: str, view: Exchange, prefix: str, label: str | None = None
) -> Exchange:
    return seen(discord.click(who, view, custom_id(view, prefix, label)))


def sale(discord: Discord, view: Exchange, label: str, total: str, seller: str) -> Exchange:
    opened = discord.click("purser", view, custom_id(view, "sm1:psale:"))
    fields = {"label": label, "total": total, "seller": [discord.member(seller)]}
    return seen(modal_submit(discord, "purser", opened, fields))


def escort(discord: Discord, view: Exchange, amount: str) -> Exchange:
    opened = discord.click("purser", view, custom_id(view, "sm1:pflat:"))
    fields = {"label": "Escort", "amount": amount, "who": [discord.member("dee")]}
    return seen(modal_submit(discord, "purser", opened, fields))


def finalize(discord: Discord, preview: Exchange) -> Exchange:
    asked = click(discord, "purser", preview, "sm1:pask:")
    return click(discord, "purser", asked, "sm1:pfin:")


def version_of(discord: Discord, view: Exchange) -> PayrollVersion:
    payroll_id = custom_id(view, "sm1:pgo:").split(":")[2]
    return discord.services.payroll.get(discord.guild_id, payroll_id)


def transfers(version: PayrollVersion) -> list[tuple[str, str, int, int, int, bool]]:
    plan = settlement_of(version)
    assert plan is not None
    return [
        (t.sender, t.receiver, t.amount_received, t.amount_sent, t.fee, t.paid)
        for t in plan.transfers
    ]


def tick(discord: Discord, who: str, view: Exchange, chosen: list[str]) -> Exchange:
    """Tick exactly ``chosen`` (labels like "Ana → Mo") among the transfers on the page."""
    labels = option_labels(view, "sm1:ptx:")
    values = [value for value, label in labels.items() if label in chosen]
    assert len(values) == len(chosen), labels
    return discord.select(who, view, custom_id(view, "sm1:ptx:"), values)


def three_sellers(discord: Discord, session_id: str) -> Exchange:
    """Ana, Ben and Cy sold 1,000,000, 800,000 and 200,000; Dee escorted for 100,000: final."""
    picker = discord.command("purser", "mining payroll")
    view = discord.select("purser", picker, "sm1:ppick", [session_id])
    view = click(discord, "purser", view, "sm1:pgo:", "Haul")
    view = sale(discord, view, "Ana's load", "1000000", "ana")
    view = sale(discord, view, "Ben's load", "800000", "ben")
    view = sale(discord, view, "Cy's load", "200000", "cy")
    view = click(discord, "purser", view, "sm1:pgo:", "Expenses & cuts")
    view = escort(discord, view, "100000")
    return finalize(discord, click(discord, "purser", view, "sm1:pgo:", "Preview"))


def already_sent(view: Exchange) -> list[str]:
    for action_row in view.data["components"]:
        for component in action_row["components"]:
            if str(component.get("custom_id", "")).startswith("sm1:ptx:"):
                return [o["label"] for o in component["options"] if o.get("default")]
    raise AssertionError("no transfer select")


def test_an_op_sold_by_three_members_settles_in_discord(discord: Discord) -> None:
    guild = discord.sim.guild
    guild.add_member("dee", global_name="Dee")
    guild.add_member("mo", global_name="Mo")
    ids = {who: discord.member(who).id for who in ("ana", "ben", "cy", "dee", "mo")}
    session_id = stopped_op(discord, {ids["ana"]: 120, ids["ben"]: 120, ids["cy"]: 60})
    discord.command("admin", "mining-admin settings set", name="transfer-fee", value="0.5")
    discord.command("admin", "mining-admin settings treasurer", member=discord.member("mo"))
    for who, handle in (("ana", "Ana_Rocks"), ("ben", "BenHauls"), ("dee", "DeeEscort")):
        discord.command(who, "mining handle set", handle=handle)

    # The officer enters each crew's sale with its seller, then the escort.
    picker = seen(discord.command("purser", "mining payroll"))
    view = seen(discord.select("purser", picker, "sm1:ppick", [session_id]))
    view = click(discord, "purser", view, "sm1:pgo:", "Haul")
    view = sale(discord, view, "Ana's load", "1000000", "ana")
    view = sale(discord, view, "Ben's load", "800000", "ben")
    view = sale(discord, view, "Cy's load", "200000", "cy")
    view = click(discord, "purser", view, "sm1:pgo:", "Expenses & cuts")
    view = escort(discord, view, "100000")

    # The preview says who will pay whom, each sender's cost with the fees.
    preview = click(discord, "purser", view, "sm1:pgo:", "Preview")
    shown = text(preview)
    assert "Who will pay whom\n4 transfers. Transfer fee 0.5 %, paid by the sender on top." in shown
    assert "**Ana** sends 317,588 aUEC (fees 1,588): Mo 190,000 · cy 126,000" in shown
    assert "**Ben** sends 116,583 aUEC (fees 583): Dee 100,000 · cy 16,000" in shown
    # The payroll takes no per-payee fee of its own: the fee is charged once, per transfer.
    assert "transfer fees 0 aUEC" in shown

    final = finalize(discord, preview)
    version = version_of(discord, final)
    assert version.result is not None
    payouts = version.result.payouts_by_payee()
    assert payouts == {
        ids["ana"]: 684_000,
        ids["ben"]: 684_000,
        ids["cy"]: 342_000,
        ORG_PAYEE_ID: 190_000,
        ids["dee"]: 100_000,
    }
    assert transfers(version) == [
        (ids["ana"], ids["mo"], 190_000, 190_955, 955, False),
        (ids["ana"], ids["cy"], 126_000, 126_633, 633, False),
        (ids["ben"], ids["dee"], 100_000, 100_503, 503, False),
        (ids["ben"], ids["cy"], 16_000, 16_080, 80, False),
    ]
    # After the transfers everyone holds their payout (the org's cut with Mo); a sender
    # holds theirs less the fees they paid on top.
    held = {ids["ana"]: 1_000_000, ids["ben"]: 800_000, ids["cy"]: 200_000}
    after = dict(held)
    fees: dict[str, int] = {}
    for sender, receiver, received, sent, fee, _paid in transfers(version):
        after[sender] = after.get(sender, 0) - sent
        after[receiver] = after.get(receiver, 0) + received
        fees[sender] = fees.get(sender, 0) + fee
    assert after == {
        ids["ana"]: 684_000 - fees[ids["ana"]],
        ids["ben"]: 684_000 - fees[ids["ben"]],
        ids["cy"]: 342_000,
        ids["dee"]: 100_000,
        ids["mo"]: 190_000,
    }
    assert "The org's 190,000 aUEC 🏦 is held by its treasurer, Mo." in text(final)
    assert "still owed **432,000 aUEC**" in text(final)

    # The final payroll lists the transfers by sender, with in-game handles where known.
    listed = click(discord, "purser", final, "sm1:pgo:", "Transfers")
    assert text(listed).splitlines()[1:] == [
        "**Ana (Ana\\_Rocks)** sends 317,588 aUEC, fees 1,588:",
        "⏳ 190,955 → Mo (no handle yet), who gets 190,000",
        "⏳ 126,633 → cy (no handle yet), who gets 126,000",
        "**Ben (BenHauls)** sends 116,583 aUEC, fees 583:",
        "⏳ 100,503 → Dee (DeeEscort), who gets 100,000",
        "⏳ 16,080 → cy (no handle yet), who gets 16,000",
    ]

    # Posted in the channel, one phone screen, so each sender ticks their own.
    posted = click(discord, "purser", listed, "sm1:ptpost:")
    assert posted.response_type == 4
    assert not posted.ephemeral
    posted = seen(posted, public=True)
    marked = seen(tick(discord, "ana", posted, ["Ana → Mo"]))
    assert already_sent(marked) == ["Ana → Mo"]

    # Someone who sends none of them is refused, and nothing changes.
    before = discord.store_items()
    refused = tick(discord, "lead", marked, ["Ana → Mo", "Ben → Dee"])
    assert refused.ephemeral
    assert refused.content == (
        "Only the sender of a transfer or a payroll officer can mark it; ask them."
    )
    assert discord.store_items() == before
    # Nor may a sender tick another sender's transfer.
    refused = tick(discord, "ana", marked, ["Ana → Mo", "Ben → Dee"])
    assert refused.ephemeral

    # An officer marks Ben's transfer to Dee from their own copy.
    listed = seen(tick(discord, "purser", listed, ["Ana → Mo", "Ben → Dee"]), public=False)
    assert already_sent(listed) == ["Ana → Mo", "Ben → Dee"]
    version = version_of(discord, listed)
    assert [paid for *_t, paid in transfers(version)] == [True, False, True, False]
    assert version.settlement is not None
    assert {pair: mark.by for pair, mark in version.settlement.marks.items()} == {
        (ids["ana"], ids["mo"]): ids["ana"],
        (ids["ben"], ids["dee"]): discord.member("purser").id,
    }
    # Dee has all her transfers; Cy still waits for two.
    assert ids["dee"] in version.paid
    assert ids["cy"] not in version.paid

    # Still owed: the transfers not sent yet, by sender.
    owed = click(discord, "purser", listed, "sm1:pgo:", "Back to payments")
    owed = click(discord, "purser", owed, "sm1:pgo:", "Still owed")
    assert text(owed).splitlines() == [
        "2 transfers not sent yet: **142,000 aUEC** still owed, 142,713 aUEC to send with the "
        "fees.",
        "**Ana (Ana\\_Rocks)** still sends:",
        "⏳ 126,633 → cy (no handle yet), who gets 126,000",
        "**Ben (BenHauls)** still sends:",
        "⏳ 16,080 → cy (no handle yet), who gets 16,000",
    ]

    # Across payrolls, Cy is owed what the two unsent transfers bring him, not his whole payout:
    # 200,000 of it sits with him from his own sale. The same for Cy himself in /mining me.
    books = seen(discord.command("purser", "mining owed"))
    assert "1 line still owed, **142,000 aUEC** in all" in text(books)
    assert "**cy** (⚠️ no handle — ask them) — **142,000 aUEC** · " in text(books)
    mine = seen(discord.command("cy", "mining me"))
    assert "Still owed to you: **142,000 aUEC** from 1 payroll." in text(mine)
    # The ledger counts the plan's fees, paid by the senders on top: 955 + 633 + 503 + 80.
    ledger = seen(discord.command("purser", "mining ledger"))
    assert "transfer fees 2,171." in text(ledger)
    # Marking Cy's line paid from there marks the transfers that pay him, as an officer would.
    (menu,) = books.data["components"][0]["components"]
    asked = seen(discord.select("purser", books, menu["custom_id"], [menu["options"][0]["value"]]))
    done = click(discord, "purser", asked, "sm1:bpay:", "Mark paid")
    assert "✅ Marked 1 line paid (142,000 aUEC)." in text(done)
    assert [paid for *_t, paid in transfers(version_of(discord, listed))] == [True] * 4
    assert ids["cy"] in version_of(discord, listed).paid

    # An amendment that changes one payee: Cy's load fetched 20,000 more, which goes to the
    # escort. The four transfers already sent are not asked for again: Cy sends Dee the 20,000.
    draft = click(discord, "purser", owed, "sm1:pgo:", "Back to payments")
    draft = click(discord, "purser", draft, "sm1:pamend:")
    view = click(discord, "purser", draft, "sm1:pgo:", "Haul")
    view = sale(discord, view, "Cy's load", "220000", "cy")
    view = click(discord, "purser", view, "sm1:pgo:", "Expenses & cuts")
    view = escort(discord, view, "120000")
    amended = finalize(discord, click(discord, "purser", view, "sm1:pgo:", "Preview"))
    version = version_of(discord, amended)
    assert version.number == 2
    assert version.result is not None
    changed = {
        payee: net
        for payee, net in version.result.payouts_by_payee().items()
        if payouts.get(payee) != net
    }
    assert changed == {ids["dee"]: 120_000}
    assert transfers(version) == [(ids["cy"], ids["dee"], 20_000, 20_101, 101, False)]
    assert version.settlement is not None
    assert version.settlement.marks == {}
    assert [
        (x.transfer.sender, x.transfer.receiver, x.transfer.amount_received, x.number, x.by)
        for x in version.settlement.sent_before
    ] == [
        (ids["ana"], ids["mo"], 190_000, 1, ids["ana"]),
        (ids["ana"], ids["cy"], 126_000, 1, discord.member("purser").id),
        (ids["ben"], ids["dee"], 100_000, 1, discord.member("purser").id),
        (ids["ben"], ids["cy"], 16_000, 1, discord.member("purser").id),
    ]
    # Everyone ends with their new payout, counting what v1's transfers moved.
    held = {ids["ana"]: 1_000_000, ids["ben"]: 800_000, ids["cy"]: 220_000}
    after = dict(held)
    moved = [x.transfer for x in version.settlement.sent_before]
    plan = settlement_of(version)
    assert plan is not None
    for t in (*moved, *plan.transfers):
        after[t.sender] = after.get(t.sender, 0) - t.amount_sent
        after[t.receiver] = after.get(t.receiver, 0) + t.amount_received
    assert after == {
        ids["ana"]: 684_000 - 955 - 633,
        ids["ben"]: 684_000 - 503 - 80,
        ids["cy"]: 341_899,
        ids["dee"]: 120_000,
        ids["mo"]: 190_000,
    }
    # Ana, Ben and Cy already hold their payouts; only Dee waits, for 20,000.
    assert {ids["ana"], ids["ben"], ids["cy"]} <= set(version.paid)
    assert ids["dee"] not in version.paid
    assert "still owed **20,000 aUEC**" in text(amended)
    listed = click(discord, "purser", amended, "sm1:pgo:", "Transfers")
    assert text(listed).splitlines()[1:] == [
        "Already sent under v1: 4 transfers, 432,000 aUEC.",
        "**cy (no handle yet)** sends 20,101 aUEC, fees 101:",
        "⏳ 20,101 → Dee (DeeEscort), who gets 20,000",
    ]
    books = seen(discord.command("purser", "mining owed"))
    assert "1 line still owed, **20,000 aUEC** in all" in text(books)
    # The ledger counts v1's fees, paid when those transfers were sent, and the new one's.
    ledger = seen(discord.command("purser", "mining ledger"))
    assert "transfer fees 2,272." in text(ledger)
    # The replaced version's plan can't be ticked any more.
    old = seen(tick(discord, "ana", posted, ["Ana → Mo", "Ana → cy"]))
    assert old.ephemeral
    assert old.content == (
        "Transfers are marked on the current final payroll; ask an officer to post it again."
    )


def test_the_preview_says_why_a_plan_cannot_be_made_and_finalize_refuses(
    discord: Discord,
) -> None:
    ids = {who: discord.member(who).id for who in ("ana", "ben")}
    session_id = stopped_op(discord, {ids["ana"]: 60, ids["ben"]: 60})
    picker = discord.command("purser", "mining payroll")
    view = seen(discord.select("purser", picker, "sm1:ppick", [session_id]))
    view = click(discord, "purser", view, "sm1:pgo:", "Haul")
    view = sale(discord, view, "Ana's load", "500000", "ana")
    view = sale(discord, view, "Ben's load", "300000", "ben")
    preview = click(discord, "purser", view, "sm1:pgo:", "Preview")
    said: dict[str, Any] = {f["name"]: f["value"] for f in preview.data["embeds"][0]["fields"]}
    assert said["Who will pay whom"] == (
        "⚠️ The org's cut needs a treasurer to hold it; ask an admin to run "
        "/mining-admin settings treasurer."
    )
    before = discord.store_items()
    asked = click(discord, "purser", preview, "sm1:pask:")
    refused = discord.click("purser", asked, custom_id(asked, "sm1:pfin:"))
    assert refused.ephemeral
    assert "treasurer" in refused.content
    assert discord.store_items() == before


def test_a_treasurer_paid_by_the_same_transfers_as_the_orgs_cut(discord: Discord) -> None:
    """Cy is the treasurer: he holds his sale's 200,000 and is owed his 342,000 and the org's
    190,000, so he receives 332,000: Ana -> Cy 316,000, Ben -> Dee 100,000, Ben -> Cy 16,000.
    What arrives pays his own line first: after Ana's 316,000 he is owed nothing himself, and
    the 16,000 still coming is the org's."""
    discord.sim.guild.add_member("dee", global_name="Dee")
    ids = {who: discord.member(who).id for who in ("ana", "ben", "cy", "dee")}
    session_id = stopped_op(discord, {ids["ana"]: 120, ids["ben"]: 120, ids["cy"]: 60})
    discord.command("admin", "mining-admin settings treasurer", member=discord.member("cy"))
    final = three_sellers(discord, session_id)
    assert transfers(version_of(discord, final)) == [
        (ids["ana"], ids["cy"], 316_000, 316_000, 0, False),
        (ids["ben"], ids["dee"], 100_000, 100_000, 0, False),
        (ids["ben"], ids["cy"], 16_000, 16_000, 0, False),
    ]
    books = seen(discord.command("purser", "mining owed"))
    assert "**cy** (⚠️ no handle — ask them) — **142,000 aUEC** · " in text(books)
    # Marking Cy's line from there would mark the org's aUEC sent too: refused, nothing changes.
    (menu,) = books.data["components"][0]["components"]
    (cy,) = [o["value"] for o in menu["options"] if o["label"].startswith("cy")]
    asked = discord.select("purser", books, menu["custom_id"], [cy])
    before = discord.store_items()
    refused = discord.click("purser", asked, custom_id(asked, "sm1:bpay:", "Mark paid"))
    assert refused.ephemeral
    assert refused.content == (
        "The treasurer also receives the org's cut by transfer; tick their transfers under "
        "Transfers in /mining payroll."
    )
    assert discord.store_items() == before
    # Ana's 316,000 arrives: Cy's own line is covered; what still comes is the org's.
    listed = click(discord, "purser", final, "sm1:pgo:", "Transfers")
    seen(tick(discord, "ana", listed, ["Ana → cy"]))
    again = seen(discord.command("purser", "mining owed"))
    assert "cy" not in text(again)
    assert "1 line still owed, **100,000 aUEC** in all" in text(again)


def test_each_sender_ticks_their_own_privately_and_an_old_page_takes_no_mark_back(
    discord: Discord,
) -> None:
    """The same op with Mo as treasurer: Ana sends Mo and cy, Ben sends Dee and cy."""
    discord.sim.guild.add_member("dee", global_name="Dee")
    discord.sim.guild.add_member("mo", global_name="Mo")
    ids = {who: discord.member(who).id for who in ("ana", "ben", "cy")}
    session_id = stopped_op(discord, {ids["ana"]: 120, ids["ben"]: 120, ids["cy"]: 60})
    discord.command("admin", "mining-admin settings treasurer", member=discord.member("mo"))
    final = three_sellers(discord, session_id)
    listed = click(discord, "purser", final, "sm1:pgo:", "Transfers")
    posted = seen(click(discord, "purser", listed, "sm1:ptpost:"), public=True)

    # Ben opens his own transfers from the posted copy: for him alone, only his.
    mine = click(discord, "ben", posted, "sm1:ptmine:", "Tick my transfers")
    assert mine.ephemeral
    assert option_labels(mine, "sm1:ptx:") == {"2": "Ben → Dee", "3": "Ben → cy"}
    assert text(mine).splitlines()[0].startswith("0 of 2 transfers sent")
    mine = seen(tick(discord, "ben", mine, ["Ben → Dee", "Ben → cy"]))
    assert already_sent(mine) == ["Ben → Dee", "Ben → cy"]
    # Someone who sends nothing is told so, privately.
    nothing = click(discord, "cy", posted, "sm1:ptmine:", "Tick my transfers")
    assert "You send nothing in this payroll." in text(nothing)

    # Ana ticks hers on the posted copy as it was shown before Ben's ticks: his stay.
    seen(tick(discord, "ana", posted, ["Ana → Mo"]))
    version = version_of(discord, final)
    assert [paid for *_t, paid in transfers(version)] == [True, False, True, True]
    # An officer's page shown before all of that, ticking one more, takes nothing back.
    seen(tick(discord, "purser", listed, ["Ana → cy"]))
    assert [paid for *_t, paid in transfers(version_of(discord, final))] == [True] * 4


def test_payees_paid_by_the_one_seller_are_not_paid_again_when_the_amendment_names_two(
    discord: Discord,
) -> None:
    """Version 1 names Ana the seller of both loads, so it is paid payee by payee with the
    0.5 % fee per payee (step 7): gross 2,000,000, escort 100,000, org 10 % of 1,900,000 =
    190,000, shares of 1,710,000 by 2 : 2 : 1 = Ana 684,000, Ben 684,000, Cy 342,000. Cy's fee
    is 1,710 (net 340,290), Dee's 500 (net 99,500); Ana pays both and they are ticked paid.

    The amendment says Ben sold his load (800,000): payouts with no fee of their own (Ana
    684,000, Ben 684,000, Cy 342,000, Dee 100,000, the org 190,000 with Mo). What moved: Ana ->
    Cy 340,290 and Ana -> Dee 99,500. Balances: Ana 1,200,000 - 684,000 - 340,290 - 99,500 =
    +76,210; Ben +116,000; Cy -1,710; Dee -500; Mo -190,000.
      Ben -> Mo 116,000: send 116,583 (582.915 -> 583; 116,582 would leave 115,999)
      Ana -> Mo 74,000: send 74,372 (371.86 -> 372; 74,371 would leave 73,999)
      Ana -> Cy 1,710: send 1,719 (8.595 -> 9; 1,718 would leave 1,709)
      Ana -> Dee 500: send 503 (2.515 -> 3; 502 would leave 499)
    Cy is not sent his 342,000 again: only the 1,710 his v1 fee took.
    """
    guild = discord.sim.guild
    guild.add_member("dee", global_name="Dee")
    guild.add_member("mo", global_name="Mo")
    ids = {who: discord.member(who).id for who in ("ana", "ben", "cy", "dee", "mo")}
    session_id = stopped_op(discord, {ids["ana"]: 120, ids["ben"]: 120, ids["cy"]: 60})
    discord.command("admin", "mining-admin settings set", name="transfer-fee", value="0.5")
    discord.command("admin", "mining-admin settings treasurer", member=discord.member("mo"))

    picker = seen(discord.command("purser", "mining payroll"))
    view = seen(discord.select("purser", picker, "sm1:ppick", [session_id]))
    view = click(discord, "purser", view, "sm1:pgo:", "Haul")
    view = sale(discord, view, "Ana's load", "1200000", "ana")
    view = sale(discord, view, "Ben's load", "800000", "ana")
    view = click(discord, "purser", view, "sm1:pgo:", "Expenses & cuts")
    view = escort(discord, view, "100000")
    final = finalize(discord, click(discord, "purser", view, "sm1:pgo:", "Preview"))
    v1 = version_of(discord, final)
    assert v1.settlement is None
    assert v1.result is not None
    nets = v1.result.payouts_by_payee()
    assert (nets[ids["cy"]], nets[ids["dee"]]) == (340_290, 99_500)
    final = discord.select("purser", final, custom_id(final, "sm1:ppaid:"), [ids["cy"], ids["dee"]])
    assert {ids["cy"], ids["dee"]} <= set(version_of(discord, final).paid)

    draft = click(discord, "purser", final, "sm1:pamend:")
    view = click(discord, "purser", draft, "sm1:pgo:", "Haul")
    view = sale(discord, view, "Ben's load", "800000", "ben")
    amended = finalize(discord, click(discord, "purser", view, "sm1:pgo:", "Preview"))
    version = version_of(discord, amended)
    assert version.number == 2
    assert transfers(version) == [
        (ids["ben"], ids["mo"], 116_000, 116_583, 583, False),
        (ids["ana"], ids["mo"], 74_000, 74_372, 372, False),
        (ids["ana"], ids["cy"], 1_710, 1_719, 9, False),
        (ids["ana"], ids["dee"], 500, 503, 3, False),
    ]
    assert version.settlement is not None
    assert [
        (x.transfer.sender, x.transfer.receiver, x.transfer.amount_received, x.transfer.fee)
        for x in version.settlement.sent_before
    ] == [(ids["ana"], ids["cy"], 340_290, 1_710), (ids["ana"], ids["dee"], 99_500, 500)]
    listed = click(discord, "purser", amended, "sm1:pgo:", "Transfers")
    assert "Already sent under v1: 2 transfers, 439,790 aUEC." in text(listed)
