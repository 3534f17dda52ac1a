"""The `sunday-mining` command: run the app locally, migrate the table, check its health."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from sunday_mining.config import Settings
from sunday_mining.domain.errors import DomainError


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
        result: int = args.run(settings, args)
        return result
    except DomainError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sunday-mining",
        description="Sunday Mining: voice-tracked mining ops and their payrolls, for Discord.",
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the HTTP app (uvicorn) on the configured store")
    serve.add_argument("--host", help="address to listen on (default: SM_HOST)")
    serve.add_argument("--port", type=int, help="port to listen on (default: SM_PORT)")
    serve.set_defaults(run=_serve)

    demo = commands.add_parser("demo", help="run the app on a local SQLite file and check it")
    demo.add_argument(
        "--check-only",
        action="store_true",
        help="start, answer one health check, then exit (used by tests)",
    )
    demo.set_defaults(run=_demo)

    migrate = commands.add_parser("migrate", help="bring the table to this build's schema")
    migrate.add_argument(
        "--create-table",
        action="store_true",
        help="create the DynamoDB table first if it does not exist (local DynamoDB, tests)",
    )
    migrate.set_defaults(run=_migrate)

    health = commands.add_parser(
        "schema-health", help="compare the live table with the one this build declares"
    )
    health.set_defaults(run=_schema_health)
    return parser


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    from sunday_mining.local import serve

    serve(settings, host=args.host or settings.host, port=args.port or settings.port)
    return 0


def _demo(settings: Settings, args: argparse.Namespace) -> int:
    from sunday_mining.local import demo

    return demo(settings, check_only=args.check_only)


def _migrate(settings: Settings, args: argparse.Namespace) -> int:
    from sunday_mining.local import migrate_table

    report = migrate_table(settings, create_table=args.create_table)
    if report.applied:
        print(f"Migrated from version {report.from_version} to {report.to_version}.")
    else:
        print(f"Already at schema version {report.to_version}; nothing to do.")
    return 0


def _schema_health(settings: Settings, args: argparse.Namespace) -> int:
    from sunday_mining.local import schema_problems

    problems = schema_problems(settings)
    if not problems:
        print("The table matches this build: keys, indexes, TTL, backups and schema version.")
        return 0
    for problem in problems:
        print(f"- {problem}")
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
