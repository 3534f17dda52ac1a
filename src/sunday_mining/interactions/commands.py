"""The command set, defined once: registration JSON and routing both come from here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sunday_mining.domain.guild import SETTING_NAMES, Role
from sunday_mining.interactions.payload import TEXT_CHANNEL_TYPES, VOICE_CHANNEL_TYPES, OptionType

MANAGE_GUILD_PERMISSION = str(1 << 5)


@dataclass(frozen=True)
class Option:
    name: str
    description: str
    type: OptionType
    required: bool = False
    autocomplete: bool = False
    channel_types: tuple[int, ...] = ()
    choices: tuple[str, ...] = ()
    max_length: int | None = None

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": int(self.type),
            "name": self.name,
            "description": self.description,
            "required": self.required,
        }
        if self.autocomplete:
            body["autocomplete"] = True
        if self.channel_types:
            body["channel_types"] = [int(t) for t in self.channel_types]
        if self.choices:
            body["choices"] = [{"name": c, "value": c} for c in self.choices]
        if self.max_length is not None:
            body["max_length"] = self.max_length
        return body


@dataclass(frozen=True)
class Sub:
    name: str
    description: str
    options: tuple[Option, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "type": int(OptionType.SUB_COMMAND),
            "name": self.name,
            "description": self.description,
            "options": [o.to_json() for o in self.options],
        }


@dataclass(frozen=True)
class Group:
    name: str
    description: str
    subs: tuple[Sub, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "type": int(OptionType.SUB_COMMAND_GROUP),
            "name": self.name,
            "description": self.description,
            "options": [s.to_json() for s in self.subs],
        }


@dataclass(frozen=True)
class Command:
    name: str
    description: str
    children: tuple[Sub | Group, ...]
    default_member_permissions: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "type": 1,
            "name": self.name,
            "description": self.description,
            "options": [c.to_json() for c in self.children],
            "default_member_permissions": self.default_member_permissions,
            "contexts": [0],
            "integration_types": [0],
        }

    def paths(self) -> list[str]:
        found: list[str] = []
        for child in self.children:
            if isinstance(child, Group):
                found += [f"{self.name} {child.name} {s.name}" for s in child.subs]
            else:
                found.append(f"{self.name} {child.name}")
        return found


_SESSION_NAME = Option("name", "A name for the session", OptionType.STRING, max_length=80)
_VOICE = Option(
    "channel", "A voice channel", OptionType.CHANNEL, True, channel_types=VOICE_CHANNEL_TYPES
)
_ROLE_KIND = Option(
    "kind", "What the role may do", OptionType.STRING, True, choices=tuple(r.value for r in Role)
)
_ROLE = Option("role", "A server role", OptionType.ROLE, True)

HELP_TOPICS = (
    *("start", "stop", "status", "adhoc", "payroll", "prices", "handle", "diagnostics", "admin"),
    "refinery",
    "me",
    *("ledger", "stats", "owed"),
)
_MEMBER_FOR = Option(
    "member", "Officers: a member to do this for (leave out for yourself)", OptionType.USER
)

_REFINERY_SESSION = Option(
    "session", "The session the job belongs to", OptionType.STRING, autocomplete=True
)

MINING = Command(
    "mining",
    "Mining ops: track voice time and pay everyone",
    (
        Sub("start", "Start the Sunday op on the mining channels", (_SESSION_NAME,)),
        Sub("stop", "Stop a running session and see who gets paid"),
        Sub("status", "What is running right now"),
        Group(
            "adhoc",
            "Small one-channel sessions",
            (
                Sub("new", "Start tracking one voice channel", (_VOICE, _SESSION_NAME)),
                Sub(
                    "load",
                    "Reopen one of your stopped sessions",
                    (Option("session", "Your session", OptionType.STRING, True, True),),
                ),
                Sub("list", "Your sessions"),
            ),
        ),
        Sub(
            "payroll",
            "Turn a stopped session's haul into payouts",
            (Option("session", "The session to pay", OptionType.STRING, autocomplete=True),),
        ),
        Sub(
            "prices",
            "Current ore prices",
            (Option("ore", "An ore", OptionType.STRING, autocomplete=True),),
        ),
        Sub("me", "Your sessions, your payouts and what you are owed (only you see it)"),
        Group(
            "handle",
            "Your in-game handle, printed where you are paid",
            (
                Sub(
                    "set",
                    "Set your Star Citizen handle",
                    (
                        Option(
                            "handle", "Your in-game handle", OptionType.STRING, True, max_length=60
                        ),
                        _MEMBER_FOR,
                    ),
                ),
                Sub("clear", "Remove your handle", (_MEMBER_FOR,)),
            ),
        ),
        Group(
            "refinery",
            "Refinery jobs: a notice when they are ready",
            (
                Sub(
                    "add",
                    "Add a refinery job (a form follows)",
                    (
                        Option(
                            "terminal", "The refinery, if listed", OptionType.STRING, False, True
                        ),
                        _REFINERY_SESSION,
                    ),
                ),
                Sub(
                    "list",
                    "Your open refinery jobs",
                    (
                        Option("all", "Officers: every open job of the org", OptionType.BOOLEAN),
                        _REFINERY_SESSION,
                    ),
                ),
            ),
        ),
        Sub(
            "ledger",
            "Officers: the org's cuts, donations, expenses and fees, with a CSV",
            (
                Option(
                    "month",
                    "A month as YYYY-MM (leave out for every month)",
                    OptionType.STRING,
                    max_length=7,
                ),
            ),
        ),
        Sub(
            "stats",
            "Officers: ops attended, time and pay per member",
            (
                Option(
                    "period",
                    "A month (YYYY-MM) or days (90d); the last 30 days if left out",
                    OptionType.STRING,
                    max_length=10,
                ),
            ),
        ),
        Sub("owed", "Payroll officers: every unpaid line across payrolls, to mark paid"),
        Sub("diagnostics", "Check every part of the app, with fixes"),
        Sub(
            "help",
            "How to use Sunday Mining",
            (Option("topic", "A command", OptionType.STRING, choices=HELP_TOPICS),),
        ),
    ),
)

MINING_ADMIN = Command(
    "mining-admin",
    "Set up Sunday Mining for this server",
    (
        Group(
            "channels",
            "The voice channels a Sunday op tracks",
            (
                Sub(
                    "add",
                    "Track a voice channel in Sunday ops",
                    (
                        _VOICE,
                        Option(
                            "dispatch",
                            "The bot sits here during an op",
                            OptionType.BOOLEAN,
                        ),
                    ),
                ),
                Sub("remove", "Stop tracking a voice channel", (_VOICE,)),
                Sub("list", "The mining channels"),
            ),
        ),
        Group(
            "roles",
            "Who may lead ops, run payroll and start adhoc sessions",
            (
                Sub("add", "Give a role a permission", (_ROLE_KIND, _ROLE)),
                Sub("remove", "Take a permission from a role", (_ROLE_KIND, _ROLE)),
                Sub("list", "The roles and what they may do"),
            ),
        ),
        Group(
            "settings",
            "Minimum time, org cut, fees, adhoc limits, time zone, report channel, treasurer",
            (
                Sub(
                    "set",
                    "Change a setting",
                    (
                        Option(
                            "name", "The setting", OptionType.STRING, True, choices=SETTING_NAMES
                        ),
                        Option("value", "The new value", OptionType.STRING, True, max_length=64),
                    ),
                ),
                Sub(
                    "report-channel",
                    "Where final Sunday-op payroll reports are posted for everyone",
                    (
                        Option(
                            "channel",
                            "A text channel; leave it out to stop posting reports",
                            OptionType.CHANNEL,
                            channel_types=TEXT_CHANNEL_TYPES,
                        ),
                    ),
                ),
                Sub(
                    "treasurer",
                    "Who holds the org's cut when several sellers settle a payroll",
                    (
                        Option(
                            "member",
                            "A member; leave it out to name nobody",
                            OptionType.USER,
                        ),
                    ),
                ),
                Sub("show", "Every setting and its value"),
            ),
        ),
    ),
    default_member_permissions=MANAGE_GUILD_PERMISSION,
)

COMMANDS = (MINING, MINING_ADMIN)


def command_json() -> list[dict[str, Any]]:
    """The body of a bulk overwrite (PUT …/commands)."""
    return [c.to_json() for c in COMMANDS]


def all_paths() -> list[str]:
    return [p for c in COMMANDS for p in c.paths()]


def _comparable(node: dict[str, Any]) -> dict[str, Any]:
    """What we define of a command or option, in a form that ignores what Discord adds or drops
    (ids, versions, localizations, ``required: false``)."""
    return {
        "name": node.get("name"),
        "description": node.get("description"),
        "type": node.get("type", 1),
        "required": bool(node.get("required", False)),
        "autocomplete": bool(node.get("autocomplete", False)),
        "choices": [c.get("value") for c in node.get("choices") or []],
        "channel_types": sorted(node.get("channel_types") or []),
        "max_length": node.get("max_length"),
        "options": [_comparable(o) for o in node.get("options") or []],
        "default_member_permissions": node.get("default_member_permissions"),
    }


def same_commands(registered: list[dict[str, Any]], wanted: list[dict[str, Any]]) -> bool:
    """Whether what Discord holds is what this build would register."""
    ours = sorted((_comparable(c) for c in wanted), key=lambda c: str(c["name"]))
    theirs = sorted((_comparable(c) for c in registered), key=lambda c: str(c["name"]))
    return ours == theirs
