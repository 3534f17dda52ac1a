"""`sunday-mining <command> --help` says what the command does, not only its options."""

from __future__ import annotations

import contextlib
import io

import pytest

from sunday_mining import cli

COMMANDS = (
    "serve",
    "demo",
    "migrate",
    "refresh-prices",
    "worker",
    "register-commands",
    "status",
    "schema-health",
)


def _help(*argv: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        cli.main([*argv, "--help"])
    return out.getvalue()


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_help_has_a_description(command: str) -> None:
    text = _help(command)
    between = text.split("\n\n")[1]  # after the usage, before the options
    assert not between.startswith(("options:", "positional arguments:")), text
    assert len(between.split()) >= 8, text


def test_the_top_level_help_lists_every_command() -> None:
    text = _help()
    for command in COMMANDS:
        assert command in text
