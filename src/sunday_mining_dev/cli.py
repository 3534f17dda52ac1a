"""The `sunday-mining-dev` command: the development tools (``make demo`` runs its demo)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    result: int = args.run(args)
    return result


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sunday-mining-dev",
        description="Sunday Mining's development tools: the demo and signed events for sam local.",
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    demo = commands.add_parser(
        "demo",
        help="play a Sunday op through the local Discord simulator (var/demo/)",
        description="Play a whole Sunday op through the local Discord simulator, with no "
        "Discord account: setup, start, voice from a scripted worker, stop, payroll and "
        "report. Clears the previous run first; writes the store, the report's PDF and CSV "
        "and a transcript of what Discord showed into var/demo/.",
    )
    demo.set_defaults(run=_demo)

    sign = commands.add_parser(
        "sign-event",
        help="write a freshly signed interaction as a Function URL event (for sam local invoke)",
        description="Sign a PING or a slash command with the simulator's local dev key (the "
        "DISCORD_PUBLIC_KEY of infra/env.example.json), as a member of its sample guild, and "
        "write it as the Lambda Function URL event `sam local invoke -e` takes. The app refuses "
        "a signature older than SM_SIGNATURE_MAX_AGE_S (5 minutes): sign just before invoking.",
    )
    sign.add_argument("command", help="'ping', or a slash command such as 'mining status' (quoted)")
    sign.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a command option, e.g. --option name='Sunday op' (repeatable)",
    )
    sign.add_argument(
        "--user", default="lead", help="who runs it: admin, lead, purser, ana, ... (default lead)"
    )
    sign.add_argument("--out", metavar="FILE", help="write here instead of standard output")
    sign.set_defaults(run=_sign_event)
    return parser


def _demo(args: argparse.Namespace) -> int:
    from sunday_mining_dev.demo import run

    run()
    return 0


def _sign_event(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from sunday_mining_dev.simulator.lambda_events import signed_interaction_event

    options = dict(option.split("=", 1) for option in args.option if "=" in option)
    if len(options) != len(args.option):
        print("error: give each --option as NAME=VALUE.", file=sys.stderr)
        return 2
    command = None if args.command.strip().lower() == "ping" else args.command.strip()
    try:
        event = signed_interaction_event(command, options=options, user=args.user)
    except (KeyError, ValueError) as error:
        print(f"error: {error.args[0] if error.args else error}", file=sys.stderr)
        return 2
    text = json.dumps(event, indent=2) + "\n"
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
