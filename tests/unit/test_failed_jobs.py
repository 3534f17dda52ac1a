"""Jobs that failed every attempt: kept by the in-process runner, counted in the SQS queue."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ReadTimeoutError
from botocore.stub import Stubber

from sunday_mining.adapters.jobs import KEEP_FAILED, InProcessJobs
from sunday_mining.adapters.sqs_failures import SqsFailureQueue
from sunday_mining.config import Settings
from sunday_mining.domain.errors import FailureQueueUnavailable, StoreError
from sunday_mining.entrypoints.factories import Services
from sunday_mining.ports.jobs import Job

QUEUE_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/stack-FailureQueue-abc"


def _explode(job: Job) -> None:
    raise RuntimeError(f"boom {job.key}")


def test_a_job_that_fails_every_attempt_is_kept_and_counted() -> None:
    jobs = InProcessJobs({"report": _explode, "ok": lambda job: None}, sleep=lambda _: None)
    jobs.submit(Job("report", "k1"))
    jobs.submit(Job("ok", "k2"))
    jobs.drain()
    jobs.close()
    assert jobs.failed_count() == 1
    assert jobs.failed() == [Job("report", "k1")]


def test_a_job_that_succeeds_on_a_retry_is_not_kept() -> None:
    outcomes = iter([RuntimeError("flaky"), None])

    def flaky(job: Job) -> None:
        outcome = next(outcomes)
        if outcome is not None:
            raise outcome

    jobs = InProcessJobs({"report": flaky}, sleep=lambda _: None)
    jobs.submit(Job("report", "k"))
    jobs.drain()
    jobs.close()
    assert jobs.failed_count() == 0
    assert jobs.failed() == []


def test_memory_keeps_the_latest_failed_jobs_and_the_count_goes_on() -> None:
    # One worker thread: the jobs fail in the order they were submitted (with two, which five
    # fall out of memory first would depend on the threads' timing).
    jobs = InProcessJobs({"report": _explode}, attempts=1, workers=1)
    for n in range(KEEP_FAILED + 5):
        jobs.submit(Job("report", f"k{n}"))
    jobs.drain()
    jobs.close()
    assert jobs.failed_count() == KEEP_FAILED + 5
    kept = jobs.failed()
    assert len(kept) == KEEP_FAILED
    assert {job.key for job in kept} == {f"k{n}" for n in range(5, KEEP_FAILED + 5)}


def _sqs_client() -> Any:
    return boto3.client(
        "sqs",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def test_the_queue_depth_counts_visible_and_in_flight_messages() -> None:
    client = _sqs_client()
    with Stubber(client) as stub:
        stub.add_response(
            "get_queue_attributes",
            {
                "Attributes": {
                    "ApproximateNumberOfMessages": "2",
                    "ApproximateNumberOfMessagesNotVisible": "1",
                }
            },
            {
                "QueueUrl": QUEUE_URL,
                "AttributeNames": [
                    "ApproximateNumberOfMessages",
                    "ApproximateNumberOfMessagesNotVisible",
                ],
            },
        )
        assert SqsFailureQueue(lambda: client, QUEUE_URL).depth() == 3
        stub.assert_no_pending_responses()


def test_a_refused_queue_read_is_the_queue_s_failure_with_the_code_only() -> None:
    client = _sqs_client()
    with Stubber(client) as stub:
        stub.add_client_error(
            "get_queue_attributes",
            service_error_code="AccessDenied",
            service_message="User arn:aws:sts::123456789012:assumed-role/x is not authorized",
            http_status_code=403,
        )
        with pytest.raises(FailureQueueUnavailable) as refused:
            SqsFailureQueue(lambda: client, QUEUE_URL).depth()
    assert refused.value.message == "SQS refused the request (AccessDenied)."
    assert "123456789012" not in refused.value.message


def test_a_queue_that_does_not_answer_is_the_queue_s_failure() -> None:
    class SlowClient:
        def get_queue_attributes(self, **_: object) -> dict[str, object]:
            raise ReadTimeoutError(endpoint_url=QUEUE_URL)

    with pytest.raises(FailureQueueUnavailable, match=r"SQS did not answer \(ReadTimeoutError\)"):
        SqsFailureQueue(SlowClient, QUEUE_URL).depth()


def test_an_unreadable_queue_is_no_store_failure_and_is_counted_under_its_own_name(
    services: Services,
) -> None:
    class DownClient:
        def get_queue_attributes(self, **_: object) -> dict[str, object]:
            raise ConnectionError("no route")

    with pytest.raises(FailureQueueUnavailable) as unread:
        SqsFailureQueue(DownClient, QUEUE_URL).depth()
    assert not isinstance(unread.value, StoreError)  # the database is fine
    services.errors.record_failure(unread.value)
    assert services.errors.last_day() == {"on-failure queue unavailable": 1}


def test_settings_read_the_failure_queue_url() -> None:
    assert Settings.from_env({"SM_FAILURE_QUEUE_URL": QUEUE_URL}).failure_queue_url == QUEUE_URL
    assert Settings.from_env({"SM_FAILURE_QUEUE_URL": ""}).failure_queue_url is None
    assert Settings.from_env({}).failure_queue_url is None
