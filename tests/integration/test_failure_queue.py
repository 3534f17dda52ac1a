"""The on-failure queue line of /mining diagnostics and `sunday-mining status`: empty, N failed
jobs waiting, unreadable, and absent where no queue is visible. On AWS against a moto SQS queue
(as the template wires it); locally against the in-process runner's own record."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from tests.support.aws import REGION, aws_env, moto_account
from tests.support.lambda_events import LambdaContext, url_event
from tests.support.template import load_template

from sunday_mining.adapters.jobs import InProcessJobs
from sunday_mining.adapters.sqlite_store import SqliteStore
from sunday_mining.config import Settings
from sunday_mining.domain.clock import FixedClock
from sunday_mining.domain.errors import FailureQueueUnavailable
from sunday_mining.entrypoints import cli
from sunday_mining.entrypoints.factories import Services, build_from_settings, build_services
from sunday_mining.entrypoints.report_factories import failed_jobs
from sunday_mining.ports.jobs import Job
from sunday_mining.services.diagnostic_probes import Check, FailedJobs, Probes, Status
from sunday_mining.services.diagnostics import DiagnosticsService
from sunday_mining_dev.simulator import DevKeyPair

GUILD = "1000"
AREA = "On-failure queue"


def queue_lines(checks: list[Check]) -> list[Check]:
    return [c for c in checks if c.area == AREA]


def diagnose(tmp_path: Path, clock: FixedClock, probe: FailedJobs | None) -> list[Check]:
    probes = Probes(schema_problems=list, discord_configured=False, failed_jobs=probe)
    services = build_services(SqliteStore(tmp_path / "d.sqlite3"), clock, probes)
    return services.diagnostics.run(GUILD)


# ------------------------------------------------------------------ the line's forms


def test_no_visible_queue_means_no_line(tmp_path: Path, clock: FixedClock) -> None:
    checks = diagnose(tmp_path, clock, None)
    assert queue_lines(checks) == []
    assert [c.area for c in checks if c.area == "Reports"] == ["Reports"]


def test_an_empty_queue_is_green(tmp_path: Path, clock: FixedClock) -> None:
    (line,) = queue_lines(diagnose(tmp_path, clock, FailedJobs(lambda: 0)))
    assert (line.status, line.value, line.fix) == (Status.OK, "empty", None)


def test_waiting_failed_jobs_are_a_warning_with_what_to_do(
    tmp_path: Path, clock: FixedClock
) -> None:
    (line,) = queue_lines(diagnose(tmp_path, clock, FailedJobs(lambda: 3)))
    assert line.status is Status.WARN
    assert line.value == "3 failed jobs waiting"
    assert "Rebuild report" in (line.fix or "")
    assert "purge" in (line.fix or "")
    (one,) = queue_lines(diagnose(tmp_path, clock, FailedJobs(lambda: 1)))
    assert one.value == "1 failed job waiting"


def test_an_unreadable_queue_is_a_warning_not_a_failure(tmp_path: Path, clock: FixedClock) -> None:
    def refused() -> int:
        raise FailureQueueUnavailable("SQS refused the request (AccessDenied).")

    (line,) = queue_lines(diagnose(tmp_path, clock, FailedJobs(refused)))
    assert line.status is Status.WARN
    assert line.value == (
        "couldn't read the on-failure queue: SQS refused the request (AccessDenied)."
    )
    assert "sqs:GetQueueAttributes" in (line.fix or "")


def test_the_line_follows_the_reports_line(tmp_path: Path, clock: FixedClock) -> None:
    areas = [c.area for c in diagnose(tmp_path, clock, FailedJobs(lambda: 0))]
    assert areas.index(AREA) == areas.index("Reports") + 1


def test_a_hung_queue_does_not_hold_the_other_lines(tmp_path: Path, clock: FixedClock) -> None:
    def hang() -> int:
        time.sleep(2)
        return 0

    probes = Probes(schema_problems=list, discord_configured=False, failed_jobs=FailedJobs(hang))
    services = build_services(SqliteStore(tmp_path / "d.sqlite3"), clock, probes)
    diagnostics = DiagnosticsService(
        services.store,
        clock,
        services.guilds,
        services.sessions,
        services.prices,
        services.errors,
        probes,
        timeout_s=0.3,
    )
    checks = diagnostics.run(GUILD)
    (line,) = queue_lines(checks)
    assert (line.status, line.value) == (Status.FAIL, "no answer within 0.3 s")
    assert {c.area for c in checks} >= {"Database", "Prices", "Reports", "Recent errors"}


# ------------------------------------------------------------------ locally: held in memory


def _explode(job: Job) -> None:
    raise RuntimeError("boom")


def test_locally_the_runner_s_failed_jobs_are_counted_since_the_process_started(
    tmp_path: Path, clock: FixedClock
) -> None:
    jobs = InProcessJobs({"report": _explode}, sleep=lambda _: None)
    probe = failed_jobs(Settings(sqlite_path=tmp_path / "l.sqlite3"), jobs)
    assert probe is not None
    assert probe.in_memory
    (empty,) = queue_lines(diagnose(tmp_path, clock, probe))
    assert (empty.status, empty.value) == (
        Status.OK,
        "empty since this process started (held in memory)",
    )
    jobs.submit(Job("report", "k1"))
    jobs.submit(Job("report", "k2"))
    jobs.drain()
    jobs.close()
    (line,) = queue_lines(diagnose(tmp_path, clock, probe))
    assert line.status is Status.WARN
    assert line.value == "2 failed jobs since this process started (held in memory)"
    assert "Rebuild report" in (line.fix or "")
    assert "log" in (line.fix or "")


def test_without_a_queue_url_or_local_runner_nothing_is_visible() -> None:
    assert failed_jobs(Settings(store="dynamodb"), None) is None


def test_the_local_app_wires_its_own_runner(tmp_path: Path) -> None:
    services = build_from_settings(Settings(sqlite_path=tmp_path / "w.sqlite3"))
    assert services.reports is not None
    (line,) = queue_lines(services.diagnostics.run(GUILD))
    assert line.value == "empty since this process started (held in memory)"


# ------------------------------------------------------------------ on AWS: the SQS queue


@pytest.fixture
def queue(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The DynamoDB store on moto, a FailureQueue, and its URL in SM_FAILURE_QUEUE_URL."""
    aws_env(monkeypatch, unset=["SM_REPORTS_FUNCTION", "SM_REPORTS_BUCKET", "DISCORD_PUBLIC_KEY"])
    with moto_account(monkeypatch, {}):
        url = boto3.client("sqs", region_name=REGION).create_queue(QueueName="FailureQueue")
        monkeypatch.setenv("SM_FAILURE_QUEUE_URL", url["QueueUrl"])
        yield url["QueueUrl"]


def _send(url: str, count: int) -> None:
    sqs = boto3.client("sqs", region_name=REGION)
    for n in range(count):
        sqs.send_message(QueueUrl=url, MessageBody=f'{{"requestPayload": {{"key": "k{n}"}}}}')


def test_on_aws_the_queue_depth_is_read_from_sqs(queue: str) -> None:
    probe = failed_jobs(Settings.from_env(), None)
    assert probe is not None
    assert not probe.in_memory
    assert probe.count() == 0
    _send(queue, 3)
    assert probe.count() == 3
    # Someone reading a message in the console hides it for a while; it is still waiting.
    boto3.client("sqs", region_name=REGION).receive_message(QueueUrl=queue, MaxNumberOfMessages=1)
    assert probe.count() == 3


def test_on_aws_a_missing_queue_is_the_queue_s_failure(
    queue: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SM_FAILURE_QUEUE_URL", queue.replace("FailureQueue", "Gone"))
    probe = failed_jobs(Settings.from_env(), None)
    assert probe is not None
    with pytest.raises(FailureQueueUnavailable, match=r"^SQS refused the request \(.+\)\.$"):
        probe.count()


def _counting_clients(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    made: list[str] = []
    real_client = boto3.client

    def counting_client(service: str, *args: Any, **kwargs: Any) -> Any:
        made.append(service)
        return real_client(service, *args, **kwargs)

    monkeypatch.setattr(boto3, "client", counting_client)
    return made


def test_the_interactions_cold_start_makes_no_sqs_client(
    queue: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As deployed: the SQS client is made when diagnostics run, never to answer Discord."""
    from functions.interactions.handler import handler as interactions

    made = _counting_clients(monkeypatch)
    monkeypatch.setenv("DISCORD_PUBLIC_KEY", DevKeyPair.generate().public_key_hex)
    assert interactions(url_event("GET", "/health", b"", {}), LambdaContext())["statusCode"] == 200
    assert "sqs" not in made

    services: Services = build_from_settings(Settings.from_env())
    assert "sqs" not in made
    _send(queue, 2)
    before = len(made)
    (line,) = queue_lines(services.diagnostics.run(GUILD))
    assert made[before:].count("sqs") == 1
    assert (line.status, line.value) == (Status.WARN, "2 failed jobs waiting")


def test_status_prints_the_queue_line_on_aws(
    queue: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _send(queue, 2)
    cli.main(["status"])
    lines = capsys.readouterr().out.splitlines()
    (line,) = [line for line in lines if AREA in line]
    assert line.startswith("warn  On-failure queue: 2 failed jobs waiting — fix: Read the ")


def test_status_locally_shows_no_in_memory_line_it_could_only_ever_read_as_empty(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The failed jobs are counted in the server's memory; the CLI is another process."""
    monkeypatch.setenv("SM_STORE", "sqlite")
    monkeypatch.setenv("SM_SQLITE_PATH", str(tmp_path / "status.sqlite3"))
    monkeypatch.delenv("SM_FAILURE_QUEUE_URL", raising=False)
    cli.main(["migrate"])  # status only looks: on no database it says so and runs no checks
    capsys.readouterr()
    cli.main(["status"])
    out = capsys.readouterr().out
    assert "Reports:" in out  # the checks ran
    assert "On-failure queue" not in out


# ------------------------------------------------------------------ the template


@pytest.fixture(scope="module")
def resources() -> dict[str, Any]:
    found: dict[str, Any] = load_template()["Resources"]
    return found


def _statements(function: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for policy in function["Properties"]["Policies"] for s in policy["Statement"]]


def test_the_interactions_function_may_only_count_the_failure_queue(
    resources: dict[str, Any],
) -> None:
    function = resources["InteractionsFunction"]
    variables = function["Properties"]["Environment"]["Variables"]
    assert variables["SM_FAILURE_QUEUE_URL"] == {"Ref": "FailureQueue"}
    sqs = [s for s in _statements(function) if "sqs" in str(s["Action"])]
    assert sqs == [
        {
            "Sid": "FailureQueueDepth",
            "Effect": "Allow",
            "Action": "sqs:GetQueueAttributes",
            "Resource": {"Fn::GetAtt": ["FailureQueue", "Arn"]},
        }
    ]


def _references(node: Any) -> set[str]:
    """Every logical name a node refers to: Ref, GetAtt and ${...} in Sub."""
    if isinstance(node, dict):
        found: set[str] = set()
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                found.add(value)
            elif key == "Fn::GetAtt":
                found.add(value[0])
            elif key == "Fn::Sub":
                text = value if isinstance(value, str) else value[0]
                found |= {m.split(".")[0] for m in re.findall(r"\$\{([^}!]+)\}", text)}
                found |= _references(value)
            else:
                found |= _references(value)
        return found
    if isinstance(node, list):
        return {name for item in node for name in _references(item)}
    return set()


def test_the_resources_refer_to_each_other_without_a_cycle(resources: dict[str, Any]) -> None:
    # SAM's generated names (the function URL and role) belong to their function.
    def owner(name: str) -> str:
        for suffix in ("Url", "Role"):
            if name.endswith(suffix) and name.removesuffix(suffix) in resources:
                return name.removesuffix(suffix)
        return name

    needs = {
        name: {owner(n) for n in _references(body)} & set(resources) - {name}
        for name, body in resources.items()
    }
    assert "FailureQueue" in needs["InteractionsFunction"]
    done: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        assert name not in path, " -> ".join((*path, name))
        if name in done:
            return
        for needed in needs[name]:
            visit(needed, (*path, name))
        done.add(name)

    for name in needs:
        visit(name, ())
