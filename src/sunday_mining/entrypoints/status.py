"""`sunday-mining status`: the checks `/mining diagnostics` runs, for a terminal or a script.

The same :class:`~sunday_mining.services.diagnostics.DiagnosticsService`, wired by the same
composition root, so the command and the CLI can never disagree about what is healthy.

Looking changes nothing: before `sunday-mining migrate` has made the local database, status says
so instead of creating it, and it neither makes the local link-signing key nor the reports
folder (the first `serve` does).
"""

from __future__ import annotations

import json
import secrets
import sys
from dataclasses import replace
from typing import TextIO

from sunday_mining.config import Settings
from sunday_mining.services.diagnostic_probes import Check, Status

# The one check that needs a server; without --guild it would describe an empty, unknown one.
_SERVER_AREA = "Channels"


def health_summary(settings: Settings, guild_id: str | None) -> list[Check]:
    from sunday_mining.entrypoints.factories import build_from_settings

    if settings.store == "sqlite" and not settings.sqlite_path.exists():
        return [not_set_up(settings)]
    # A fresh process has run no job: its own failed-jobs count would always read empty.
    services = build_from_settings(_looking_only(settings), own_failures=False)
    checks = services.diagnostics.run(guild_id or "")
    if guild_id is None:
        checks = [c for c in checks if c.area != _SERVER_AREA]
    return checks


def not_set_up(settings: Settings) -> Check:
    return Check(
        "Database",
        Status.FAIL,
        f"not set up yet (no database at {settings.sqlite_path})",
        "Run `sunday-mining migrate` to create it.",
    )


def _looking_only(settings: Settings) -> Settings:
    """Locally the app makes its link-signing key on first use and keeps it beside the store;
    a key for this process alone lets the checks run without writing that file."""
    from sunday_mining.entrypoints.report_factories import LOCAL_KEY_FILE

    if settings.store != "sqlite" or settings.link_signing_key:
        return settings
    if (settings.sqlite_path.parent / LOCAL_KEY_FILE).exists():
        return settings
    return replace(settings, link_signing_key=secrets.token_hex(32))


def exit_code(checks: list[Check]) -> int:
    """1 when anything failed; warnings alone still exit 0 (the app works, with a caveat)."""
    return 1 if any(c.status is Status.FAIL for c in checks) else 0


def lines(checks: list[Check]) -> list[str]:
    """``fail  Schema: <value> — fix: <fix>``; the fix only where something is wrong."""
    found = []
    for check in checks:
        line = f"{check.status.value:<4}  {check.area}: {check.value}"
        if check.fix and check.status is not Status.OK:
            line += f" — fix: {check.fix}"
        found.append(line)
    return found


def as_json(checks: list[Check]) -> str:
    return json.dumps(
        {
            "ok": exit_code(checks) == 0,
            "checks": [
                {"area": c.area, "status": c.status.value, "value": c.value, "fix": c.fix}
                for c in checks
            ],
        },
        ensure_ascii=False,
        indent=2,
    )


def print_summary(checks: list[Check], *, json_output: bool, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    print(as_json(checks) if json_output else "\n".join(lines(checks)), file=out)
    return exit_code(checks)
