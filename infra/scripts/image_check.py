"""make image-check: build the voice worker image and run it the way a deployment does.

Everything happens on this machine and on loopback:

1. ``docker.io`` and ``mmdebstrap`` are installed from Debian when missing (needs root).
2. A Python base image is made from Debian packages (python3 and its venv module, with this
   machine's CA bundle so that pip works behind a TLS-inspecting proxy), because image
   registries may be out of reach. The tarball is cached under ``build/image-check/``.
3. A private ``dockerd`` starts with no bridge and no iptables rules (it leaves the host's
   network alone); it is stopped by its pid whatever happens.
4. The image is built from ``voice_worker/Dockerfile`` with ``--build-arg PYTHON_IMAGE``.
5. The image runs against ``sunday-mining serve`` and ``python -m sunday_mining_dev.fake_gateway``
   on loopback (``--network host``) and is checked: unprivileged user, nothing of the app's
   dependencies inside, lease taken, IDENTIFY, READY, a batch delivered, HEALTHCHECK healthy,
   then unhealthy while the app is away, a second container waits for the lease, SIGTERM
   releases it and exits 0 within the stop timeout, and the second one takes over.

Prints one line per step and the image size; exits 1 on the first failed check.
"""

# ruff: noqa: S603, S607 - running local tools (apt-get, mmdebstrap, dockerd, docker) is the point

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
WORK = ROOT / "build" / "image-check"
BIN = Path(sys.executable).parent
IMAGE = "sunday-mining-worker:check"
SUITE = "bookworm"
BASE_PACKAGES = ("python3", "python3-venv", "python-is-python3", "ca-certificates", "passwd")
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
STOP_TIMEOUT_S = 30
HEALTH_MAX_AGE_S = 4
NOT_IN_IMAGE = (
    "fastapi",
    "starlette",
    "pydantic",
    "uvicorn",
    "mangum",
    "boto3",
    "botocore",
    "fpdf",
)
IN_IMAGE = ("discord", "httpx", "sunday_mining.entrypoints.worker")

_started = time.monotonic()


class CheckFailed(Exception):
    pass


def say(text: str) -> None:
    print(f"[{time.monotonic() - _started:6.1f}s] {text}", flush=True)


def require(condition: bool, failure: str) -> None:
    if not condition:
        raise CheckFailed(failure)


def wait_for(what: str, predicate: Callable[[], bool], timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise CheckFailed(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(0.25)


# --- tools and the base image -------------------------------------------------------------------


def ensure_tools() -> None:
    missing = [
        pkg
        for cmd, pkg in (("dockerd", "docker.io"), ("mmdebstrap", "mmdebstrap"))
        if shutil.which(cmd) is None
    ]
    if not missing:
        return
    if os.geteuid() != 0:
        raise CheckFailed(f"needs {', '.join(missing)}: run as root, or install them first")
    say(f"installing {', '.join(missing)} from Debian")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )


def base_tarball() -> Path:
    """A Debian root file system with Python, cached by its recipe and the CA bundle."""
    recipe = json.dumps([SUITE, BASE_PACKAGES, 2]).encode() + CA_BUNDLE.read_bytes()
    tarball = WORK / f"python-base-{SUITE}-{hashlib.sha256(recipe).hexdigest()[:12]}.tar"
    if tarball.exists():
        say(f"base image tarball cached: {tarball.relative_to(ROOT)}")
        return tarball
    say(f"making the base image from Debian packages ({SUITE}: {', '.join(BASE_PACKAGES)})")
    WORK.mkdir(parents=True, exist_ok=True)
    for old in WORK.glob("python-base-*.tar"):
        old.unlink()
    partial = tarball.with_suffix(".partial")
    pip_conf = f"printf '[global]\\ncert = {CA_BUNDLE}\\n' > \"$1/etc/pip.conf\""
    subprocess.run(
        [
            "mmdebstrap",
            "--mode=root",
            "--variant=minbase",
            "--format=tar",
            f"--include={','.join(BASE_PACKAGES)}",
            '--aptopt=APT::Install-Recommends "false"',
            "--dpkgopt=path-exclude=/usr/share/doc/*",
            "--dpkgopt=path-exclude=/usr/share/man/*",
            "--dpkgopt=path-exclude=/usr/share/locale/*",
            f"--customize-hook=upload {CA_BUNDLE} {CA_BUNDLE}",
            f"--customize-hook={pip_conf}",
            '--customize-hook=rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*',
            "--quiet",
            SUITE,
            str(partial),
        ],
        check=True,
    )
    partial.rename(tarball)
    return tarball


# --- the private docker daemon -------------------------------------------------------------------


class Docker:
    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self.pidfile = run_dir / "dockerd.pid"
        self.socket = run_dir / "docker.sock"
        dockerd = shutil.which("dockerd")
        assert dockerd is not None
        # The client packaged with that daemon, if there is one: the same API version.
        beside = Path(dockerd).parent / "docker"
        self.client = str(beside) if beside.exists() else (shutil.which("docker") or "docker")
        self.env = {**os.environ, "DOCKER_HOST": f"unix://{self.socket}", "DOCKER_BUILDKIT": "0"}
        self.process: subprocess.Popen[bytes] | None = None

    @contextlib.contextmanager
    def running(self) -> Iterator[Docker]:
        log = (WORK / "dockerd.log").open("ab")
        self.process = subprocess.Popen(
            [
                "dockerd",
                "--bridge=none",
                "--iptables=false",
                "--ip6tables=false",
                f"--pidfile={self.pidfile}",
                f"--host=unix://{self.socket}",
                f"--exec-root={self.run_dir / 'exec'}",
                f"--data-root={WORK / 'docker'}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_for("dockerd to answer", lambda: self.ok("version"), timeout_s=60)
            say(f"dockerd running (pid {self.pid()}), no bridge, no iptables rules")
            yield self
        finally:
            self.stop()
            log.close()

    def pid(self) -> int:
        with contextlib.suppress(OSError, ValueError):
            return int(self.pidfile.read_text().strip())
        assert self.process is not None
        return self.process.pid

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        pid = self.pid()
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        # dockerd leaves its network namespace file mounted under the exec root.
        mounts = Path("/proc/self/mounts").read_text().splitlines()
        for point in sorted((line.split()[1] for line in mounts), reverse=True):
            if point.startswith(f"{self.run_dir}/"):
                subprocess.run(["umount", "--lazy", point], check=False)
        say(f"dockerd (pid {pid}) stopped")

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [self.client, *args], env=self.env, capture_output=True, text=True, check=False
        )
        if check and done.returncode != 0:
            raise CheckFailed(f"docker {args[0]} failed: {done.stderr.strip()[-2000:]}")
        return done

    def ok(self, *args: str) -> bool:
        return self.run(*args, check=False).returncode == 0

    def inspect(self, name: str, template: str) -> str:
        return self.run("inspect", "-f", template, name).stdout.strip()

    def logs(self, name: str) -> list[dict[str, Any]]:
        done = self.run("logs", name, check=False)
        lines = []
        for text in (done.stdout + done.stderr).splitlines():
            with contextlib.suppress(ValueError):
                line = json.loads(text)
                if isinstance(line, dict):
                    lines.append(line)
        return lines

    def logged(self, name: str, message: str) -> list[dict[str, Any]]:
        return [line for line in self.logs(name) if line.get("msg") == message]


# --- the loopback app and the fake Discord -------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class App:
    """``sunday-mining serve`` on loopback, on a SQLite file that outlives a restart."""

    def __init__(self, tmp: Path, secret: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "SM_STORE": "sqlite",
            "SM_SQLITE_PATH": str(tmp / "app.sqlite3"),
            "SM_WORKER_SECRET": secret,
            "SM_PRICE_REFRESH_S": "0",
            "SM_HOST": "127.0.0.1",
            "SM_PORT": str(self.port),
        }
        self.log = tmp / "app.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [str(BIN / "sunday-mining"), "serve"],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_for("the app to answer /health", self.up, timeout_s=30)

    def up(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/health", timeout=2) as answer:  # noqa: S310
                return bool(answer.status == 200)
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def lease_holder(self) -> str | None:
        from sunday_mining.services import keys

        item = self._store().get(keys.worker_lease_key()) or {}
        return str(item["holder"]) if "holder" in item else None

    def seated(self, guild_id: str) -> set[str]:
        """Who the app believes sits in voice, from the worker's batches."""
        from sunday_mining.services.presence import load_presence

        return set(load_presence(self._store(), guild_id).members)

    def _store(self) -> Any:
        from sunday_mining.config import Settings
        from sunday_mining.entrypoints.factories import build_store

        return build_store(Settings.from_env(self.env))


class FakeGateway:
    """``python -m sunday_mining_dev.fake_gateway``: its addresses, then what it has seen."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [str(BIN / "python"), "-m", "sunday_mining_dev.fake_gateway"],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.info: dict[str, Any] = json.loads(self.process.stdout.readline())
        self.seen: dict[str, Any] = {}
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for text in self.process.stdout:
            self.seen = json.loads(text)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


# --- the checks ----------------------------------------------------------------------------


def build_image(docker: Docker, tarball: Path) -> str:
    base = f"sunday-mining-python-base:{tarball.stem.rsplit('-', 1)[-1]}"
    if not docker.ok("image", "inspect", base):
        docker.run("import", "--change", "ENV LANG=C.UTF-8", str(tarball), base)
    say(f"building {IMAGE} on {base}")
    started = time.monotonic()
    build = subprocess.run(
        [
            docker.client,
            "build",
            "--network=host",
            "--build-arg",
            f"PYTHON_IMAGE={base}",
            "-f",
            "voice_worker/Dockerfile",
            "-t",
            IMAGE,
            ".",
        ],
        cwd=ROOT,
        env=docker.env,
        capture_output=True,
        text=True,
        check=False,
    )
    (WORK / "build.log").write_text(build.stdout + build.stderr)
    if build.returncode != 0:
        raise CheckFailed(f"docker build failed:\n{(build.stdout + build.stderr)[-3000:]}")
    size_mb = int(docker.inspect(IMAGE, "{{.Size}}")) / 1e6
    say(f"built in {time.monotonic() - started:.0f} s; image size {size_mb:.0f} MB")
    return f"{size_mb:.0f} MB"


def check_contents(docker: Docker) -> None:
    names = list(NOT_IN_IMAGE + IN_IMAGE)
    probe = (
        "import importlib.util as u, json; "
        f"print(json.dumps({{n: u.find_spec(n) is not None for n in {names}}}))"
    )
    found = json.loads(
        docker.run("run", "--rm", "--network=none", IMAGE, "python", "-c", probe).stdout
    )
    present = [name for name in NOT_IN_IMAGE if found[name]]
    require(not present, f"the image holds the app's dependencies: {', '.join(present)}")
    absent = [name for name in IN_IMAGE if not found[name]]
    require(not absent, f"the image lacks {', '.join(absent)}")
    say(f"image holds {', '.join(IN_IMAGE)} and none of {', '.join(NOT_IN_IMAGE)}")
    health = docker.run(
        "run",
        "--rm",
        "--network=none",
        IMAGE,
        "python",
        "-m",
        "sunday_mining.worker.healthcheck",
        check=False,
    )
    output = (health.stdout + health.stderr).strip()
    require(
        health.returncode == 1 and output.startswith("unhealthy:") and "\n" not in output,
        f"with no health file the health check said {output!r} (exit {health.returncode})",
    )
    say(f"no health file: {output!r}")


def run_worker(docker: Docker, name: str, app: App, fake: FakeGateway, secret: str) -> None:
    docker.run("rm", "-f", name, check=False)
    env = {
        "DISCORD_BOT_TOKEN": fake.info["token"],
        "SM_APP_URL": app.url,
        "SM_WORKER_SECRET": secret,
        "SM_DISCORD_API_BASE": fake.info["rest_base"],
        "SM_DISCORD_GATEWAY_URL": fake.info["gateway_url"],
        "SM_WORKER_HEARTBEAT_S": "1",
        "SM_WORKER_BATCH_FLUSH_S": "0.2",
        "SM_WORKER_LEASE_RETRY_S": "1",
        "SM_WORKER_HEALTH_MAX_AGE_S": str(HEALTH_MAX_AGE_S),
    }
    flags = [f"--env={key}={value}" for key, value in env.items()]
    docker.run(
        "run", "--detach", f"--name={name}", "--network=host", "--read-only", "--tmpfs=/tmp",
        f"--stop-timeout={STOP_TIMEOUT_S}", "--health-interval=1s", "--health-timeout=5s",
        "--health-retries=2", "--health-start-period=5s", *flags, IMAGE,
    )  # fmt: skip


def worker_id(docker: Docker, name: str) -> str:
    wait_for(f"{name} to start", lambda: bool(docker.logged(name, "worker starting")), 30)
    return str(docker.logged(name, "worker starting")[0]["worker_id"])


def health(docker: Docker, name: str) -> str:
    return docker.inspect(name, "{{.State.Health.Status}}")


def last_health_output(docker: Docker, name: str) -> str:
    log = json.loads(docker.inspect(name, "{{json .State.Health.Log}}"))
    return str(log[-1]["Output"]).strip() if log else ""


FIRST, SECOND = "sm-image-check-1", "sm-image-check-2"


def check_running(docker: Docker, tmp: Path) -> None:
    secret = secrets.token_hex(32)
    app, fake = App(tmp, secret), FakeGateway()
    try:
        app.start()
        say(f"app on {app.url}; fake Discord at {fake.info['gateway_url']}")
        run_worker(docker, FIRST, app, fake, secret)
        first_id = check_first_worker(docker, app, fake)
        run_worker(docker, SECOND, app, fake, secret)
        check_second_waits(docker, fake, first_id)
        check_app_away(docker, app)
        check_sigterm(docker, FIRST)
        wait_for("the second worker to take over", lambda: has_lease(docker, SECOND), 30)
        wait_for("the second IDENTIFY", lambda: fake.seen.get("identify_count") == 2, 30)
        check_sigterm(docker, SECOND)
        say("the second container took the lease over, then stopped cleanly")
    finally:
        for name in (FIRST, SECOND):
            docker.run("rm", "-f", "-v", name, check=False)
        app.stop()
        fake.stop()


def has_lease(docker: Docker, name: str) -> bool:
    return bool(docker.logged(name, "lease acquired"))


def check_first_worker(docker: Docker, app: App, fake: FakeGateway) -> str:
    first_id = worker_id(docker, FIRST)
    status = docker.run("exec", FIRST, "cat", "/proc/1/status").stdout
    uid = next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1]
    require(uid != "0", "the worker runs as root")
    say(f"runs as user {docker.inspect(FIRST, '{{.Config.User}}')!r} ({uid}), id {first_id}")

    wait_for("the lease", lambda: has_lease(docker, FIRST), 30)
    holder = app.lease_holder()
    require(holder == first_id, f"the lease holder is {holder}, not {first_id}")
    wait_for("IDENTIFY", lambda: fake.seen.get("identify_count") == 1, 30)
    wait_for("READY", lambda: bool(docker.logged(FIRST, "gateway ready")), 30)
    seated, guild_id = set(fake.info["voice_states"]), fake.info["guild_id"]
    wait_for("the READY snapshot batch", lambda: app.seated(guild_id) == seated, 30)
    say("lease taken, IDENTIFY, READY, the snapshot batch delivered")
    wait_for("healthy", lambda: health(docker, FIRST) == "healthy", 30)
    say(f"HEALTHCHECK healthy: {last_health_output(docker, FIRST)!r}")
    return first_id


def check_second_waits(docker: Docker, fake: FakeGateway, first_id: str) -> None:
    """The same image and settings on the same host: same host name, and pid 1 in both."""
    second_id = worker_id(docker, SECOND)
    require(second_id != first_id, f"both containers have the worker id {first_id}")
    waiting = "another worker holds the lease; waiting"
    wait_for("the second worker to wait", lambda: bool(docker.logged(SECOND, waiting)), 30)
    time.sleep(2)
    require(fake.seen.get("identify_count") == 1, "the second worker connected to Discord")
    require(not has_lease(docker, SECOND), "the second worker took the lease too")
    say(f"a second container on the same host ({second_id}) waits for the lease")


def check_app_away(docker: Docker, app: App) -> None:
    app.stop()
    wait_for("unhealthy without the app", lambda: health(docker, FIRST) == "unhealthy", 60)
    output = last_health_output(docker, FIRST)
    require(output.startswith("unhealthy:"), f"the health check said {output!r}")
    say(f"app stopped: HEALTHCHECK unhealthy: {output!r}")
    app.start()
    wait_for("healthy again", lambda: health(docker, FIRST) == "healthy", 60)
    say("app back: healthy again")


def check_sigterm(docker: Docker, name: str) -> None:
    started = time.monotonic()
    docker.run("stop", f"--time={STOP_TIMEOUT_S}", name)
    took = time.monotonic() - started
    code = docker.inspect(name, "{{.State.ExitCode}}")
    released = docker.logged(name, "lease released")
    require(code == "0", f"{name} exited {code} on SIGTERM")
    require(took < STOP_TIMEOUT_S, f"SIGTERM took {took:.0f} s (stop timeout {STOP_TIMEOUT_S})")
    require(bool(released) and released[-1].get("released") is True, "lease not released")
    say(f"SIGTERM: {name} released the lease and exited 0 in {took:.1f} s")


def main() -> int:
    os.chdir(ROOT)
    try:
        ensure_tools()
        tarball = base_tarball()
        with tempfile.TemporaryDirectory(prefix="sm-", ignore_cleanup_errors=True) as tmp:
            run_dir = Path(tmp)
            with Docker(run_dir).running() as docker:
                size = build_image(docker, tarball)
                check_contents(docker)
                check_running(docker, run_dir)
    except (CheckFailed, subprocess.CalledProcessError) as failure:
        say(f"FAILED: {failure}")
        return 1
    say(f"image-check passed: image {size}, {time.monotonic() - _started:.0f} s in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
