"""Payroll reports on a real SQLite store: built once per version, delivered once per request,
a failed attempt retried and the last one told; links signed, checked and opened (local folder
and S3 under moto)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from tests.support.payroll import (
    ANA,
    BEN,
    CY,
    GUILD,
    OFFICER,
    ready_draft,
)
from tests.support.reports import KEY, CountingRenderer, Recorder, make_service, request_for

from sunday_mining.adapters.local_blobs import FolderBlobs
from sunday_mining.adapters.s3_blobs import S3_CONFIG, S3Blobs
from sunday_mining.domain.clock import FixedClock
from sunday_mining.domain.errors import (
    BlobStoreUnavailable,
    NotFound,
    PermissionDenied,
    StateConflict,
    Unavailable,
    ValidationError,
)
from sunday_mining.domain.ids import new_id
from sunday_mining.entrypoints.factories import Services
from sunday_mining.ports.jobs import Job, JobQueue
from sunday_mining.ports.store import SortKey
from sunday_mining.reports.data import split_report_id
from sunday_mining.reports.delivery import TOKEN_WINDOW_MS
from sunday_mining.reports.json_export import read_json
from sunday_mining.reports.links import LinkExpired, ReportLinks
from sunday_mining.reports.service import (
    MAX_ATTEMPTS,
    STATE_PREFIX,
    TOKEN_PREFIX,
    DeliveryInProgress,
    ReportFiles,
    ReportRequest,
)
from sunday_mining.services import keys
from sunday_mining.services.job_kinds import REPORT_JOB
from sunday_mining.services.names import MemberNames
from sunday_mining.services.payroll import PayrollService, PayrollVersion

DAY_S = 86_400


class HeldJobs(JobQueue):
    """Keeps what was submitted, to be run by the test (as the reports function would)."""

    def __init__(self) -> None:
        self.jobs: list[Job] = []

    def submit(self, job: Job) -> None:
        self.jobs.append(job)


def final_version(services: Services, clock: FixedClock, payroll: PayrollService) -> PayrollVersion:
    draft = ready_draft(services, clock, payroll)
    return payroll.finalize(GUILD, draft.payroll_id, OFFICER, expected_rev=draft.rev)


def kept_tokens(services: Services) -> list[dict[str, Any]]:
    return services.store.query_all(keys.guild_pk(GUILD), SortKey.begins_with(TOKEN_PREFIX))


# --- links ------------------------------------------------------------------------------------


def test_a_link_checks_until_it_expires_and_never_with_another_key_or_id() -> None:
    links = ReportLinks(KEY, "https://sm.example/", valid_days=30)
    url = links.url("1000-abc", now_s=10 * DAY_S + 5)
    assert url.startswith("https://sm.example/reports/1000-abc?sig=")
    sig = url.split("sig=")[1]
    links.check("1000-abc", sig, now_s=10 * DAY_S + 5)
    links.check("1000-abc", sig, now_s=40 * DAY_S + 1)  # 30 days after the end of the day
    with pytest.raises(LinkExpired):
        links.check("1000-abc", sig, now_s=41 * DAY_S)
    with pytest.raises(PermissionDenied):
        links.check("1000-abd", sig, now_s=10 * DAY_S)
    with pytest.raises(PermissionDenied):
        ReportLinks(b"o" * 32, "https://x").check("1000-abc", sig, now_s=10 * DAY_S)
    expires, mac = sig.split(".")
    with pytest.raises(PermissionDenied):  # a later expiry with the old MAC
        links.check("1000-abc", f"{int(expires) + DAY_S}.{mac}", now_s=10 * DAY_S)
    for bad in ("", "x", "1.", ".abc", "12.!!!!!!!!!!!!!!!!!!!!!!!!!", sig + "A"):
        with pytest.raises(PermissionDenied):
            links.check("1000-abc", bad, now_s=10 * DAY_S)


def test_a_link_s_expiry_is_read_in_ascii_digits_only() -> None:
    """Other scripts' digits have the same value to int(): a genuine signature respelled in them
    must not be a second valid link to the report."""
    links = ReportLinks(KEY, "https://sm.example")
    sig = links.url("1000-abc", now_s=10 * DAY_S).split("sig=")[1]
    expires, mac = sig.split(".")
    for zero in (0x0660, 0xFF10, 0x1D7CE):  # Arabic-Indic, fullwidth, mathematical bold
        respelled = "".join(chr(zero + int(digit)) for digit in expires)
        with pytest.raises(PermissionDenied):
            links.check("1000-abc", f"{respelled}.{mac}", now_s=10 * DAY_S)
    links.check("1000-abc", f"{expires}.{mac}", now_s=10 * DAY_S)


def test_a_report_id_names_its_guild_in_ascii_digits_only() -> None:
    assert split_report_id("1000-01ABC") == ("1000", "01ABC")
    arabic_1000 = "\u0661\u0660\u0660\u0660"
    for odd in (
        f"{arabic_1000}-01ABC",
        "\u00b2-01ABC",
        "1000\u00b2-01ABC",
        "-01ABC",
        "1000-",
        "+1-X",
    ):
        assert split_report_id(odd) is None, odd
    assert split_report_id("1" * 21 + "-01ABC") is None  # longer than any Discord id


def test_a_link_is_signed_for_one_kind_of_file() -> None:
    links = ReportLinks(KEY, "https://sm.example/", valid_days=30)
    pdf = links.url("1000-abc", now_s=10 * DAY_S)
    csv = links.url("1000-abc", now_s=10 * DAY_S, kind="csv")
    assert csv.startswith("https://sm.example/reports/1000-abc?kind=csv&sig=")
    csv_sig, pdf_sig = csv.split("sig=")[1], pdf.split("sig=")[1]
    links.check("1000-abc", csv_sig, now_s=10 * DAY_S, kind="csv")
    for sig, kind in ((csv_sig, "json"), (csv_sig, "pdf"), (pdf_sig, "csv"), (pdf_sig, "exe")):
        with pytest.raises(PermissionDenied):
            links.check("1000-abc", sig, now_s=10 * DAY_S, kind=kind)


def test_a_ledger_link_is_signed_apart_from_every_report_file() -> None:
    links = ReportLinks(KEY, "https://sm.example/", valid_days=30)
    url = links.books_url("ledger-1000-2026-11", now_s=10 * DAY_S)
    assert url.startswith("https://sm.example/books/ledger-1000-2026-11?sig=")
    sig = url.split("sig=")[1]
    links.check_books("ledger-1000-2026-11", sig, now_s=40 * DAY_S + 1)
    with pytest.raises(LinkExpired):
        links.check_books("ledger-1000-2026-11", sig, now_s=41 * DAY_S)
    with pytest.raises(PermissionDenied):
        links.check_books("ledger-1000-all", sig, now_s=10 * DAY_S)
    for kind in ("pdf", "csv", "json", "books"):
        with pytest.raises(PermissionDenied):
            links.check("ledger-1000-2026-11", sig, now_s=10 * DAY_S, kind=kind)
    csv_sig = links.url("1000-abc", now_s=10 * DAY_S, kind="csv").split("sig=")[1]
    with pytest.raises(PermissionDenied):
        links.check_books("1000-abc", csv_sig, now_s=10 * DAY_S)


def test_the_csv_and_the_json_are_stored_and_opened_by_links_of_their_kind(
    services: Services, clock: FixedClock, payroll: PayrollService, tmp_path: Path
) -> None:
    final = final_version(services, clock, payroll)
    deliverer = Recorder()
    reports = make_service(
        services, clock, payroll, FolderBlobs(tmp_path), deliverer, CountingRenderer()
    )
    reports.run(request_for(final))
    files = deliverer.sent[0][1]
    assert [label for label, _url in files.links] == ["CSV (spreadsheet)", "JSON (for programs)"]
    for (_label, url), kind in zip(files.links, ("csv", "json"), strict=True):
        report_id, query = url.split("/reports/")[1].split("?kind=")
        sent_kind, sig = query.split("&sig=")
        assert sent_kind == kind
        opened = reports.open(report_id, sig, kind)
        assert opened.filename == f"payroll-halo-run-v1.{kind}"
        assert opened.data == (files.csv if kind == "csv" else files.json)
    assert read_json(files.json).payroll_id == final.payroll_id


def test_a_report_built_before_the_json_existed_gets_it_on_the_next_build(
    services: Services, clock: FixedClock, payroll: PayrollService, tmp_path: Path
) -> None:
    final = final_version(services, clock, payroll)
    renderer = CountingRenderer()
    reports = make_service(services, clock, payroll, FolderBlobs(tmp_path), Recorder(), renderer)
    reports.build(GUILD, final.payroll_id)
    state_key = (keys.guild_pk(GUILD), f"{STATE_PREFIX}{final.payroll_id}")
    state = services.store.get(state_key)
    assert state is not None
    services.store.put({k: v for k, v in state.items() if k != "json_key"})
    json_link = reports.link_for(GUILD, final.payroll_id, "json")
    report_id, sig = json_link.split("/reports/")[1].split("?kind=json&sig=")
    with pytest.raises(NotFound, match="Rebuild report"):
        reports.open(report_id, sig, "json")
    rebuilt = reports.build(GUILD, final.payroll_id)
    assert reports.open(report_id, sig, "json").data == rebuilt.json


def test_links_made_the_same_day_are_identical() -> None:
    links = ReportLinks(KEY, "https://sm.example")
    assert links.url("1000-a", now_s=DAY_S + 1) == links.url("1000-a", now_s=2 * DAY_S - 1)


def test_a_short_link_key_is_refused() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        ReportLinks(b"short", "https://x")


# --- the folder ------------------------------------------------------------------------------


def test_the_folder_writes_whole_files_and_refuses_paths_outside_it(tmp_path: Path) -> None:
    blobs = FolderBlobs(tmp_path / "reports")
    blobs.put("reports/1/2/a.pdf", b"%PDF", "application/pdf")
    got = blobs.get("reports/1/2/a.pdf")
    assert got is not None
    assert (got.data, got.content_type) == (b"%PDF", "application/pdf")
    assert blobs.exists("reports/1/2/a.pdf")
    assert blobs.get("reports/1/2/b.pdf") is None
    for bad in ("../x.pdf", "/etc/passwd", "reports//a", "reports/./a", "a b"):
        with pytest.raises(ValidationError):
            blobs.put(bad, b"", "text/plain")
    blobs.check_writable()
    assert (tmp_path / "reports" / "1" / "2" / "a.pdf").read_bytes() == b"%PDF"
    assert [p.name for p in (tmp_path / "reports").iterdir()] == ["1"]  # the probe is gone


def test_an_unwritable_folder_is_unavailable_with_the_reason(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(BlobStoreUnavailable, match="not writable"):
        FolderBlobs(tmp_path / "file").check_writable()


# --- building and delivering -----------------------------------------------------------------


def test_a_report_is_built_once_per_version_and_sent_once_per_request(
    services: Services, clock: FixedClock, payroll: PayrollService, tmp_path: Path
) -> None:
    services.guilds.set_setting(GUILD, "org-name", "  Sunday\tMiners  ")
    final = final_version(services, clock, payroll)
    MemberNames(services.store, clock).remember(GUILD, {ANA: "Ána", BEN: "Бен"}, source="test")
    deliverer, renderer = Recorder(), CountingRenderer()
    reports = make_service(services, clock, payroll, FolderBlobs(tmp_path), deliverer, renderer)

    first = reports.run(request_for(final))
    again = reports.run(request_for(final))  # a duplicated invoke
    other = reports.run(request_for(final, "int-2"))  # Rebuild report: a new request

    assert first["delivered"]
    assert not again["delivered"]
    assert other["delivered"]
    assert len(renderer.calls) == 1  # same content hash, files present: not rendered again
    assert len(deliverer.sent) == 2
    _request, files, link = deliverer.sent[0]
    assert files.pdf.startswith(b"%PDF")
    assert files.csv.startswith(b"csv")
    assert files.pdf_key == (
        f"reports/{GUILD}/{final.session_id}/{final.payroll_id}/payroll-halo-run-v1.pdf"
    )
    assert (tmp_path / files.pdf_key.removeprefix("reports/")).read_bytes() == files.pdf
    assert link.startswith(f"https://sm.example/reports/{GUILD}-{final.payroll_id}?sig=")
    data = renderer.calls[0]
    assert data.guild_name == "Sunday Miners"
    assert {p.name for p in data.payees} >= {"Ána", "Бен", "the org"}
    assert data.balances
    assert data.gross == final.result.gross
    assert data.finalized_by == f"user {OFFICER}"  # no name known: a visible fallback
    # cy sat 5 minutes: the report says why in the officer's terms, not the engine's
    assert [(u.name, u.reason) for u in data.unpaid] == [
        (f"user {CY}", "below the 15-minute minimum")
    ]


def test_a_failed_send_is_retried_and_the_last_failure_is_told(
    services: Services, clock: FixedClock, payroll: PayrollService, tmp_path: Path
) -> None:
    final = final_version(services, clock, payroll)
    deliverer = Recorder(fail=MAX_ATTEMPTS)
    reports = make_service(
        services, clock, payroll, FolderBlobs(tmp_path), deliverer, CountingRenderer()
    )
    for _ in range(MAX_ATTEMPTS):
        with pytest.raises(Unavailable):
            reports.run(request_for(final))
    assert len(deliverer.notices) == 1  # only the last attempt tells the user
    assert "Rebuild report" in deliverer.notices[0]
    assert (reports.last_outcome() or {})["outcome"] == "failed"

    assert reports.run(request_for(final, "int-2"))["delivered"]  # a rebuild goes through
    assert (reports.last_outcome() or {})["outcome"] == "ok"


def test_each_rebuild_gets_its_own_retries_before_the_user_is_told(
    services: Services, clock: FixedClock, payroll: PayrollService, tmp_path: Path
) -> None:
    final = final_version(services, clock, payroll)
    deliverer = Recorder()
    reports = make_service(
        services, clock, payroll, FolderBlobs(tmp_path), deliverer, CountingRenderer()
    )
    for n in range(MAX_ATTEMPTS + 1):  # the payroll's report has been made several times
        assert reports.run(request_for(final, f"int-{n}"))["delivered"]
    deliverer.fail = 1
    with pytest.raises(Unavailable):
        reports.run(request_for(final, "int-rebuild"))
    assert deliverer.notices == []  # the first failure of this rebuild: it will be retried
    assert reports.run(request_for(final, "int-rebuild"))["delivered"]


class Overlapping(Recorder):
    """While sending, a duplicate of the same invoke runs (Lambda delivers at least once)."""

    def __init__(self) -> None:
        super().__init__()
        self.duplicate: Any = None
        self.raised: list[Exception] = []

    def deliver(self, request: ReportRequest, files: ReportFiles, link: str) -> dict[str, Any]:
        if self.duplicate is not None:
            duplicate, self.duplicate = self.duplicate, None
            try:
                duplicate()
            except Exception as error:  # what the runner would see
                self.raised.append(error)
        return super().deliver(request, files, link)


def test_a_duplicate_that_arrives_while_sending_is_retried_not_sent_nor_called_done(
    services: Services, clock: FixedClock, payroll: PayrollService, tmp_path: Path
) -> None:
    final = final_version(services, clock, payroll)
    deliverer = Overlapping()
    reports = make_service(
        services, clock, payroll, FolderBlobs(tmp_path), deliverer, CountingRenderer()
    )
    deliverer.duplicate = lambda: reports.run(request_for(final))
    assert reports.run(request_for(final))["delivered"]
    (raised,) = deliverer.raised
    assert isinstance(raised, DeliveryInProgress)  # the runner tries it again later…
    assert deliverer.notices == []  # …and nobody is told it failed
    assert not reports.run(request_for(final))["delivered"]  # that retry finds it sent
    assert len(deliverer.sent) == 1


def test_a_failure_before_the_last_attempt_then_success_sends_one_message(
    services: Services, clock: FixedClock, payroll: PayrollService, tmp_path: Path
) -> None:
    final = final_version(services, clock, payroll)
    deliverer = Recorder(fail=1)
    reports = make_service(
        services, clock, payroll, FolderBlobs(tmp_path), deliverer, CountingRenderer()
    )
    with pytest.raises(Unavailable):
        reports.run(request_for(final))
    assert reports.run(request_for(final))["delivered"]
    assert len(deliverer.sent) == 1
    assert deliverer.notices == []


# --- the interaction token stays in the store ------------------------------------------------

TOKEN = "aW50ZXJhY3Rpb246MTIzNDU2Nzg5OmtlcHQtaW4tdGhlLXN0b3Jl"


def test_the_job_carries_no_token_and_reads_it_back_then_deletes_it(
    services: Services, clock: FixedClock, payroll: PayrollService, tmp_path: Path
) -> None:
    final = final_version(services, clock, payroll)
    deliverer, held = Recorder(), HeldJobs()
    reports = make_service(
        services, clock, payroll, FolderBlobs(tmp_path), deliverer, CountingRenderer(), held
    )
    asked = request_for(final, token=TOKEN, at_ms=clock.now_ms())
    assert TOKEN not in repr(asked)
    reports.request(asked)

    (job,) = held.jobs
    assert job.kind == REPORT_JOB
    assert TOKEN not in repr(job.payload)
    assert job.payload["interaction_token"] is None
    assert job.payload["token_kept"] is True
    (kept,) = kept_tokens(services)
    asked_ms = clock.now_ms()
    assert kept["usable_until_ms"] == asked_ms + TOKEN_WINDOW_MS
    assert kept["ttl"] * 1000 > asked_ms + 15 * 60_000  # deleted after Discord's own window

    clock.advance(minutes=2)
    reports.run_job(job)
    assert [sent[0].interaction_token for sent in deliverer.sent] == [TOKEN]
    assert kept_tokens(services) == []  # delivered: nothing will need it again
    reports.run_job(job)  # a duplicated invoke: the token is gone, and nothing is sent twice
    assert len(deliverer.sent) == 1


def test_a_kept_token_past_its_window_is_not_handed_to_delivery(
    services: Services, clock: FixedClock, payroll: PayrollService, tmp_path: Path
) -> None:
    final = final_version(services, clock, payroll)
    deliverer, held = Recorder(), HeldJobs()
    reports = make_service(
        services, clock, payroll, FolderBlobs(tmp_path), deliverer, CountingRenderer(), held
    )
    reports.request(request_for(final, token=TOKEN, at_ms=clock.now_ms()))
    clock.set(clock.now_ms() + TOKEN_WINDOW_MS)  # the item is still there: TTL is lazy
    assert len(kept_tokens(services)) == 1
    reports.run_job(held.jobs[0])
    (sent,) = deliverer.sent
    assert sent[0].interaction_token is None  # the deliverer's route is the report channel


def test_a_kept_token_is_kept_for_the_retry_after_a_failed_send(
    services: Services, clock: FixedClock, payroll: PayrollService, tmp_path: Path
) -> None:
    final = final_version(services, clock, payroll)
    deliverer, held = Recorder(fail=1), HeldJobs()
    reports = make_service(
        services, clock, payroll, FolderBlobs(tmp_path), deliverer, CountingRenderer(), held
    )
    reports.request(request_for(final, token=TOKEN, at_ms=clock.now_ms()))
    with pytest.raises(Unavailable):
        reports.run_job(held.jobs[0])
    assert len(kept_tokens(services)) == 1
    reports.run_job(held.jobs[0])
    assert [sent[0].interaction_token for sent in deliverer.sent] == [TOKEN]
    assert kept_tokens(services) == []


class RefusingJobs(JobQueue):
    def submit(self, job: Job) -> None:
        raise Unavailable("The background job could not be started; try again.")


def test_a_job_that_may_not_have_started_leaves_its_token_only_until_it_expires(
    services: Services, clock: FixedClock, payroll: PayrollService, tmp_path: Path
) -> None:
    final = final_version(services, clock, payroll)
    reports = make_service(
        services,
        clock,
        payroll,
        FolderBlobs(tmp_path),
        Recorder(),
        CountingRenderer(),
        RefusingJobs(),
    )
    with pytest.raises(Unavailable):
        reports.request(request_for(final, token=TOKEN, at_ms=clock.now_ms()))
    # A refused or timed-out invoke may still have reached Lambda: the job would need it.
    (kept,) = kept_tokens(services)
    assert kept["ttl"] <= (clock.now_ms() + 20 * 60_000) // 1000


def test_a_job_from_an_older_version_with_the_token_in_its_payload_still_runs(
    services: Services, clock: FixedClock, payroll: PayrollService, tmp_path: Path
) -> None:
    final = final_version(services, clock, payroll)
    deliverer = Recorder()
    reports = make_service(
        services, clock, payroll, FolderBlobs(tmp_path), deliverer, CountingRenderer()
    )
    payload = {
        "guild_id": GUILD,
        "payroll_id": final.payroll_id,
        "requested_by": OFFICER,
        "request_key": "int-old",
        "application_id": "app",
        "interaction_token": TOKEN,
        "interaction_ms": clock.now_ms(),
        "attachment_size_limit": None,
        "post_to_channel": True,
    }  # no token_kept: the shape jobs had before the token moved into the store
    reports.run_job(Job(REPORT_JOB, f"{final.payroll_id}:int-old", payload))
    (sent,) = deliverer.sent
    assert sent[0].interaction_token == TOKEN
    assert sent[0].post_to_channel


def test_a_draft_has_no_report(
    services: Services, clock: FixedClock, payroll: PayrollService, tmp_path: Path
) -> None:
    draft = ready_draft(services, clock, payroll)
    reports = make_service(
        services, clock, payroll, FolderBlobs(tmp_path), Recorder(), CountingRenderer()
    )
    with pytest.raises(StateConflict):
        reports.build(GUILD, draft.payroll_id)


def test_the_link_opens_the_local_file_and_refuses_tampering_and_age(
    services: Services, clock: FixedClock, payroll: PayrollService, tmp_path: Path
) -> None:
    final = final_version(services, clock, payroll)
    deliverer = Recorder()
    reports = make_service(
        services, clock, payroll, FolderBlobs(tmp_path), deliverer, CountingRenderer()
    )
    reports.run(request_for(final))
    link = deliverer.sent[0][2]
    report_id, sig = link.split("/reports/")[1].split("?sig=")
    opened = reports.open(report_id, sig)
    assert opened.data == deliverer.sent[0][1].pdf
    assert opened.filename == "payroll-halo-run-v1.pdf"
    with pytest.raises(PermissionDenied):
        reports.open(report_id, sig[:-2] + ("AA" if not sig.endswith("AA") else "BB"))
    unknown = reports.link_for(GUILD, new_id(clock.now_ms()))  # signed, but never built
    with pytest.raises(NotFound, match="Rebuild report"):
        reports.open(*unknown.split("/reports/")[1].split("?sig="))
    clock.set(clock.now_ms() + 32 * DAY_S * 1000)
    with pytest.raises(LinkExpired):
        reports.open(report_id, sig)


# --- S3 (moto) --------------------------------------------------------------------------------


@pytest.fixture
def s3() -> Iterator[Any]:
    with pytest.MonkeyPatch.context() as monkeypatch, mock_aws():
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
            monkeypatch.setenv(name, "testing")
        client = boto3.client("s3", region_name="us-east-1", config=S3_CONFIG)
        client.create_bucket(Bucket="reports")
        yield client


def test_s3_keeps_reports_encrypted_and_the_link_redirects_to_a_presigned_url(
    services: Services, clock: FixedClock, payroll: PayrollService, s3: Any
) -> None:
    final = final_version(services, clock, payroll)
    deliverer = Recorder()
    blobs = S3Blobs(lambda: s3, "reports")
    blobs.check_writable()
    reports = make_service(services, clock, payroll, blobs, deliverer, CountingRenderer())
    reports.run(request_for(final))
    files = deliverer.sent[0][1]
    head = s3.head_object(Bucket="reports", Key=files.pdf_key)
    assert head["ServerSideEncryption"] == "AES256"
    assert head["ContentType"] == "application/pdf"
    report_id, sig = deliverer.sent[0][2].split("/reports/")[1].split("?sig=")
    opened = reports.open(report_id, sig)
    assert opened.data is None
    assert opened.redirect_url is not None
    assert files.pdf_key.replace("/", "%2F") in opened.redirect_url or (
        files.pdf_key in opened.redirect_url
    )
    assert "X-Amz-Expires=300" in opened.redirect_url


def test_a_missing_bucket_is_unavailable_and_names_no_secret(s3: Any) -> None:
    blobs = S3Blobs(lambda: s3, "no-such-bucket")
    with pytest.raises(BlobStoreUnavailable) as caught:
        blobs.put("reports/a.pdf", b"x", "application/pdf")
    assert "NoSuchBucket" in caught.value.message
    assert "testing" not in caught.value.message


# --- diagnostics -----------------------------------------------------------------------------


def _reports_line(services: Services) -> tuple[str, str, str | None]:
    (line,) = [c for c in services.diagnostics.run(GUILD) if c.area == "Reports"]
    return line.status.value, line.value, line.fix


def test_the_reports_line_of_diagnostics_turns_red_when_the_folder_is_unwritable(
    clock: FixedClock, tmp_path: Path
) -> None:
    from sunday_mining.adapters.jobs import InProcessJobs
    from sunday_mining.adapters.sqlite_store import SqliteStore
    from sunday_mining.entrypoints.factories import ReportSetup, build_services

    store = SqliteStore(tmp_path / "d.sqlite3")
    links = ReportLinks(KEY, "https://sm.example")

    def with_folder(folder: Path) -> Services:
        setup = ReportSetup(FolderBlobs(folder), links, jobs=InProcessJobs({}))
        return build_services(store, clock, reports=setup)

    status, value, fix = _reports_line(with_folder(tmp_path / "reports"))
    assert (status, fix) == ("ok", None)
    assert "writable; no report built yet" in value

    (tmp_path / "a-file").write_text("not a folder")
    status, value, fix = _reports_line(with_folder(tmp_path / "a-file"))
    assert status == "fail"
    assert "not writable" in value
    assert fix is not None
    assert "exists and the app may write it" in fix

    services = with_folder(tmp_path / "reports")
    assert services.reports is not None
    services.reports._record_outcome("failed", "p1", "ReportNotDelivered")
    status, value, fix = _reports_line(services)
    assert status == "warn"
    assert "last report failed 0 min ago (ReportNotDelivered)" in value
    assert fix is not None
    assert "Rebuild report" in fix
    store.close()


def test_without_reports_diagnostics_says_how_to_turn_them_on(services: Services) -> None:
    status, value, fix = _reports_line(services)
    assert (status, value) == ("warn", "off: no link-signing key")
    assert fix is not None
    assert "SM_LINK_SIGNING_KEY" in fix
