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
    settings: Settings | None = None
    try:
        settings = Settings.from_env()
        result: int = args.run(settings, args)
        return result
    except DomainError as error:
        print(f"error: {_explained(error, settings)}", file=sys.stderr)
        return 1


def _explained(error: DomainError, settings: Settings | None) -> str:
    """The error in the words a person at this terminal can act on."""
    if settings is not None and settings.store == "dynamodb" and _table_missing(error):
        return (
            f"The DynamoDB table '{settings.table_name}' does not exist in {settings.aws_region}. "
            "Deploy infra/template.yaml, which creates it (docs/deploy.md), or for DynamoDB "
            "Local or a test account run `sunday-mining migrate --create-table`."
        )
    return error.message


def _table_missing(error: DomainError) -> bool:
    from sunday_mining.adapters.dynamodb_store import TableMissing

    return isinstance(error, TableMissing)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sunday-mining",
        description="Sunday Mining: voice-tracked mining ops and their payrolls, for Discord.",
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = commands.add_parser(
        "serve",
        help="run the HTTP app (uvicorn) on the configured store",
        description="Run the app over HTTP with uvicorn: the Discord interactions endpoint, "
        "the voice worker's API and the report links, on the store SM_STORE names (SQLite by "
        "default). Report jobs and the scheduled price refresh run in this process.",
    )
    serve.add_argument("--host", help="address to listen on (default: SM_HOST)")
    serve.add_argument("--port", type=int, help="port to listen on (default: SM_PORT)")
    serve.set_defaults(run=_serve)

    migrate = commands.add_parser(
        "migrate",
        help="bring the table to this build's schema",
        description="Bring the store to this build's schema version by applying the numbered "
        "migrations it lacks; running it again changes nothing. On SQLite it creates the "
        "database file. On DynamoDB the table must exist (the deploy template creates it) "
        "unless --create-table is given.",
    )
    migrate.add_argument(
        "--create-table",
        action="store_true",
        help="create the DynamoDB table first if it does not exist (local DynamoDB, tests)",
    )
    migrate.set_defaults(run=_migrate)

    prices = commands.add_parser(
        "refresh-prices",
        help="fetch UEX prices into the store now (UEX_API_TOKEN, UEX_BASE_URL optional)",
        description="Fetch the current commodity prices from UEX now and store them as the "
        "price snapshot payrolls use (the refresh also runs on a schedule). UEX_API_TOKEN and "
        "UEX_BASE_URL are optional. On failure the last prices stay in use and the exit code "
        "is 1.",
    )
    prices.set_defaults(run=_refresh_prices)

    worker = commands.add_parser(
        "worker",
        help="run the voice worker (needs DISCORD_BOT_TOKEN, SM_APP_URL, SM_WORKER_SECRET)",
        description="Run the voice worker: the one process holding a Discord gateway "
        "connection. It reports who sits in which voice channel to the app at SM_APP_URL, "
        "signed with SM_WORKER_SECRET, and sits the bot in the dispatch channel during an op.",
    )
    worker.set_defaults(run=_worker)

    register = commands.add_parser(
        "register-commands",
        help="overwrite the app's slash commands on Discord (bulk PUT, API v10)",
        description="Replace the app's slash commands on Discord with this build's set "
        "(needs DISCORD_BOT_TOKEN and DISCORD_APPLICATION_ID). Global commands can take a "
        "while to show; --guild registers them in one server at once.",
    )
    register.add_argument("--guild", metavar="ID", help="register in one server (instant)")
    register.add_argument(
        "--dry-run", action="store_true", help="print the command JSON instead of sending it"
    )
    register.set_defaults(run=_register_commands)

    status = commands.add_parser(
        "status",
        help="the health summary /mining diagnostics shows; exit code 1 if any check fails",
        description="Print the checks /mining diagnostics runs, one line each, with the fix "
        "where something is wrong. Exit code 1 if any check fails; warnings alone exit 0. It "
        "only looks: before `sunday-mining migrate` it says the database is not set up yet.",
    )
    status.add_argument(
        "--guild", metavar="ID", help="also check this server's channels and the bot's seat"
    )
    status.add_argument("--json", action="store_true", help="print the checks as JSON")
    status.set_defaults(run=_status)

    health = commands.add_parser(
        "schema-health",
        help="compare the live table with the one this build declares",
        description="Compare the live table (keys, indexes, time to live, backups, schema "
        "version) with the one this build declares and print each difference. Exit code 2 "
        "when they differ.",
    )
    health.set_defaults(run=_schema_health)

    return parser


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    from sunday_mining import observability
    from sunday_mining.entrypoints.local_server import serve

    observability.configure_logging(
        "sunday-mining",
        level=settings.log_level,
        json_lines=settings.on_lambda or settings.log_format == "json",
    )

    serve(settings, host=args.host or settings.host, port=args.port or settings.port)
    return 0


def _migrate(settings: Settings, args: argparse.Namespace) -> int:
    from sunday_mining.entrypoints.local_server import migrate_table

    report = migrate_table(settings, create_table=args.create_table)
    if report.applied:
        start = "a new table" if report.from_version is None else f"version {report.from_version}"
        print(f"Migrated from {start} to schema version {report.to_version}.")
    else:
        print(f"Already at schema version {report.to_version}; nothing to do.")
    return 0


def _refresh_prices(settings: Settings, args: argparse.Namespace) -> int:

    from sunday_mining.adapters.system_clock import SystemClock
    from sunday_mining.entrypoints.factories import build_store
    from sunday_mining.entrypoints.pricing_lambda import build_price_service

    service = build_price_service(build_store(settings), SystemClock(), settings)
    outcome = service.refresh()
    if outcome.ok:
        print(f"Stored prices for {outcome.priced} ores (game version {outcome.game_version}).")
        return 0
    print(
        f"error: the refresh failed ({outcome.reason}); the last prices stay in use.",
        file=sys.stderr,
    )
    return 1


def _worker(settings: Settings, args: argparse.Namespace) -> int:
    from sunday_mining import observability
    from sunday_mining.entrypoints.worker import main as worker_main

    # The worker installs its own JSON handler (worker/logs.py); this keeps secrets out of
    # every message whichever handler writes it.
    observability.install_record_redaction()
    return worker_main()


def _register_commands(settings: Settings, args: argparse.Namespace) -> int:
    import json

    from sunday_mining.interactions.commands import command_json

    commands = command_json()
    if args.dry_run:
        print(json.dumps(commands, indent=2, ensure_ascii=False))
        return 0
    if not settings.discord_bot_token or not settings.discord_application_id:
        print(
            "error: set DISCORD_BOT_TOKEN and DISCORD_APPLICATION_ID to register commands.",
            file=sys.stderr,
        )
        return 1
    from sunday_mining.entrypoints.report_factories import discord_rest

    rest = discord_rest(settings)
    registered = rest.bulk_overwrite_commands(commands, guild_id=args.guild)
    where = f"server {args.guild}" if args.guild else "every server (global)"
    print(f"Registered {len(registered)} commands for {where}.")
    return 0


def _schema_health(settings: Settings, args: argparse.Namespace) -> int:
    from sunday_mining.entrypoints.local_server import schema_problems

    problems = schema_problems(settings)
    if not problems:
        print("The table matches this build: keys, indexes, TTL, backups and schema version.")
        return 0
    from sunday_mining.schema.health import SCHEMA_FIX

    for problem in problems:
        print(f"- {problem}")
    print(f"Fix: {SCHEMA_FIX}")
    return 2


def _status(settings: Settings, args: argparse.Namespace) -> int:
    from sunday_mining.entrypoints.status import health_summary, print_summary

    checks = health_summary(settings, args.guild)
    return print_summary(checks, json_output=args.json)


if __name__ == "__main__":
    raise SystemExit(main())
