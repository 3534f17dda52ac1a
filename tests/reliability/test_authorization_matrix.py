"""Who may do what: roles by every command and every button by guilds, through the real endpoint.

The roles are those of the sample org (``simulator.sample_guild``) after a normal setup: admin
(Administrator), manager (Manage Server only), lead (the leader role), purser (the payroll
role), ana (the adhoc role, creator of one stopped and one running adhoc session) and ben (no
role); and the same six people in a second guild. Every command comes from
``interactions/commands.py`` and every button, select and modal action from the router's tables,
so a new one is exercised as soon as it exists (and a new command without a row in ``POLICY``
fails ``test_every_command_has_a_policy``).

What it proves:

* a denied case is answered with one polite ephemeral sentence and changes no row of the store;
* an allowed case succeeds (a real answer, not a refusal) — then the store is put back;
* every role of one guild, up to its admin, is refused on another guild's payrolls and sessions
  (real rendered custom ids, synthesised ones for every action, session options and select
  values), and nothing changes;
* on the payroll's own buttons only payroll officers (Manage Server counts) get through.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from tests.reliability.conftest import (
    Rig,
    assert_sane_answer,
    is_ephemeral,
    is_refusal,
    raw_component,
)

from sunday_mining.interactions import custom_ids, router
from sunday_mining.interactions.commands import all_paths, command_json
from sunday_mining_dev.simulator import DiscordSimulator, SimGuild

ROLES = ("admin", "manager", "lead", "purser", "ana", "ben")
EVERYONE = frozenset(ROLES)
ADMINS = frozenset({"admin", "manager"})
LEADERS = ADMINS | {"lead"}
OFFICERS = ADMINS | {"purser"}

# Who may run each command in the seeded guild (see conftest.seed_guild). ana runs an adhoc
# session, so she may stop it; she has a stopped one, so she may reload it and pay it.
POLICY: dict[str, frozenset[str]] = {
    "mining start": LEADERS,
    "mining stop": LEADERS | {"ana"},
    "mining status": EVERYONE,
    "mining adhoc new": LEADERS | {"ana"},
    "mining adhoc load": LEADERS | {"ana"},
    "mining adhoc list": EVERYONE,
    "mining payroll": OFFICERS | {"ana"},
    "mining prices": EVERYONE,
    "mining refinery add": EVERYONE,  # a job of one's own
    "mining refinery list": EVERYONE,  # one's own; every job of the org is tested below
    "mining handle set": EVERYONE,  # one's own; another member's is tested below
    "mining handle clear": EVERYONE,
    "mining me": EVERYONE,
    "mining ledger": LEADERS | OFFICERS,
    "mining stats": LEADERS | OFFICERS,
    "mining owed": OFFICERS,
    "mining diagnostics": LEADERS,
    "mining help": EVERYONE,
    "mining-admin channels add": ADMINS,
    "mining-admin channels remove": ADMINS,
    "mining-admin channels list": ADMINS,
    "mining-admin roles add": ADMINS,
    "mining-admin roles remove": ADMINS,
    "mining-admin roles list": ADMINS,
    "mining-admin settings set": ADMINS,
    "mining-admin settings show": ADMINS,
    "mining-admin settings report-channel": ADMINS,
    "mining-admin settings treasurer": ADMINS,
}
# Options that a generic fill would get wrong (a setting needs a value it accepts).
OVERRIDES: dict[str, dict[str, Callable[[SimGuild], Any]]] = {
    "mining-admin settings set": {"name": lambda _: "org-cut", "value": lambda _: "5"},
    "mining-admin channels remove": {"channel": lambda guild: guild.channel("Mining 2")},
    "mining-admin roles remove": {"kind": lambda _: "adhoc"},
    "mining handle set": {"handle": lambda _: "Miner_01"},
}
# Actions whose arguments are not another object (a page cursor, nothing): they act on the
# caller's own guild by design, so they are not cross-guild attacks.
GUILD_LOCAL_ACTIONS = frozenset(
    {"status", "alist", "ppage", "me", *("bldg", "bst", "bowed", "bown")}
)
# The books' pagers and the still-owed menu (page cursors; a ticked line is looked up in the
# caller's guild): who may press them.
BOOKS_ACTIONS = {
    "bldg": (("all", "0", "n"), LEADERS | OFFICERS),
    "bst": (("30d", "0", "n"), LEADERS | OFFICERS),
    "bowed": (("0", "n"), OFFICERS),
    "bown": (("0",), OFFICERS),
}
# Buttons any member of the guild may press: the stop summary's "Everyone's time" list.
MEMBERS_ACTIONS = frozenset({"slist"})


def _definition(path: str) -> list[dict[str, Any]]:
    parts = path.split()
    node = next(c for c in command_json() if c["name"] == parts[0])
    for part in parts[1:]:
        node = next(o for o in node["options"] if o["name"] == part)
    return list(node.get("options", []))


def options_for(rig: Rig, sim: DiscordSimulator, path: str, session: str) -> dict[str, Any]:
    """Every required option filled with a value the command accepts; ``session`` where a
    session is asked for."""
    guild = sim.guild
    by_type: dict[int, Any] = {
        5: True,
        7: guild.channel("Side 2"),
        8: guild.role("Adhoc"),
    }
    filled: dict[str, Any] = {}
    for option in _definition(path):
        name = option["name"]
        if name in OVERRIDES.get(path, {}):
            filled[name] = OVERRIDES[path][name](guild)
        elif name == "session" and (option.get("required") or path == "mining adhoc load"):
            filled[name] = session
        elif option.get("required"):
            choices = option.get("choices") or []
            filled[name] = choices[0]["value"] if choices else by_type.get(option["type"], "x")
    return filled


def refused_politely(answer: dict[str, Any]) -> None:
    assert is_refusal(answer), answer
    assert is_ephemeral(answer), answer
    content = answer["data"]["content"]
    assert len(content) < 400, content
    assert "Traceback" not in content
    assert content.rstrip().endswith((".", "!", "?")), content


@pytest.fixture
def restored(rig: Rig) -> Iterator[None]:
    """Allowed cases write; put every row back after each one."""
    rows = rig.all_rows()
    yield
    rig.restore(rows)


def send(rig: Rig, payload: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """(the answer, whether the store changed)."""
    before = rig.rows()
    response = rig.post_signed(_encode(payload))
    answer = assert_sane_answer(payload, response)
    assert answer is not None, (response.status_code, response.text)
    return answer, rig.rows() != before


def _encode(payload: dict[str, Any]) -> bytes:
    import json

    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def check(answer: dict[str, Any], changed: bool, *, allowed: bool) -> None:
    if allowed:
        assert changed or not is_refusal(answer), f"refused: {answer}"
    else:
        refused_politely(answer)
        assert not changed, f"a refused case changed the store: {answer}"


# --- the policy covers every command ----------------------------------------------------------


def test_every_command_has_a_policy() -> None:
    assert sorted(POLICY) == sorted(all_paths()), "add the new command's row to POLICY"


# --- commands by roles, in the caller's own guild ----------------------------------------------


@pytest.mark.parametrize("path", all_paths())
@pytest.mark.parametrize("role", ROLES)
def test_commands_by_role(rig: Rig, restored: None, path: str, role: str) -> None:
    world = rig.worlds[rig.sim.guild.id]
    options = options_for(rig, rig.sim, path, world.adhoc_stopped)
    payload = rig.sim.payloads.command(rig.sim.guild.member(role), path, options)
    answer, changed = send(rig, payload)
    check(answer, changed, allowed=role in POLICY.get(path, frozenset()))


@pytest.mark.parametrize("path", ["mining handle set", "mining handle clear"])
@pytest.mark.parametrize("role", ROLES)
def test_another_members_handle_by_role(rig: Rig, restored: None, path: str, role: str) -> None:
    """Payroll officers and leaders (Manage Server counts) change a member's handle; a member
    changes only their own. The handle lives in the member partition, so it is read back."""
    handles = rig.services.handles
    guild, cy = rig.sim.guild.id, rig.sim.guild.member("cy")
    handles.set(guild, cy.id, "Cy_Before", by=cy.id)
    options: dict[str, Any] = {"member": cy}
    if path.endswith("set"):
        options["handle"] = "Cy_After"
    payload = rig.sim.payloads.command(rig.sim.guild.member(role), path, options)
    answer, changed = send(rig, payload)
    allowed = role in LEADERS | OFFICERS
    check(answer, changed, allowed=allowed)
    kept = handles.get(guild, cy.id)
    assert kept == ("Cy_Before" if not allowed else None if path.endswith("clear") else "Cy_After")


# --- the payroll's buttons, selects and modals by roles ----------------------------------------


def _rendered_cases(rig: Rig) -> list[tuple[str, str]]:
    world = rig.worlds[rig.sim.guild.id]
    return [(role, cid) for cid in world.custom_ids for role in ROLES]


def _click(rig: Rig, role: str, custom_id: str) -> dict[str, Any]:
    """The click (or select) Discord would send for this rendered component."""
    world = rig.worlds[rig.sim.guild.id]
    component = world.components[custom_id]
    member = rig.sim.guild.member(role)
    message = world.messages[custom_id]
    if component["type"] == 3:
        first = component["options"][0]["value"]
        return rig.sim.payloads.component(member, message, custom_id, [first])
    return rig.sim.payloads.component(member, message, custom_id)


@pytest.mark.parametrize("role", ROLES)
def test_every_rendered_payroll_component_by_role(rig: Rig, role: str) -> None:
    world = rig.worlds[rig.sim.guild.id]
    tried = 0
    for custom_id in world.custom_ids:
        if world.components[custom_id].get("disabled"):
            continue  # the client cannot send a click on a disabled button
        if custom_id.split(":")[1] in MEMBERS_ACTIONS:
            continue
        rows = rig.all_rows()
        answer, changed = send(rig, _click(rig, role, custom_id))
        rig.restore(rows)
        check(answer, changed, allowed=role in OFFICERS)
        tried += 1
    assert tried >= 10


@pytest.mark.parametrize("role", ROLES)
def test_everyones_time_on_the_stop_summary_opens_for_every_member(rig: Rig, role: str) -> None:
    world = rig.worlds[rig.sim.guild.id]
    (custom_id,) = [c for c in world.custom_ids if c.split(":")[1] in MEMBERS_ACTIONS]
    answer, changed = send(rig, _click(rig, role, custom_id))
    check(answer, changed, allowed=True)
    assert is_ephemeral(answer)
    assert not changed


@pytest.mark.parametrize("role", sorted(EVERYONE - OFFICERS))
def test_every_payroll_action_is_refused_to_non_officers(rig: Rig, role: str) -> None:
    """Every component and modal action the router knows, aimed at the op's payroll draft
    (or its session), by someone who is neither an officer nor the session's creator."""
    world = rig.worlds[rig.sim.guild.id]
    for action in sorted((set(router.COMPONENTS) | set(router.MODALS)) - GUILD_LOCAL_ACTIONS):
        target = world.op_session if action == "payroll" else world.draft_id
        custom_id = custom_ids.make(action, target, "0")
        for payload in _payloads(rig.sim, role, action, custom_id, [world.op_session]):
            answer, changed = send(rig, payload)
            check(answer, changed, allowed=False)


def _payloads(
    sim: DiscordSimulator, role: str, action: str, custom_id: str, values: list[str]
) -> list[dict[str, Any]]:
    if action in router.MODALS:
        fields = {"amount": "10", "label": "x", "list": "Gold 1", "total": "1", "mult": "1"}
        return [sim.payloads.modal_submit(sim.guild.member(role), custom_id, fields)]
    return [raw_component(sim, role, custom_id, []), raw_component(sim, role, custom_id, values)]


@pytest.mark.parametrize("action", sorted(BOOKS_ACTIONS))
@pytest.mark.parametrize("role", ROLES)
def test_the_books_pagers_and_menu_by_role(
    rig: Rig, restored: None, action: str, role: str
) -> None:
    args, allowed = BOOKS_ACTIONS[action]
    payload = raw_component(rig.sim, role, custom_ids.make(action, *args), [])
    answer, changed = send(rig, payload)
    check(answer, changed, allowed=role in allowed)


# --- a refinery job: its owner, leaders and payroll officers ------------------------------------

REFINERY_FIELDS = {"rfcm": {"59": "20", "34": "5"}, "rftm": {"time": "1h"}}


def _refinery_job(rig: Rig, guild_id: str, owner: str) -> str:
    from sunday_mining.domain.refining import method_by_code, parse_ore_amounts
    from sunday_mining.services.refinery import Actor, Terminal

    job = rig.services.refinery.add(
        guild_id,
        Actor(owner),
        terminal=Terminal(0, "Refinement Processing - MIC-L1"),
        method=method_by_code("DIN"),
        ores=parse_ore_amounts("Quantainium 48, Gold 12.5"),
        cost=25_000,
        time_left_ms=3_600_000,
    )
    return job.job_id


def _refinery_payload(sim: DiscordSimulator, role: str, action: str, job: str) -> dict[str, Any]:
    custom_id = custom_ids.make(action, job)
    if action in REFINERY_FIELDS:
        return sim.payloads.modal_submit(sim.guild.member(role), custom_id, REFINERY_FIELDS[action])
    return raw_component(sim, role, custom_id, [])


@pytest.mark.parametrize("action", ["rfc", "rft", "rfx", "rfcm", "rftm"])
@pytest.mark.parametrize("role", ROLES)
def test_a_refinery_jobs_buttons_and_forms_by_role(
    rig: Rig, restored: None, action: str, role: str
) -> None:
    """ben's job: ben, leaders and payroll officers (Manage Server counts) get through; the
    same role of another guild never does, with the job's real id."""
    job = _refinery_job(rig, rig.sim.guild.id, rig.sim.guild.member("ben").id)
    answer, changed = send(rig, _refinery_payload(rig.other, role, action, job))
    check(answer, changed, allowed=False)
    answer, changed = send(rig, _refinery_payload(rig.sim, role, action, job))
    check(answer, changed, allowed=role in LEADERS | OFFICERS | {"ben"})


@pytest.mark.parametrize("role", ROLES)
def test_every_open_refinery_job_of_the_org_by_role(rig: Rig, role: str) -> None:
    payload = rig.sim.payloads.command(
        rig.sim.guild.member(role), "mining refinery list", {"all": True}
    )
    answer, changed = send(rig, payload)
    check(answer, changed, allowed=role in LEADERS | OFFICERS)


# --- another guild's objects: refused for everyone, up to that guild's admin -------------------


@pytest.mark.parametrize("role", ROLES)
def test_another_guilds_payrolls_and_sessions_are_out_of_reach(rig: Rig, role: str) -> None:
    """Guild B's members, in guild B, with guild A's ids: real rendered custom ids, every
    router action synthesised on A's draft and sessions, and A's ids as command options."""
    home = rig.worlds[rig.sim.guild.id]  # the victim: guild A
    attacker = rig.other  # guild B
    targets = [home.op_session, home.adhoc_stopped, home.adhoc_running]
    payloads: list[dict[str, Any]] = []
    for custom_id in home.custom_ids:
        payloads.append(raw_component(attacker, role, custom_id, []))
        payloads.append(raw_component(attacker, role, custom_id, [home.op_session]))
    for action in sorted((set(router.COMPONENTS) | set(router.MODALS)) - GUILD_LOCAL_ACTIONS):
        for target in [home.draft_id, *targets]:
            custom_id = custom_ids.make(action, target, "0")
            payloads += _payloads(attacker, role, action, custom_id, [target])
    for path in ("mining payroll", "mining adhoc load"):
        for target in targets:
            member = attacker.guild.member(role)
            payloads.append(attacker.payloads.command(member, path, {"session": target}))
    for target in targets:  # the stop picker's select, with A's sessions
        payloads.append(raw_component(attacker, role, custom_ids.make("stop"), [target]))
        payloads.append(raw_component(attacker, role, custom_ids.make("ppick"), [target]))
    assert len(payloads) > 100
    for payload in payloads:
        answer, changed = send(rig, payload)
        check(answer, changed, allowed=False)
