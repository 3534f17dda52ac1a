from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

from sunday_mining.adapters.jobs import JOURNAL_PK, InProcessJobs, LambdaJobs, job_from_event
from sunday_mining.adapters.sqlite_store import SqliteStore
from sunday_mining.domain.errors import JobsUnavailable
from sunday_mining.ports.jobs import Job


def test_in_process_jobs_run_their_handler() -> None:
    seen: list[Job] = []
    jobs = InProcessJobs({"report": seen.append})
    job = Job("report", "payroll-1-v1", {"payroll": "1"})
    jobs.submit(job)
    jobs.drain()
    jobs.close()
    assert seen == [job]


def test_a_job_of_an_unknown_kind_is_refused() -> None:
    jobs = InProcessJobs({})
    with pytest.raises(JobsUnavailable, match="No runner"):
        jobs.submit(Job("nope", "k"))
    jobs.close()


def test_a_failing_job_is_retried_then_logged_and_does_not_escape(
    caplog: pytest.LogCaptureFixture,
) -> None:
    tries: list[str] = []
    pauses: list[float] = []

    def explode(job: Job) -> None:
        tries.append(job.key)
        raise RuntimeError("boom")

    jobs = InProcessJobs({"report": explode}, attempts=3, retry_pause_s=0.5, sleep=pauses.append)
    jobs.submit(Job("report", "k"))
    jobs.drain()
    jobs.close()
    assert tries == ["k", "k", "k"]
    assert pauses == [0.5, 1.0]
    assert "job failed; trying again" in caplog.text
    assert "RuntimeError: boom" in caplog.text  # the last failure carries its traceback


def test_a_job_that_fails_once_succeeds_on_the_retry() -> None:
    outcomes = iter([RuntimeError("flaky"), None])
    done: list[str] = []

    def flaky(job: Job) -> None:
        outcome = next(outcomes)
        if outcome is not None:
            raise outcome
        done.append(job.key)

    jobs = InProcessJobs({"report": flaky}, sleep=lambda _: None)
    jobs.submit(Job("report", "k"))
    jobs.drain()
    jobs.close()
    assert done == ["k"]


def _lambda_client() -> object:
    return boto3.client(
        "lambda",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def test_a_journalled_job_is_written_down_until_it_has_run(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "jobs.sqlite3")
    held: list[list[dict[str, object]]] = []

    def handler(job: Job) -> None:
        held.append(store.query_all(JOURNAL_PK))  # what a kill right now would leave

    jobs = InProcessJobs({"report": handler}, journal=store)
    jobs.submit(Job("report", "p1:i1", {"payroll_id": "p1", "token_kept": True}))
    jobs.drain()
    jobs.close()
    ((item,),) = held
    assert (item["kind"], item["key"]) == ("report", "p1:i1")
    assert store.query_all(JOURNAL_PK) == []
    store.close()


def test_a_new_runner_resumes_what_a_dead_one_left_in_the_journal(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "jobs.sqlite3")
    job = Job("report", "p1:i1", {"payroll_id": "p1"})
    dead = InProcessJobs({"report": lambda job: None}, journal=store, workers=1)
    dead._write_down(store, job)  # taken, then the process died before running it
    dead.close()

    seen: list[Job] = []
    restarted = InProcessJobs({"report": seen.append}, journal=store)
    assert restarted.resume() == 1
    restarted.drain()
    restarted.close()
    assert seen == [job]
    assert store.query_all(JOURNAL_PK) == []
    assert InProcessJobs({"report": seen.append}, journal=store).resume() == 0
    store.close()


def test_without_a_journal_nothing_is_resumed() -> None:
    jobs = InProcessJobs({"report": lambda job: None})
    assert jobs.resume() == 0
    jobs.close()


def test_lambda_jobs_invoke_asynchronously() -> None:
    client = _lambda_client()
    job = Job("report", "payroll-1-v1", {"payroll": "1"})
    with Stubber(client) as stub:
        stub.add_response(
            "invoke",
            {"StatusCode": 202},
            {
                "FunctionName": "reports",
                "InvocationType": "Event",
                "Payload": json.dumps(
                    {"kind": "report", "key": "payroll-1-v1", "payload": {"payroll": "1"}}
                ).encode(),
            },
        )
        LambdaJobs(lambda: client, "reports").submit(job)
        stub.assert_no_pending_responses()


def test_a_refused_invoke_becomes_unavailable() -> None:
    client = _lambda_client()
    with Stubber(client) as stub:
        stub.add_client_error("invoke", service_error_code="TooManyRequestsException")
        with pytest.raises(JobsUnavailable, match="Lambda"):
            LambdaJobs(lambda: client, "reports").submit(Job("report", "k"))


def test_an_event_round_trips_into_a_job() -> None:
    event = {"kind": "report", "key": "k", "payload": {"a": 1}}
    assert job_from_event(event) == Job("report", "k", {"a": 1})
