"""The app on DynamoDB and S3 over real HTTP: a moto server in its own process stands in for
both (as DynamoDB Local or a moto container would), and every step runs as a user runs it:
`sunday-mining migrate --create-table`, `schema-health`, `status`, then `sunday-mining serve`
on SM_STORE=dynamodb with a whole op — a worker reporting voice over its protocol, /mining
start, status and stop, a payroll finalized — whose report lands in the bucket and whose link
opens it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import boto3
import httpx
import pytest

from sunday_mining.adapters.system_clock import SystemClock
from sunday_mining.interactions.commands import command_json
from sunday_mining_dev.demo.clicks import Member, custom_id, embed_text
from sunday_mining_dev.demo.worker import ScriptedWorker
from sunday_mining_dev.simulator import DevKeyPair, DiscordSimulator, Exchange, SinkState
from sunday_mining_dev.simulator.rest_sink import running_sink
from sunday_mining_dev.simulator.sample_guild import sample_guild

pytestmark = pytest.mark.slow

APP_ID = "1300000000000000011"
BOT_TOKEN = "network-e2e-bot-token"
TABLE = "sunday-mining-e2e"
BUCKET = "sunday-mining-reports-e2e"
WORKER_SECRET = "w" * 48
LINK_KEY = "l" * 48
# What DynamoDB Local and a moto server accept: any non-empty pair.
DUMMY_AWS = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until(what: str, ready: Any, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not ready():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def _answers(url: str) -> bool:
    try:
        httpx.get(url, timeout=1.0)
    except httpx.HTTPError:
        return False
    return True


@pytest.fixture(scope="module")
def aws_endpoint() -> Iterator[str]:
    """A DynamoDB- and S3-compatible server: moto's server mode, a separate process."""
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until("the moto server", lambda: _answers(url))
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


def _cli(env: Mapping[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sunday_mining.entrypoints.cli", *args],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _checks(status_output: str, level: str) -> list[str]:
    """The areas of `sunday-mining status` lines at ``level`` (ok, warn, fail)."""
    lines = [line.split(None, 1) for line in status_output.splitlines() if line.strip()]
    return [rest.split(":", 1)[0] for first, rest in lines if first == level]


@dataclass
class Served:
    base_url: str
    env: dict[str, str]
    sim: DiscordSimulator
    sink: SinkState
    s3: Any


@pytest.fixture(scope="module")
def served(aws_endpoint: str) -> Iterator[Served]:
    """The CLI steps a user runs first, then `sunday-mining serve` over the network store."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SM_"))}
    env = {
        **clean,
        **DUMMY_AWS,
        "SM_STORE": "dynamodb",
        "SM_DYNAMODB_ENDPOINT": aws_endpoint,
        "SM_S3_ENDPOINT": aws_endpoint,
        "SM_TABLE_NAME": TABLE,
        "SM_REPORTS_BUCKET": BUCKET,
        "SM_WORKER_SECRET": WORKER_SECRET,
        "SM_LINK_SIGNING_KEY": LINK_KEY,
        "SM_PRICE_REFRESH_S": "0",
        "SM_LOG_LEVEL": "WARNING",
    }
    migrated = _cli(env, "migrate", "--create-table")
    assert migrated.returncode == 0, migrated.stderr
    assert "Migrated from a new table" in migrated.stdout
    again = _cli(env, "migrate", "--create-table")
    assert "nothing to do" in again.stdout
    health = _cli(env, "schema-health")
    assert health.returncode == 0, health.stdout + health.stderr
    assert "The table matches this build" in health.stdout
    s3 = boto3.client(
        "s3",
        endpoint_url=aws_endpoint,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    s3.create_bucket(Bucket=BUCKET)

    keys = DevKeyPair.generate()
    sink = SinkState(application_id=APP_ID, bot_token=BOT_TOKEN)
    port = _free_port()
    with running_sink(sink) as api_base:
        env.update(
            {
                "DISCORD_PUBLIC_KEY": keys.public_key_hex,
                "DISCORD_APPLICATION_ID": APP_ID,
                "DISCORD_BOT_TOKEN": BOT_TOKEN,
                "SM_DISCORD_API_BASE": api_base,
                "SM_HOST": "127.0.0.1",
                "SM_PORT": str(port),
            }
        )
        status = _cli(env, "status")
        # Before any worker has reported that check fails; the store's and the bucket's pass.
        assert status.returncode == 1, status.stderr
        assert _checks(status.stdout, "fail") == ["Voice worker"]
        for area in ("Database", "Schema", "Reports"):
            assert area in _checks(status.stdout, "ok"), status.stdout
        server = subprocess.Popen(
            [sys.executable, "-m", "sunday_mining.entrypoints.cli", "serve"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base_url = f"http://127.0.0.1:{port}"
        try:
            _wait_until("the app", lambda: _answers(f"{base_url}/health"))
            with DiscordSimulator.over_http(
                base_url,
                keys=keys,
                guild=sample_guild(),
                application_id=APP_ID,
                sink=sink,
                definitions=command_json(),
            ) as sim:
                yield Served(base_url, env, sim, sink, s3)
        finally:
            server.terminate()
            server.wait(timeout=15)


def _op_with_a_worker(served: Served) -> None:
    """Set-up, then an op of a few seconds of real time with two miners seated throughout."""
    guild, sim = served.sim.guild, served.sim
    admin, lead = Member(sim, "admin"), Member(sim, "lead")
    admin.command("mining-admin channels add", channel=guild.channel("Mining 1"), dispatch=True)
    admin.command("mining-admin roles add", kind="leader", role=guild.role("Leader"))
    admin.command("mining-admin roles add", kind="payroll", role=guild.role("Payroll"))
    # A few seconds of op: nobody would reach the default 15 minutes.
    admin.command("mining-admin settings set", name="minimum-participation", value="0")

    channels = {name: guild.channel(name).id for name in ("Dispatch", "Mining 1", "Mining 2")}
    seated = {guild.member("ana").id: "Mining 1", guild.member("ben").id: "Mining 1"}
    with httpx.Client(base_url=served.base_url, timeout=10.0) as http:
        worker = ScriptedWorker(
            http,
            WORKER_SECRET,
            SystemClock(),
            guild_id=guild.id,
            voice_channels=channels,
            bot_id=APP_ID,
            names={},
        )
        assert worker.connect().granted
        worker.tick(seated)
        started = lead.command("mining start", name="Network run")
        assert "started" in started.content
        time.sleep(2.5)
        assert worker.tick(seated).stored >= 0
        status = lead.command("mining status")
        assert "Network run" in status.data["embeds"][0]["title"]
        assert "Participants\n2" in embed_text(status)
        stopped = lead.command("mining stop")
        assert "has stopped" in stopped.data["embeds"][0]["title"]
        assert worker.release()


def _finalized_payroll(served: Served) -> Exchange:
    purser = Member(served.sim, "purser")
    picker = purser.command("mining payroll")
    (option,) = next(iter(picker.data["components"]))["components"][0]["options"]
    view = purser.select(picker, "sm1:ppick", [option["value"]])
    view = purser.click(view, custom_id(view, "sm1:pgo:", "Haul"))
    opened = purser.click(view, custom_id(view, "sm1:psale:"))
    view = purser.submit(opened, {"total": "1,000,000", "label": "Refinery"})
    view = purser.click(view, custom_id(view, "sm1:pgo:", "Preview"))
    confirm = purser.click(view, custom_id(view, "sm1:pask:"))
    return purser.click(confirm, custom_id(confirm, "sm1:pfin:"))


def test_a_whole_op_and_its_report_on_dynamodb_and_s3_over_the_network(served: Served) -> None:
    _op_with_a_worker(served)
    status = _cli(served.env, "status")
    assert status.returncode == 0, status.stdout
    assert "Voice worker" in _checks(status.stdout, "ok")
    final = _finalized_payroll(served)

    _wait_until("the report", lambda: bool(served.sink.followup_messages(final.token)))
    (followup,) = served.sink.followup_messages(final.token)
    (attachment,) = followup["attachments"]
    pdf = served.sink.attachment(attachment["id"])
    assert pdf is not None
    assert pdf.startswith(b"%PDF")

    listed = served.s3.list_objects_v2(Bucket=BUCKET, Prefix="reports/")
    stored = sorted(item["Key"].rsplit(".", 1)[-1] for item in listed.get("Contents", []))
    assert stored == ["csv", "json", "pdf"]

    # The report's link first, then the CSV's and the JSON's.
    button, *others = [c for row in followup["components"] for c in row["components"]]
    assert [b["url"].rsplit("kind=", 1)[-1].split("&")[0] for b in others] == ["csv", "json"]
    assert button["url"].startswith(f"{served.base_url}/reports/")
    opened = httpx.get(button["url"], follow_redirects=True, timeout=10)
    assert opened.status_code == 200
    assert opened.content == pdf
