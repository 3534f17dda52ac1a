"""Benchmark: the interactions Lambda's cold start against a minimal FastAPI + mangum + boto3 app.

    python -m bench.cold_import [--runs 12]

Each run is a fresh interpreter that imports a Lambda entry and answers one signed PING given
as an HTTP API (v2) event, the way Lambda calls it after a cold start. The app's entry is
``functions/interactions/handler.py`` configured as the template deploys it (DynamoDB store,
worker API, reports, failure queue, JSON logs); the floor is ``bench/floor_app.py``. Runs
alternate between the two, so a busy moment hits both. The child times itself from its first
import, so the interpreter's own start (the same for both) is left out; it is shown separately
as the whole process's wall time.

Two settings: with bytecode cached (the imports alone, like for like), and from source, as the
Lambda artifacts are built (infra/Makefile: ``pip --no-compile``, ``__pycache__`` removed, and
/var/task is read-only), where every module is compiled again at each cold start.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.results import Row, Section, judged, median, ms
from sunday_mining_dev.simulator import DevKeyPair
from sunday_mining_dev.simulator.tamper import signed_request

ROOT = Path(__file__).resolve().parents[1]
RUNS = 12
SOURCE_RUNS = 10
BAR = 1.15
HEAVY = ("fpdf", "httpx", "uvicorn", "discord")

_CHILD = """
import json, sys, time, types
event = json.loads(sys.stdin.read())
context = types.SimpleNamespace(
    function_name="sunday-mining-interactions", memory_limit_in_mb=1024, aws_request_id="bench",
    invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:sunday-mining-interactions",
)
started = time.perf_counter()
{imports}
imported = time.perf_counter()
response = handler(event, context)
answered = time.perf_counter()
print(json.dumps({{
    "import_s": imported - started,
    "first_answer_s": answered - imported,
    "status": response["statusCode"],
    "body": response["body"],
    "modules": sorted({{name.split(".")[0] for name in sys.modules}}),
}}))
"""
APP_IMPORTS = """
sys.path.insert(0, "functions/interactions")
from handler import handler
import mangum, sunday_mining.web.app
"""
FLOOR_IMPORTS = "from bench.floor_app import handler"


@dataclass(frozen=True)
class Run:
    import_s: float
    first_answer_s: float
    process_s: float
    modules: frozenset[str]

    @property
    def total_s(self) -> float:
        return self.import_s + self.first_answer_s


def ping_event(keys: DevKeyPair) -> dict[str, Any]:
    """A signed PING as a Lambda Function URL / HTTP API v2 event."""
    headers, body = signed_request(
        keys, {"id": "1", "application_id": "2", "type": 1, "version": 1}, int(time.time())
    )
    now = time.time()
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/interactions",
        "rawQueryString": "",
        "headers": {
            "content-type": "application/json",
            "user-agent": "Discord-Interactions/1.0 (+https://discord.com)",
            **{name.lower(): value for name, value in headers.items()},
        },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "bench",
            "domainName": "bench.lambda-url.us-east-1.on.aws",
            "domainPrefix": "bench",
            "http": {
                "method": "POST",
                "path": "/interactions",
                "protocol": "HTTP/1.1",
                "sourceIp": "192.0.2.1",
                "userAgent": "Discord-Interactions/1.0",
            },
            "requestId": "bench",
            "routeKey": "$default",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "body": body.decode("utf-8"),
        "isBase64Encoded": False,
    }


def _environment(keys: DevKeyPair) -> dict[str, str]:
    """As the template deploys the interactions function (infra/template.yaml: Globals and its
    own variables), with the secret's values as its cold start puts them in the environment:
    DynamoDB, the worker API, reports (S3, the reports function, the link key), the failure
    queue and JSON logs. No AWS call is made before the first command."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SM_", "DISCORD_", "AWS_"))}
    env |= {
        "AWS_LAMBDA_FUNCTION_NAME": "sunday-mining-interactions",
        "AWS_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "SM_STORE": "dynamodb",
        "SM_TABLE_NAME": "sunday-mining-bench",
        "SM_LOG_LEVEL": "INFO",
        "SM_STACK_NAME": "sunday-mining",
        "DISCORD_PUBLIC_KEY": keys.public_key_hex,
        "DISCORD_APPLICATION_ID": "1300000000000000001",
        "SM_REPORTS_BUCKET": "sunday-mining-reports-bench",
        "SM_REPORTS_FUNCTION": "sunday-mining-reports",
        "SM_FAILURE_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/sm-failures",
        # What load_into_env_once takes from the secret on AWS.
        "SM_WORKER_SECRET": secrets.token_hex(32),
        "SM_LINK_SIGNING_KEY": secrets.token_hex(32),
        "DISCORD_BOT_TOKEN": "bench-bot-token-not-used-for-a-ping",
    }
    return env


def _from_source(env: dict[str, str], empty_dir: str) -> dict[str, str]:
    """No bytecode read or written: every import compiles, as on Lambda."""
    return env | {"PYTHONDONTWRITEBYTECODE": "1", "PYTHONPYCACHEPREFIX": empty_dir}


def _run(imports: str, env: dict[str, str], keys: DevKeyPair) -> Run:
    started = time.perf_counter()
    result = subprocess.run(  # noqa: S603 - this interpreter on our own child script
        [sys.executable, "-c", _CHILD.format(imports=imports)],
        cwd=ROOT,
        env=env,
        input=json.dumps(ping_event(keys)),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    process_s = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"the cold-start child failed:\n{result.stderr[-2000:]}")
    out = json.loads(result.stdout.strip().splitlines()[-1])
    if out["status"] != 200 or json.loads(out["body"]) != {"type": 1}:
        raise RuntimeError(f"the PING was not answered: {out['status']} {out['body'][:200]}")
    return Run(out["import_s"], out["first_answer_s"], process_s, frozenset(out["modules"]))


def import_profile(imports: str, env: dict[str, str], keys: DevKeyPair) -> list[tuple[str, float]]:
    """The heaviest modules of one cold start (cumulative seconds, outermost first), from
    ``-X importtime``: where the time goes, not a figure (the instrument slows imports)."""
    result = subprocess.run(  # noqa: S603 - this interpreter on our own child script
        [sys.executable, "-X", "importtime", "-c", _CHILD.format(imports=imports)],
        cwd=ROOT,
        env=env,
        input=json.dumps(ping_event(keys)),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    heaviest: list[tuple[str, float]] = []
    for line in result.stderr.splitlines():
        fields = line.removeprefix("import time:").split("|")
        if len(fields) != 3 or not fields[1].strip().isdigit():
            continue
        name = fields[2].rstrip()
        depth = (len(name) - len(name.lstrip()) - 1) // 2
        if depth <= 1:
            heaviest.append((name.strip(), int(fields[1]) / 1e6))
    return sorted(heaviest, key=lambda item: -item[1])[:8]


def measure(
    runs: int = RUNS, source_runs: int = SOURCE_RUNS, *, warm_up: bool = True
) -> dict[str, Any]:
    """``runs`` fresh interpreters each with bytecode (after a warm-up that writes it, so none
    is stale) and ``source_runs`` each without, the app and the floor alternating."""
    keys = DevKeyPair.generate()
    env = _environment(keys)
    found: dict[str, list[Run]] = {"app": [], "floor": [], "app_src": [], "floor_src": []}
    if warm_up:
        _run(APP_IMPORTS, env, keys)
        _run(FLOOR_IMPORTS, env, keys)
    for _ in range(runs):
        found["app"].append(_run(APP_IMPORTS, env, keys))
        found["floor"].append(_run(FLOOR_IMPORTS, env, keys))
    with tempfile.TemporaryDirectory(prefix="sm-bench-pyc-") as empty:
        source = _from_source(env, empty)
        for _ in range(source_runs):
            found["app_src"].append(_run(APP_IMPORTS, source, keys))
            found["floor_src"].append(_run(FLOOR_IMPORTS, source, keys))
    profile = import_profile(APP_IMPORTS, env, keys) if warm_up else []
    return {"runs": runs, "source_runs": source_runs, "profile": profile} | found


def _medians(runs: list[Run]) -> dict[str, float]:
    return {
        "import_s": median([r.import_s for r in runs]),
        "first_answer_s": median([r.first_answer_s for r in runs]),
        "total_s": median([r.total_s for r in runs]),
        "process_s": median([r.process_s for r in runs]),
    }


def section(quick: bool = False) -> Section:
    # Quick: one run of each with bytecode; from source takes seconds a run, so none.
    m = measure(1, 0, warm_up=False) if quick else measure()
    app, floor = _medians(m["app"]), _medians(m["floor"])
    heavy = sorted(set().union(*(r.modules for r in m["app"])) & set(HEAVY))
    s = Section(
        title="Interactions cold start",
        bars="cold import \u2264 1.15 \u00d7 a minimal FastAPI + mangum + boto3 app; no fpdf2",
        method=(
            f"Fresh interpreters, the app and the floor alternating: {m['runs']} of each with "
            "bytecode cached (after one unmeasured run of each that writes it), then "
            f"{m['source_runs']} of each from source (no bytecode read or written, as the Lambda "
            "artifacts are built: `pip --no-compile`, `__pycache__` removed, /var/task "
            "read-only). Each imports a Lambda entry and answers one signed PING given as a "
            "Function URL (HTTP API v2) event through mangum; the figures are medians. The app "
            "is `functions/interactions/handler.py` with the environment the template gives it "
            "(DynamoDB store, the worker API, reports with their bucket, function and link key, "
            "the failure queue, JSON logs; no AWS call is made to answer a PING). It imports "
            "boto3 and builds "
            "its services and FastAPI app lazily, inside the first invocation, so the bar is "
            "judged on the whole cold start: imports + first answer."
        ),
        floor=(
            "`bench/floor_app.py`: FastAPI with one route answering the PING unchecked, a "
            "boto3 DynamoDB client made at import, mangum in front — measured the same way "
            "in the same run."
        ),
    )
    for label, key in (("imports", "import_s"), ("first signed PING answered", "first_answer_s")):
        s.rows.append(
            Row(f"{label} (bytecode cached)", ms(app[key]), ms(floor[key]), app[key] / floor[key])
        )
    compared = [("cold start, bytecode cached: imports + first answer", app, floor)]
    if m["source_runs"]:
        compared.append(
            (
                "cold start from source, as on Lambda: imports + first answer",
                _medians(m["app_src"]),
                _medians(m["floor_src"]),
            )
        )
    for label, a, f in compared:
        ratio = a["total_s"] / f["total_s"]
        s.rows.append(
            Row(
                label,
                ms(a["total_s"]),
                ms(f["total_s"]),
                ratio,
                f"\u2264 {BAR:.2f} \u00d7 floor",
                judged(ratio <= BAR),
            )
        )
    s.rows.append(
        Row(
            "whole process, bytecode cached, interpreter start included",
            ms(app["process_s"]),
            ms(floor["process_s"]),
            app["process_s"] / floor["process_s"],
        )
    )
    s.rows.append(
        Row(
            "fpdf2 (or httpx, uvicorn, discord.py) imported",
            ", ".join(heavy) or "none",
            bar="fpdf2 never imported",
            verdict=judged("fpdf" not in heavy),
        )
    )
    if m["profile"]:
        heaviest = ", ".join(f"`{name}` {ms(took)}" for name, took in m["profile"])
        s.notes.append(
            "Where the app's cold start goes (cumulative import time of the outermost modules, "
            f"one extra run under `-X importtime`, which slows every import): {heaviest}."
        )
    return s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--source-runs", type=int, default=SOURCE_RUNS)
    args = parser.parse_args()
    m = measure(args.runs, args.source_runs)
    for name in ("app", "floor", "app_src", "floor_src"):
        if not m[name]:
            continue
        med = _medians(m[name])
        print(f"{name:>9}: " + "   ".join(f"{k} {ms(v)}" for k, v in med.items()))


if __name__ == "__main__":
    main()
