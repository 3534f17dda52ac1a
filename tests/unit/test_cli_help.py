"""`sunday-mining <command> --help` says what the command does, not only its options."""

from __future__ import annotations

import contextlib
import io

import pytest

from sunday_mining.entrypoints import cli
from sunday_mining_dev import cli as dev_cli

COMMANDS = (
    "serve",
    "migrate",
    "refresh-prices",
    "worker",
    "register-commands",
    "status",
    "schema-health",
)


DEV_COMMANDS = ("demo", "sign-event")


def _help(*argv: str, main: object = cli.main) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        main([*argv, "--help"])  # type: ignore[operator]
    return out.getvalue()


@pytest.mark.parametrize(
    ("command", "main"),
    [(c, cli.main) for c in COMMANDS] + [(c, dev_cli.main) for c in DEV_COMMANDS],
)
def test_every_command_help_has_a_description(command: str, main: object) -> None:
    text = _help(command, main=main)
    between = text.split("\n\n")[1]  # after the usage, before the options
    assert not between.startswith(("options:", "positional arguments:")), text
    assert len(between.split()) >= 8, text


def test_the_top_level_help_lists_every_command() -> None:
    text = _help()
    for command in COMMANDS:
        assert command in text


def test_the_dev_tools_help_lists_every_dev_command() -> None:
    text = _help(main=dev_cli.main)
    for command in DEV_COMMANDS:
        assert command in text
