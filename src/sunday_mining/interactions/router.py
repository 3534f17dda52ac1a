"""Route an interaction to its handler and turn every domain error into a polite answer.

Payroll's handlers load on first use: they bring the payroll engine, which a cold start that
answers /mining status or a PING does not need. Their names are listed here
(``PAYROLL_COMPONENTS``, ``PAYROLL_MODALS``) and a test holds them equal to payroll_commands'
own tables.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from types import ModuleType
from typing import Any

from sunday_mining.container import Services
from sunday_mining.domain.errors import DomainError, NotFound
from sunday_mining.interactions import (
    admin_commands,
    custom_ids,
    diagnostics_commands,
    handle_commands,
    help_topics,
    me_commands,
    price_commands,
    session_commands,
)
from sunday_mining.interactions.context import Context
from sunday_mining.interactions.member_names import remember_names
from sunday_mining.interactions.payload import BadPayload, Interaction, InteractionType
from sunday_mining.interactions.responses import choices, error, pong

log = logging.getLogger(__name__)

CommandHandler = Callable[[Context], dict[str, Any]]
ComponentHandler = Callable[[Context, custom_ids.CustomId], dict[str, Any]]

PAYROLL_COMPONENTS = frozenset(
    {
        *("payroll", "ppick", "ppage", "pgo", "pv", "pmem", "pmset", "padj", "pore", "ppaste"),
        *("psale", "prm", "pstale", "pexp", "pflat", "ppct", "pcut", "pask", "pfin", "ppaid"),
        *("pall", "pallok", "pamend", "prep", "padd", "paddm", "pdel", "pdelok"),
        "prefj",
        *("pseller", "pslu"),
        *("ptv", "ptx", "ptpost", "ptmine"),
    }
)
PAYROLL_MODALS = frozenset({"pmm", "pam", "ppl", "psl", "pexm", "pflm", "ppcm"})


def _payroll() -> ModuleType:
    from sunday_mining.interactions import payroll_commands

    return payroll_commands


def _payroll_command(name: str) -> CommandHandler:
    def handle(ctx: Context) -> dict[str, Any]:
        handler: CommandHandler = getattr(_payroll(), name)
        return handler(ctx)

    return handle


def _payroll_component(table: str, action: str) -> ComponentHandler:
    def handle(ctx: Context, custom_id: custom_ids.CustomId) -> dict[str, Any]:
        handlers: dict[str, ComponentHandler] = getattr(_payroll(), table)
        return handlers[action](ctx, custom_id)

    return handle


# Refinery jobs load on first use too (interactions/refinery_commands.py).
REFINERY_COMPONENTS = frozenset({"rfl", "rfc", "rft", "rfx"})
REFINERY_MODALS = frozenset({"rfadd", "rfcm", "rftm"})


def _refinery() -> ModuleType:
    from sunday_mining.interactions import refinery_commands

    return refinery_commands


def _refinery_command(name: str) -> CommandHandler:
    def handle(ctx: Context) -> dict[str, Any]:
        handler: CommandHandler = getattr(_refinery(), name)
        return handler(ctx)

    return handle


def _refinery_component(table: str, action: str) -> ComponentHandler:
    def handle(ctx: Context, custom_id: custom_ids.CustomId) -> dict[str, Any]:
        handlers: dict[str, ComponentHandler] = getattr(_refinery(), table)
        return handlers[action](ctx, custom_id)

    return handle


# The officers' books load on first use too (interactions/books_commands.py).
BOOKS_COMPONENTS = frozenset({"bldg", "bst", "bowed", "bown", "bpay"})


def _books(name: str, table: str = "") -> Callable[..., dict[str, Any]]:
    def handle(ctx: Context, *args: custom_ids.CustomId) -> dict[str, Any]:
        from sunday_mining.interactions import books_commands as books

        handler: Callable[..., dict[str, Any]]
        handler = getattr(books, table)[name] if table else getattr(books, name)
        return handler(ctx, *args)

    return handle


COMMANDS: dict[str, CommandHandler] = {
    "mining start": session_commands.start,
    "mining stop": session_commands.stop,
    "mining status": session_commands.status,
    "mining adhoc new": session_commands.adhoc_new,
    "mining adhoc load": session_commands.adhoc_load,
    "mining adhoc list": session_commands.adhoc_list,
    "mining payroll": _payroll_command("payroll"),
    "mining prices": price_commands.prices,
    "mining refinery add": _refinery_command("add"),
    "mining refinery list": _refinery_command("list_jobs"),
    "mining handle set": handle_commands.handle_set,
    "mining handle clear": handle_commands.handle_clear,
    "mining me": me_commands.me,
    **{f"mining {name}": _books(name) for name in ("ledger", "stats", "owed")},
    "mining diagnostics": diagnostics_commands.diagnostics,
    "mining help": help_topics.help_command,
    "mining-admin channels add": admin_commands.channels_add,
    "mining-admin channels remove": admin_commands.channels_remove,
    "mining-admin channels list": admin_commands.channels_list,
    "mining-admin roles add": admin_commands.roles_add,
    "mining-admin roles remove": admin_commands.roles_remove,
    "mining-admin roles list": admin_commands.roles_list,
    "mining-admin settings set": admin_commands.settings_set,
    "mining-admin settings show": admin_commands.settings_show,
    "mining-admin settings report-channel": admin_commands.settings_report_channel,
    "mining-admin settings treasurer": admin_commands.settings_treasurer,
}

COMPONENTS: dict[str, ComponentHandler] = {
    "status": session_commands.status_refresh,
    "stop": session_commands.stop_picked,
    "stopfor": session_commands.stop_for_start,  # :<session id>, on a refused /mining start
    "alist": session_commands.adhoc_list_page,
    "slist": session_commands.full_list,  # :<session id>[:<page>:<p|n>], the stop summary's list
    "me": me_commands.me_page,  # :<page>:<p|n>, the caller's own /mining me
    "mepref": me_commands.me_switch,  # :<pay|ref>:<on|off>:<page>, the caller's own switches
    # "payroll" (the stop summary's button) and the p* steps
    **{action: _payroll_component("COMPONENTS", action) for action in PAYROLL_COMPONENTS},
    **{action: _refinery_component("COMPONENTS", action) for action in REFINERY_COMPONENTS},
    **{action: _books(action, "COMPONENTS") for action in BOOKS_COMPONENTS},
}

MODALS: dict[str, ComponentHandler] = {
    **{action: _payroll_component("MODALS", action) for action in PAYROLL_MODALS},
    **{action: _refinery_component("MODALS", action) for action in REFINERY_MODALS},
}

AUTOCOMPLETE: dict[tuple[str, str], CommandHandler] = {
    ("mining adhoc load", "session"): session_commands.adhoc_load_autocomplete,
    ("mining prices", "ore"): price_commands.ore_autocomplete,
    ("mining payroll", "session"): _payroll_command("session_autocomplete"),
    ("mining refinery add", "terminal"): _refinery_command("terminal_autocomplete"),
    ("mining refinery add", "session"): _refinery_command("session_autocomplete"),
    ("mining refinery list", "session"): _refinery_command("session_autocomplete"),
}

STALE = "That button is from an older message; run the command again."
REPLAYED = "That request was already handled; nothing was done again."


def dispatch(interaction: Interaction, services: Services) -> dict[str, Any]:
    if interaction.type is InteractionType.PING:
        return pong()
    ctx = Context(interaction, services)
    try:
        if not _first_time(interaction, services):
            return error(REPLAYED)
        try:
            answer = _route(ctx)
        except BaseException:
            _forget(interaction, services)  # the request failed: a copy may be tried again
            raise
    except DomainError as failure:
        services.errors.record_failure(failure)
        if interaction.type is InteractionType.AUTOCOMPLETE:
            return choices([])  # autocomplete cannot show a message; offer nothing
        return error(failure.message)
    except BadPayload:
        if interaction.type is InteractionType.AUTOCOMPLETE:
            return choices([])
        return error("That input did not look right; run the command again from its menu.")
    # Only now: a refused interaction (every refusal raises) leaves no trace of its caller.
    remember_names(interaction, services.names)  # never raises: names only serve reports
    return answer


def _first_time(interaction: Interaction, services: Services) -> bool:
    """Process each interaction id once (see services/replays.py). Autocomplete only reads and
    fires on every keystroke; outside a server nothing is changed."""
    if interaction.type is InteractionType.AUTOCOMPLETE or interaction.guild_id is None:
        return True
    return services.seen.first_time(interaction.guild_id, interaction.id)


def _forget(interaction: Interaction, services: Services) -> None:
    if interaction.type is not InteractionType.AUTOCOMPLETE and interaction.guild_id is not None:
        services.seen.forget(interaction.guild_id, interaction.id)


def _route(ctx: Context) -> dict[str, Any]:
    interaction = ctx.interaction
    if interaction.type is InteractionType.APPLICATION_COMMAND:
        handler = COMMANDS.get(interaction.path)
        if handler is None:
            raise NotFound(
                "I don't know that command; it may be from an older version. Try /mining help."
            )
        return handler(ctx)
    if interaction.type is InteractionType.AUTOCOMPLETE:
        focused = interaction.focused
        suggest = AUTOCOMPLETE.get((interaction.path, focused[0])) if focused else None
        return suggest(ctx) if suggest else choices([])
    parsed = custom_ids.parse(interaction.custom_id)
    table = COMPONENTS if interaction.type is InteractionType.MESSAGE_COMPONENT else MODALS
    component = table.get(parsed.action) if parsed else None
    if parsed is None or component is None:
        raise NotFound(STALE)
    return component(ctx, parsed)
