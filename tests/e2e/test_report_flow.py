"""Finalizing a payroll in Discord makes a report: the job renders the PDF and CSV into the
reports folder, the officer gets a follow-up with the PDF attached and a link button, the link
opens the PDF over HTTP; Rebuild report sends it again; 10015 after the answer and a 429 are
ridden out; the report channel gets the final report. Real HTTP, real signatures, the real
renderer, the simulator's REST sink."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from pypdf import PdfReader
from tests.e2e.conftest import Discord
from tests.support.member_view import problems
from tests.support.payroll_flow import Crew, custom_id, modal_submit, stopped_op, text

from sunday_mining.adapters.discord_rest import DiscordRest
from sunday_mining.adapters.jobs import InProcessJobs, JobHandler, LambdaJobs
from sunday_mining.adapters.local_blobs import FolderBlobs
from sunday_mining.adapters.sqlite_store import SqliteStore
from sunday_mining.domain.clock import FixedClock
from sunday_mining.entrypoints.factories import ReportSetup, build_services
from sunday_mining.entrypoints.local_server import free_port, running_app
from sunday_mining.interactions.commands import command_json
from sunday_mining.reports.json_export import read_json
from sunday_mining.reports.links import ReportLinks
from sunday_mining.reports.sending import DiscordDeliverer
from sunday_mining.services.job_kinds import REPORT_JOB
from sunday_mining.web.app import create_app
from sunday_mining_dev.simulator import DevKeyPair, DiscordSimulator, Exchange, SinkState
from sunday_mining_dev.simulator.rest_sink import running_sink
from sunday_mining_dev.simulator.sample_guild import sample_guild

APP_ID = "1300000000000000007"
BOT_TOKEN = "report-flow-bot-token"


@dataclass
class Reporting:
    discord: Discord
    jobs: InProcessJobs
    folder: Path
    app_url: str
    sink: SinkState


@pytest.fixture
def reporting(tmp_path: Path) -> Iterator[Reporting]:
    keys = DevKeyPair.generate()
    clock = FixedClock(1_795_370_400_000)
    store = SqliteStore(tmp_path / "e2e.sqlite3")
    sink = SinkState(application_id=APP_ID, bot_token=BOT_TOKEN)
    handlers: dict[str, JobHandler] = {}
    jobs = InProcessJobs(handlers)
    port = free_port("127.0.0.1")
    app_url = f"http://127.0.0.1:{port}"
    with running_sink(sink) as sink_url:

        def rest() -> DiscordRest:
            return DiscordRest(
                token=BOT_TOKEN, application_id=APP_ID, base_url=sink_url, sleep=lambda _: None
            )

        setup = ReportSetup(
            blobs=FolderBlobs(tmp_path / "reports"),
            links=ReportLinks(b"s" * 32, app_url),
            jobs=jobs,
            deliverer=DiscordDeliverer(rest, clock),
        )
        services = build_services(store, clock, reports=setup)
        assert services.reports is not None
        handlers[REPORT_JOB] = services.reports.run_job
        app = create_app(services, public_key_hex=keys.public_key_hex)
        with running_app(app, port=port) as base:
            sim = DiscordSimulator.over_http(
                base,
                keys=keys,
                definitions=command_json(),
                sink=sink,
                application_id=APP_ID,
                guild=sample_guild(),
            )
            yield Reporting(Discord(sim, services, clock), jobs, tmp_path / "reports", base, sink)
    jobs.close()
    store.close()


def finalized(reporting: Reporting) -> tuple[Exchange, str]:
    discord = reporting.discord
    ids = {name: discord.member(name).id for name in ("ana", "ben", "lead")}
    session_id = stopped_op(discord, {ids["ana"]: 120, ids["ben"]: 90, ids["lead"]: 60})
    picker = discord.command("purser", "mining payroll")
    view = discord.select("purser", picker, "sm1:ppick", [session_id])
    view = discord.click("purser", view, custom_id(view, "sm1:pgo:", "Haul"))
    opened = discord.click("purser", view, custom_id(view, "sm1:psale:"))
    view = modal_submit(discord, "purser", opened, {"total": "1,234,567", "label": "Refinery"})
    view = discord.click("purser", view, custom_id(view, "sm1:pgo:", "Preview"))
    confirm = discord.click("purser", view, custom_id(view, "sm1:pask:"))
    final = discord.click("purser", confirm, custom_id(confirm, "sm1:pfin:"))
    return final, session_id


def pdf_text(data: bytes, tmp: Path) -> str:
    path = tmp / "report.pdf"
    path.write_bytes(data)
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def test_finalizing_posts_the_pdf_with_a_link_that_opens_it(
    reporting: Reporting, tmp_path: Path
) -> None:
    discord = reporting.discord
    ana = discord.member("ana").id
    discord.services.names.remember(discord.guild_id, {ana: "Ána Søren 山田"}, source="gateway")
    final, _session = finalized(reporting)
    assert "being built" in text(final)
    reporting.jobs.drain()

    (followup,) = reporting.sink.followup_messages(final.token)
    assert followup["flags"] & 64  # only the officer sees it
    (attachment,) = followup["attachments"]
    assert attachment["filename"].startswith("payroll-halo-run-v1")
    pdf = reporting.sink.attachment(attachment["id"])
    assert pdf is not None
    assert pdf.startswith(b"%PDF")
    files = sorted(p.name for p in reporting.folder.rglob("*") if p.is_file())
    assert files == [
        "payroll-halo-run-v1.csv",
        "payroll-halo-run-v1.json",
        "payroll-halo-run-v1.pdf",
    ]
    assert (
        hashlib.sha256(pdf).hexdigest()
        == hashlib.sha256(next(reporting.folder.rglob("*.pdf")).read_bytes()).hexdigest()
    )

    button, csv_button, json_button = [
        c for row in followup["components"] for c in row["components"]
    ]
    assert [b["style"] for b in (button, csv_button, json_button)] == [5, 5, 5]
    assert [csv_button["label"], json_button["label"]] == [
        "CSV (spreadsheet)",
        "JSON (for programs)",
    ]
    link = button["url"]
    assert link.startswith(f"{reporting.app_url}/reports/{discord.guild_id}-")
    opened = httpx.get(link, timeout=5)
    assert opened.status_code == 200
    assert opened.headers["content-type"] == "application/pdf"
    assert opened.content == pdf
    words = pdf_text(pdf, tmp_path)
    assert "1,234,567" in words
    assert "Ána Søren 山田" in words  # the worker's name for her
    assert "Purser" in words  # who finalized: named by their own interaction
    tampered = httpx.get(link[:-3] + ("xyz" if not link.endswith("xyz") else "abc"), timeout=5)
    assert tampered.status_code == 403
    assert "not valid" in tampered.text


def test_rebuild_report_sends_it_again_through_a_10015_and_a_429(reporting: Reporting) -> None:
    discord = reporting.discord
    final, _session = finalized(reporting)
    reporting.jobs.drain()
    reporting.sink.inject("webhook.", 404, code=10015, times=2)
    reporting.sink.inject("webhook.", 429, retry_after=0.01, times=1)
    rebuilt = discord.click("purser", final, custom_id(final, "sm1:prep:"))
    assert rebuilt.ephemeral
    assert "Rebuilding the report" in rebuilt.content
    reporting.jobs.drain()
    (followup,) = reporting.sink.followup_messages(rebuilt.token)
    assert followup["attachments"][0]["filename"].endswith(".pdf")
    assert reporting.sink.pending_faults() == 0


def test_rebuild_is_refused_to_members_without_the_payroll_role(reporting: Reporting) -> None:
    discord = reporting.discord
    final, _session = finalized(reporting)
    reporting.jobs.drain()
    before = discord.store_items()
    refused = discord.click("ben", final, custom_id(final, "sm1:prep:"))
    assert refused.ephemeral
    assert "payroll" in refused.content.lower()
    reporting.jobs.drain()
    assert reporting.sink.followup_messages(refused.token) == []
    assert discord.store_items() == before


def test_the_final_report_is_posted_in_the_report_channel_too(reporting: Reporting) -> None:
    discord = reporting.discord
    channel = discord.sim.guild.channel("general")
    set_up = discord.command("admin", "mining-admin settings report-channel", channel=channel)
    assert set_up.content.startswith(
        f"Final Sunday-op payroll reports are now posted in <#{channel.id}>"
    )
    final, _session = finalized(reporting)
    reporting.jobs.drain()
    reports = [m for m in reporting.sink.channel_messages(channel.id) if m.get("attachments")]
    (posted,) = [m for m in reports if not int(m["flags"]) & 64]  # the officer's copy is private
    assert posted["attachments"][0]["filename"].endswith(".pdf")
    assert posted["author"]["bot"]
    assert "mentions" not in posted or posted["mentions"] == []
    assert len(reporting.sink.followup_messages(final.token)) == 1
    (sent,) = [
        c.request
        for c in reporting.sink.log.calls
        if c.method == "POST" and c.path.endswith(f"/channels/{channel.id}/messages")
    ]
    assert sent["allowed_mentions"] == {"parse": []}
    assert problems(sent, public=True) == []
    assert "Every payout is in the report" in sent["content"]


def test_an_adhoc_report_goes_to_its_creator_and_its_channel_never_the_report_channel(
    reporting: Reporting,
) -> None:
    discord = reporting.discord
    discord.setup_guild()
    org_channel = discord.sim.guild.channel("mining-ops")
    discord.command("admin", "mining-admin settings report-channel", channel=org_channel)
    ana, ben = discord.member("ana").id, discord.member("ben").id
    side = discord.sim.guild.channel("Dispatch")
    Crew(discord).move([ana, ben], side.id)
    discord.command("ben", "mining adhoc new", channel=side, name="Bens rocks")
    discord.clock.advance(minutes=45)
    discord.command("ben", "mining stop")

    picker = discord.command("ben", "mining payroll")
    view = discord.select("ben", picker, "sm1:ppick", [next(iter(_options(picker)))])
    view = discord.click("ben", view, custom_id(view, "sm1:pgo:", "Haul"))
    opened = discord.click("ben", view, custom_id(view, "sm1:psale:"))
    view = modal_submit(discord, "ben", opened, {"total": "90000", "label": "Rocks"})
    view = discord.click("ben", view, custom_id(view, "sm1:pgo:", "Preview"))
    confirm = discord.click("ben", view, custom_id(view, "sm1:pask:"))
    final = discord.click("ben", confirm, custom_id(confirm, "sm1:pfin:"))
    reporting.jobs.drain()

    assert [
        m for m in reporting.sink.channel_messages(org_channel.id) if m.get("attachments")
    ] == []
    (followup,) = reporting.sink.followup_messages(final.token)
    assert int(followup["flags"]) & 64  # to ben alone
    assert followup["attachments"][0]["filename"].endswith(".pdf")
    (posted,) = [m for m in reporting.sink.channel_messages(side.id) if m.get("attachments")]
    assert not int(posted.get("flags") or 0) & 64
    assert posted["author"]["bot"]


def _options(picker: Exchange) -> list[str]:
    return [str(o["value"]) for o in picker.data["components"][0]["components"][0]["options"]]


class _LambdaDown:
    """A Lambda client whose async invoke never reaches the service."""

    def invoke(self, **_: object) -> dict[str, object]:
        raise ConnectionError("Could not connect to the endpoint URL")


def test_a_lambda_outage_is_named_to_the_officer_and_in_diagnostics_not_the_store(
    reporting: Reporting, monkeypatch: pytest.MonkeyPatch
) -> None:
    discord = reporting.discord
    final, _session = finalized(reporting)
    reporting.jobs.drain()
    reports = discord.services.reports
    assert reports is not None
    monkeypatch.setattr(reports, "jobs", LambdaJobs(_LambdaDown, "sunday-mining-reports"))

    refused = discord.click("purser", final, custom_id(final, "sm1:prep:"))
    assert refused.ephemeral
    assert refused.content == "Lambda didn't take the background job; try again in a minute."
    assert discord.services.errors.last_day() == {"job runner unavailable": 1}
    shown = discord.command("admin", "mining diagnostics")
    lines = shown.data["embeds"][0]["description"].splitlines()
    (recent,) = [line for line in lines if "**Recent errors**" in line]
    assert recent.endswith("— job runner unavailable: 1")


def test_the_csv_and_the_json_are_linked_beside_the_pdf_each_by_a_link_of_its_own(
    reporting: Reporting,
) -> None:
    final, _session = finalized(reporting)
    reporting.jobs.drain()
    (followup,) = reporting.sink.followup_messages(final.token)
    by_label = {c["label"]: c["url"] for row in followup["components"] for c in row["components"]}
    csv_link, json_link = by_label["CSV (spreadsheet)"], by_label["JSON (for programs)"]
    opened_csv = httpx.get(csv_link, timeout=5)
    assert opened_csv.status_code == 200
    assert opened_csv.headers["content-type"] == "text/csv; charset=utf-8"
    assert opened_csv.headers["content-disposition"].startswith("attachment;")
    assert opened_csv.content == next(reporting.folder.rglob("*.csv")).read_bytes()
    opened_json = httpx.get(json_link, timeout=5)
    assert opened_json.status_code == 200
    assert opened_json.headers["content-type"] == "application/json"
    document = read_json(opened_json.content)
    assert document.session_name == "Halo run"
    assert {p.handle for p in document.payees} == {None}  # nobody has set a handle here
    # A link signed for one file opens no other: the kind is part of what is signed.
    swapped = csv_link.replace("kind=csv", "kind=json")
    assert httpx.get(swapped, timeout=5).status_code == 403
    pdf_sig = by_label["Open the report"].split("sig=", 1)[1]
    assert httpx.get(csv_link.split("sig=", 1)[0] + "sig=" + pdf_sig, timeout=5).status_code == 403
