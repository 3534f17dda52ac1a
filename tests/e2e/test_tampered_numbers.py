"""Numbers and ids a user could tamper with — a select's value, a member picked in a modal —
read as ASCII digits only. "²" passes ``str.isdigit()``; signed over HTTP like any click, it
gets one short ephemeral sentence, changes nothing and counts no error."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import Discord
from tests.support.discord_box import checked
from tests.support.payroll_flow import custom_id, modal_submit, stopped_op, text

from sunday_mining_dev.simulator import Exchange

SUPERSCRIPT_TWO = "\u00b2"
ARABIC_THREE = "\u0663"


def _tampered_select(discord: Discord, who: str, view: Exchange, cid: str, value: str) -> Exchange:
    """The select ``cid`` on ``view``, signed as Discord would sign it, with ``value`` in place
    of the option picked: what a modified client sends."""
    assert view.message is not None
    first = _options(view, cid)[0]
    payload = discord.sim.payloads.component(discord.member(who), view.message, cid, [first])
    payload["data"]["values"] = [value]
    return checked(discord.sim.send(payload, label=f"select {cid} = [{value}]"))


def _refused(answer: Exchange) -> str:
    assert answer.ephemeral, answer.response
    assert answer.response_type == 4
    assert len(answer.content) < 200
    assert "went wrong" not in answer.content
    return answer.content


def _haul_with_a_sale(discord: Discord) -> Exchange:
    ana, ben = discord.member("ana").id, discord.member("ben").id
    session_id = stopped_op(discord, {ana: 60, ben: 60})
    view = discord.command("purser", "mining payroll", session=session_id)
    view = discord.click("purser", view, custom_id(view, "sm1:pgo:", "Haul"))
    opened = discord.click("purser", view, custom_id(view, "sm1:psale:"))
    return modal_submit(discord, "purser", opened, {"label": "ARC-L1", "total": "100000"})


def _options(view: Exchange, prefix: str) -> list[str]:
    for action_row in view.data["components"]:
        for component in action_row["components"]:
            if str(component.get("custom_id", "")).startswith(prefix):
                return [str(o["value"]) for o in component["options"]]
    raise AssertionError(f"no {prefix} select")


def test_a_non_ascii_digit_in_a_haul_select_is_refused_and_changes_nothing(
    discord: Discord,
) -> None:
    view = _haul_with_a_sale(discord)
    assert _options(view, "sm1:prm:") == ["0"]
    before = discord.store_items()
    for prefix in ("sm1:pore:", "sm1:prm:"):
        for value in (SUPERSCRIPT_TWO, ARABIC_THREE, "0" * 40):
            answer = _tampered_select(discord, "purser", view, custom_id(view, prefix), value)
            assert "pick" in _refused(answer).lower()
    assert discord.store_items() == before
    assert discord.services.errors.last_day() == {}


def test_a_non_ascii_digit_in_a_cut_select_is_refused_and_changes_nothing(
    discord: Discord,
) -> None:
    view = _haul_with_a_sale(discord)
    view = discord.click("purser", view, custom_id(view, "sm1:pgo:", "Expenses & cuts"))
    assert _options(view, "sm1:pcut:") == ["p0"]
    before = discord.store_items()
    for value in (f"p{SUPERSCRIPT_TWO}", f"p{ARABIC_THREE}", "p-1"):
        answer = _tampered_select(discord, "purser", view, custom_id(view, "sm1:pcut:"), value)
        assert "pick" in _refused(answer).lower()
    assert discord.store_items() == before
    assert discord.services.errors.last_day() == {}


def _with_member_field(payload: dict[str, Any], value: str) -> None:
    """Put ``value`` where the modal's member select ("who") sends the picked user's id."""

    def visit(component: Any) -> None:
        if isinstance(component, dict):
            if component.get("custom_id") == "who":
                component["values"] = [value]
            for child in component.get("components", []):
                visit(child)
            visit(component.get("component"))

    for component in payload["data"]["components"]:
        visit(component)


def test_a_flat_amount_to_a_non_ascii_payee_is_refused_and_never_finalized(
    discord: Discord,
) -> None:
    view = _haul_with_a_sale(discord)
    view = discord.click("purser", view, custom_id(view, "sm1:pgo:", "Expenses & cuts"))
    before = discord.store_items()
    for opener, fields in (
        ("sm1:pflat:", {"label": "Escort", "amount": "5000"}),
        ("sm1:pexp:", {"label": "Fuel", "amount": "5000"}),
    ):
        opened = discord.click("purser", view, custom_id(view, opener))
        payload = discord.sim.payloads.modal_submit(
            discord.member("purser"),
            opened.data["custom_id"],
            {**fields, "who": [discord.member("ana")]},
            modal=opened.data,
            message=opened.payload.get("message"),
        )
        _with_member_field(payload, SUPERSCRIPT_TWO)
        answer = checked(discord.sim.send(payload, label=f"{opener} with payee ²"))
        assert "member" in _refused(answer)
    assert discord.store_items() == before
    shown = discord.click("purser", view, custom_id(view, "sm1:pgo:", "Preview"))
    assert SUPERSCRIPT_TWO not in text(shown)
