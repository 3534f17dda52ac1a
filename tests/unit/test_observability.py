"""Logs and metrics: every secret shape is scrubbed, EMF has the shape the alarms match, an
interaction is counted by command and outcome, and the local console stays readable."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sunday_mining import observability
from sunday_mining.adapters.sqlite_store import SqliteStore
from sunday_mining.domain.clock import FixedClock
from sunday_mining.entrypoints import pricing_lambda
from sunday_mining.entrypoints.factories import build_services
from sunday_mining.observability import REDACTED, EmfMetrics, InMemoryMetrics, Metric
from sunday_mining.services.worker import Heartbeat
from sunday_mining.web.app import create_app
from sunday_mining_dev.simulator import DevKeyPair, DiscordSimulator

T0 = 1_795_370_400_000
BOT_TOKEN = "MTA5ODc2NTQzMjEwOTg3NjU0MzI.GhIjKl.mNoPqRsTuVwXyZaBcDeFgHiJkLmNoPqRsTuVw"
INTERACTION_TOKEN = "aW50ZXJhY3Rpb246MTIzNDU2Nzg5MDEyMzQ1Njc4OmFiY2RlZmdoaWprbG1ub3Bx"
SIGNATURE = "9f" * 64  # Ed25519 signatures are 64 bytes, sent as 128 hex characters
HMAC = "v1=" + "3c" * 32
LINK_SIG = "1799280000.q64AuNP-nXPl_WKqJFbdOjoFhp65yd4v"
CONFIGURED = 'uex-Zq8"not-a-pattern-just-a-value'
ESCAPED = json.dumps(CONFIGURED)[1:-1]  # how it reads inside a JSON log line


@pytest.fixture(autouse=True)
def _restore_logging_and_metrics() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    factory = logging.getLogRecordFactory()
    previous = observability.use_metrics(InMemoryMetrics())
    yield
    root.handlers[:], root.level = handlers, level
    logging.setLogRecordFactory(factory)
    observability.use_metrics(previous)


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (f"token {BOT_TOKEN} accepted", BOT_TOKEN),
        (f"Authorization: Bot {BOT_TOKEN}", BOT_TOKEN),
        ("{'authorization': 'Bearer abc.def-ghi'}", "abc.def-ghi"),
        ('{"Authorization": "Bot opaque-value-123"}', "opaque-value-123"),
        (f"POST /api/v10/webhooks/4242/{INTERACTION_TOKEN}/messages/@original", INTERACTION_TOKEN),
        (f"POST /api/v10/interactions/99/{INTERACTION_TOKEN}/callback", INTERACTION_TOKEN),
        ("webhooks/4242/opaque_Token-without.prefix?wait=true", "opaque_Token-without.prefix"),
        (f"interaction token {INTERACTION_TOKEN}", INTERACTION_TOKEN),
        (f"x-signature-ed25519: {SIGNATURE}", SIGNATURE),
        (f"headers={{'X-SM-Worker-Signature': '{HMAC}'}}", HMAC[3:]),
        (f"worker secret {'ab12' * 16}", "ab12" * 16),
        ('{"api_key": "k-123456789"}', "k-123456789"),
        ('"Item": {"token": {"S": "opaque-token-value"}}', "opaque-token-value"),
        ("{'hmac': {'S': 'opaque-hmac-value'}}", "opaque-hmac-value"),
        ("https://uex.example/api?token=q1w2e3r4t5&x=1", "q1w2e3r4t5"),
        ("password=hunter2hunter2", "hunter2hunter2"),
        (f'"GET /reports/r1?sig={LINK_SIG} HTTP/1.1" 200', LINK_SIG),
        (f"/reports/r1?x=1&sig={LINK_SIG}#top", LINK_SIG),
        (f'"GET /books/ledger-1-all?sig={LINK_SIG} HTTP/1.1" 200', LINK_SIG),
        (f"the configured value {CONFIGURED} leaked", CONFIGURED),
        ("escaped in JSON: " + json.dumps({"uex": CONFIGURED}), ESCAPED),
    ],
)
def test_every_secret_shape_is_scrubbed(text: str, secret: str) -> None:
    redactor = observability.Redactor()
    redactor.remember([CONFIGURED])
    scrubbed = redactor.scrub(text)
    assert secret not in scrubbed
    assert REDACTED in scrubbed


def test_ids_and_names_survive_the_scrub() -> None:
    text = (
        "interaction interaction_id=1180000000000000001 guild_id=800000000000000001 "
        "session_id=01JD5X0M8N7PQRSTVWXYZ01234 command='mining start' latency_ms=12.5"
    )
    assert observability.Redactor().scrub(text) == text


def test_secrets_in_the_environment_are_scrubbed_by_value() -> None:
    redactor = observability.Redactor()
    redactor.remember_env(
        {"UEX_API_TOKEN": CONFIGURED, "SM_TABLE_NAME": "sunday-mining-prod", "SM_PORT": "8080"}
    )
    assert redactor.scrub(f"{CONFIGURED} sunday-mining-prod") == f"{REDACTED} sunday-mining-prod"


def _configured(json_lines: bool) -> io.StringIO:
    stream = io.StringIO()
    observability.configure_logging("test", level="DEBUG", json_lines=json_lines, stream=stream)
    return stream


def test_the_console_form_is_one_readable_line_with_ids_and_correlation_keys() -> None:
    stream = _configured(json_lines=False)
    with observability.correlated(interaction_id="111", guild_id="222", session_id=None):
        logging.getLogger("sunday_mining.interactions").info(
            "interaction", extra={"outcome": "ok", "latency_ms": 3.5}
        )
    (line,) = stream.getvalue().splitlines()
    assert " INFO    sunday_mining.interactions interaction  " in line
    assert "guild_id='222' interaction_id='111' latency_ms=3.5 outcome='ok'" in line
    assert "session_id" not in line


def test_the_json_form_is_powertools_json_with_correlation_keys_and_no_secret() -> None:
    stream = _configured(json_lines=True)
    with observability.correlated(interaction_id="111", payroll_id="P1", command="mining payroll"):
        logging.getLogger("httpx").info("HTTP Request: POST /webhooks/1/%s", INTERACTION_TOKEN)
    record = json.loads(stream.getvalue())
    assert record["level"] == "INFO"
    assert record["service"] == "test"
    assert record["message"] == f"HTTP Request: POST /webhooks/1/{REDACTED}"
    assert (record["interaction_id"], record["payroll_id"]) == ("111", "P1")
    assert record["command"] == "mining payroll"


def test_a_traceback_is_scrubbed_too() -> None:
    stream = _configured(json_lines=True)
    try:
        raise RuntimeError(f"Discord refused Authorization: Bot {BOT_TOKEN}")
    except RuntimeError:
        logging.getLogger("sunday_mining.x").exception("call failed")
    assert BOT_TOKEN not in stream.getvalue()
    assert "RuntimeError" in stream.getvalue()


def test_a_record_made_before_any_handler_sees_it_is_already_scrubbed() -> None:
    observability.install_record_redaction({})
    record = logging.getLogger("sunday_mining.worker").makeRecord(
        "sunday_mining.worker", logging.INFO, __file__, 1, "token %s", (BOT_TOKEN,), None
    )
    assert record.getMessage() == f"token {REDACTED}"


@pytest.mark.parametrize(
    "path", ["/health", f"/reports/r1?sig={LINK_SIG}", f"/worker/v1/lease?x={BOT_TOKEN}"]
)
def test_uvicorns_access_log_still_formats_once_records_are_scrubbed(path: str) -> None:
    from uvicorn.logging import AccessFormatter

    observability.install_record_redaction({})
    # What uvicorn logs per request; its formatter unpacks exactly these five arguments.
    args = ("127.0.0.1:5000", "GET", path, "1.1", 200)
    record = logging.getLogger("uvicorn.access").makeRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d', args, None
    )
    form = AccessFormatter('%(client_addr)s "%(request_line)s" %(status_code)s', use_colors=False)
    line = form.format(record)
    assert line.startswith('127.0.0.1:5000 "GET /')
    assert line.endswith(' HTTP/1.1" 200 OK')
    assert LINK_SIG not in line
    assert BOT_TOKEN not in line


def _emf_lines(captured: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in captured.splitlines() if line.startswith('{"_aws"')]


def test_emf_is_one_document_per_call_with_stack_and_the_given_dimensions(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "would-add-a-service-dimension")
    monkeypatch.delenv("POWERTOOLS_DEV", raising=False)
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    emf = EmfMetrics("prod-stack")
    emf.emit(
        Metric("Interactions", "Count", 1),
        Metric("InteractionLatency", "Milliseconds", 12.5),
        Command="mining start",
        Outcome="ok",
    )
    emf.emit(Metric("WorkerHeartbeatAgeSeconds", "Seconds", 42))
    first, second = _emf_lines(capsys.readouterr().out)
    (directive,) = first["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "SundayMining"
    assert directive["Dimensions"] == [["Stack", "Command", "Outcome"]]
    assert directive["Metrics"] == [
        {"Name": "Interactions", "Unit": "Count"},
        {"Name": "InteractionLatency", "Unit": "Milliseconds"},
    ]
    assert (first["Stack"], first["Command"], first["Outcome"]) == (
        "prod-stack",
        "mining start",
        "ok",
    )
    assert (first["Interactions"], first["InteractionLatency"]) == ([1.0], [12.5])
    # What infra/template.yaml's alarm matches: SundayMining/<name> with exactly {Stack}.
    assert second["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["Stack"]]
    assert second["WorkerHeartbeatAgeSeconds"] == [42.0]


def test_a_failing_metric_never_fails_the_work(caplog: pytest.LogCaptureFixture) -> None:
    class Broken(observability.Metrics):
        def emit(self, *points: Metric, **dimensions: str) -> None:
            raise ValueError("no CloudWatch today")

    observability.use_metrics(Broken())
    observability.count("PayrollsFinalized")
    assert "metric not published" in caplog.text


def test_an_interaction_is_counted_by_command_and_outcome(tmp_path: Path) -> None:
    memory = InMemoryMetrics()
    observability.use_metrics(memory)
    keys = DevKeyPair.generate()
    store = SqliteStore(tmp_path / "m.sqlite3")
    app = create_app(build_services(store, FixedClock(T0)), public_key_hex=keys.public_key_hex)
    with DiscordSimulator.in_process(app, keys=keys) as sim:
        sim.ping()
        sim.command(sim.guild.member("lead"), "mining help")  # answered to the asker only
        sim.command(sim.guild.member("lead"), "mining help")
        sim.autocomplete(sim.guild.member("lead"), "mining payroll", focused="session", value="")
    store.close()
    assert memory.values("Interactions", Command="ping", Outcome="ok") == [1]
    assert memory.values("Interactions", Command="mining help", Outcome="ephemeral") == [1, 1]
    assert memory.values("Interactions", Command="autocomplete", Outcome="ok") == [1]
    # Latency per outcome only: a dimension per command would bill a metric per command.
    latencies = memory.values("InteractionLatency", Outcome="ephemeral", Stack="local")
    assert len(latencies) == 2
    assert all(latency >= 0 for latency in latencies)
    assert memory.values("InteractionLatency", Command="mining help") == []


def test_the_pricing_run_publishes_both_freshness_ages_with_only_the_stack(tmp_path: Path) -> None:
    memory = InMemoryMetrics("prod-stack")
    observability.use_metrics(memory)
    clock = FixedClock(T0)
    store = SqliteStore(tmp_path / "p.sqlite3")
    services = build_services(store, clock)
    services.worker.acquire("w1", 60)
    services.worker.heartbeat(Heartbeat(worker_id="w1", conn="c", state="connected"))
    clock.advance(seconds=90)
    outcome = services.prices.refresh()  # no UEX client: a recorded failure, never raised
    pricing_lambda.publish_metrics(services.prices, outcome, store, clock.now_ms())
    store.close()
    assert memory.values("PriceRefreshes", Outcome="failed") == [1]
    assert memory.values("WorkerHeartbeatAgeSeconds") == [90.0]
    (age,) = [e for e in memory.emitted if e.metric.name == "PriceSnapshotAgeSeconds"]
    assert dict(age.dimensions) == {"Stack": "prod-stack"}
    assert age.metric.value > 0  # only the bundled sample: old, so the alarm fires


def test_off_lambda_the_lambda_setup_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
    before = logging.getLogger().handlers[:]
    memory = observability.metrics()
    observability.configure_lambda("interactions")
    assert logging.getLogger().handlers == before
    assert observability.metrics() is memory

    def handler(event: Any, context: Any) -> str:
        return "answer"

    assert observability.lambda_entry(handler) is handler
