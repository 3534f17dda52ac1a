"""Logs and metrics for every deployable: one setup, correlation keys, redaction, a metrics port.

Every module logs through the standard library (``logging.getLogger(__name__)`` with ``extra=``
ids); this module decides where the records go. On Lambda (or with ``SM_LOG_FORMAT=json``) they
are JSON lines from the Powertools formatter; locally the same records are readable console
lines. Either way each record carries the current correlation keys and passes a redactor that
scrubs anything shaped like a secret: the code never logs one, and this is the second line of
defence. Powertools is imported only when JSON or EMF is asked for, so local runs and the
interactions import path do not pay for it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from types import MappingProxyType
from typing import IO, TYPE_CHECKING, Any, TypeVar

from sunday_mining.ports.metrics import Metric, Metrics

if TYPE_CHECKING:
    from aws_lambda_powertools.logging.formatter import BasePowertoolsFormatter

NAMESPACE = "SundayMining"
REDACTED = "[redacted]"
CORRELATION_KEYS = ("interaction_id", "guild_id", "session_id", "payroll_id", "command")

log = logging.getLogger(__name__)

# --- correlation ------------------------------------------------------------------------------

_correlation: ContextVar[Mapping[str, str]] = ContextVar(
    "sm_correlation", default=MappingProxyType({})
)


@contextlib.contextmanager
def correlated(**keys: str | None) -> Iterator[None]:
    """Every record logged inside the block (threads started by run_in_threadpool included,
    since they copy the context) carries these keys; empty values are left out."""
    token = _correlation.set({**_correlation.get(), **{k: v for k, v in keys.items() if v}})
    try:
        yield
    finally:
        _correlation.reset(token)


class _CorrelationFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in _correlation.get().items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


# --- redaction --------------------------------------------------------------------------------

_SENSITIVE_NAMES = r"(?:token|secret|signature|password|passwd|api[_-]?key|private[_-]?key|hmac)"
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Webhook and interaction-callback URLs carry the interaction token: keep the ids only.
    (re.compile(r"((?:webhooks|interactions)/\d+/)[^/\s?#\"']+"), rf"\1{REDACTED}"),
    # A report link's signature (/reports/<id>?sig=<expiry>.<mac>) opens the report.
    (re.compile(r"([?&]sig=)[^&\s#\"']+"), rf"\1{REDACTED}"),
    (
        re.compile(
            r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?)(?:(?:bot|bearer|basic)\s+)?[^\s\"',}]+"
        ),
        rf"\1{REDACTED}",
    ),
    # The same as a DynamoDB attribute value (boto3's DEBUG logs of a request body):
    # "token": {"S": "..."}.
    (
        re.compile(
            rf"(?i)({_SENSITIVE_NAMES}[\w-]*[\"']?\s*:\s*\{{\s*[\"']S[\"']\s*:\s*[\"']?)"
            r"[^\s\"',}&]+"
        ),
        rf"\1{REDACTED}",
    ),
    (
        re.compile(rf"(?i)({_SENSITIVE_NAMES}[\w-]*[\"']?\s*[:=]\s*[\"']?)[^\s\"',{{}}&]+"),
        rf"\1{REDACTED}",
    ),
    # A Discord bot token: three base64url parts (user id, timestamp, HMAC).
    (re.compile(r"[A-Za-z\d_-]{23,28}\.[A-Za-z\d_-]{6,7}\.[A-Za-z\d_-]{27,}"), REDACTED),
    # Interaction tokens start with base64("interaction:").
    (re.compile(r"aW50ZXJhY3Rpb246[A-Za-z\d_-]+"), REDACTED),
    # Ed25519 signatures and keys, HMAC digests and hex secrets.
    (re.compile(r"(?<![0-9A-Fa-f])(?:v1=)?[0-9A-Fa-f]{40,}(?![0-9A-Fa-f])"), REDACTED),
)
# Environment variables whose values are secrets by name (their values are scrubbed verbatim).
_SECRET_ENV = re.compile(r"(TOKEN|SECRET|PASSWORD|PRIVATE_KEY|SIGNING_KEY|PUBLIC_KEY)$")
_MIN_SECRET_LENGTH = 8


class Redactor:
    """Scrubs secret shapes and the configured secret values out of text."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._by_value: re.Pattern[str] | None = None

    def remember(self, values: Iterable[str | None]) -> None:
        """Scrub these exact values too (and their JSON-escaped form), wherever they appear."""
        for value in values:
            if value and len(value) >= _MIN_SECRET_LENGTH:
                self._values |= {value, json.dumps(value)[1:-1]}
        if self._values:
            longest_first = sorted(self._values, key=len, reverse=True)
            self._by_value = re.compile("|".join(re.escape(v) for v in longest_first))

    def remember_env(self, env: Mapping[str, str]) -> None:
        self.remember(value for name, value in env.items() if _SECRET_ENV.search(name))

    def scrub(self, text: str) -> str:
        if self._by_value is not None:
            text = self._by_value.sub(REDACTED, text)
        for pattern, replacement in _PATTERNS:
            text = pattern.sub(replacement, text)
        return text


redactor = Redactor()


def remember_secrets(*values: str | None) -> None:
    """Add values known only at run time (a secret fetched from Secrets Manager, a test key)."""
    redactor.remember(values)


_STANDARD_ATTRS = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in vars(record).items() if k not in _STANDARD_ATTRS}


def _scrub_message(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except (TypeError, ValueError):  # a bad format string is logging's problem to report
        return
    clean = redactor.scrub(message)
    if clean == message:
        return
    if isinstance(record.args, tuple) and record.args:
        # Some formatters unpack the arguments themselves (uvicorn's access log takes five):
        # scrub each one and keep the format, so such a record still formats.
        record.args = tuple(redactor.scrub(a) if isinstance(a, str) else a for a in record.args)
        if redactor.scrub(record.getMessage()) == record.getMessage():
            return
    record.msg, record.args = clean, None


class RedactingFilter(logging.Filter):
    """Scrubs the message and every string ``extra`` in place, so handlers after ours see a
    clean record too. Our formatters also scrub their whole output (tracebacks included)."""

    def filter(self, record: logging.LogRecord) -> bool:
        _scrub_message(record)
        for key, value in _extras(record).items():
            if isinstance(value, str):
                setattr(record, key, redactor.scrub(value))
        return True


class _ScrubbingFactory:
    def __init__(self, make: Callable[..., logging.LogRecord]) -> None:
        self._make = make

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record = self._make(*args, **kwargs)
        _scrub_message(record)
        return record


def install_record_redaction(env: Mapping[str, str] | None = None) -> None:
    """Scrub every record's message as it is created, whichever handler later writes it, and
    remember the secrets ``env`` (default: the process environment) holds by name.

    For processes whose own code replaces the root handlers (the voice worker's JSON lines).
    """
    redactor.remember_env(os.environ if env is None else env)
    make = logging.getLogRecordFactory()
    if not isinstance(make, _ScrubbingFactory):
        logging.setLogRecordFactory(_ScrubbingFactory(make))


# --- formatters and setup ---------------------------------------------------------------------


class ConsoleFormatter(logging.Formatter):
    """``12:00:01.234 INFO  sunday_mining.interactions interaction  command='mining start' …``"""

    def format(self, record: logging.LogRecord) -> str:
        clock = time.strftime("%H:%M:%S", time.localtime(record.created))
        line = f"{clock}.{int(record.msecs):03d} {record.levelname:<7} {record.name} "
        line += record.getMessage()
        extras = " ".join(f"{k}={v!r}" for k, v in sorted(_extras(record).items()))
        if extras:
            line += f"  {extras}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return redactor.scrub(line)


def _json_formatter() -> BasePowertoolsFormatter:
    from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

    class RedactingJsonFormatter(LambdaPowertoolsFormatter):
        def format(self, record: logging.LogRecord) -> str:
            return redactor.scrub(super().format(record))

    return RedactingJsonFormatter(utc=True)


def on_lambda(env: Mapping[str, str] | None = None) -> bool:
    return bool((os.environ if env is None else env).get("AWS_LAMBDA_FUNCTION_NAME"))


_powertools: Any = None  # the Powertools Logger once JSON logging is set up


def configure_logging(
    service: str,
    *,
    level: str = "INFO",
    json_lines: bool | None = None,
    stream: IO[str] | None = None,
) -> None:
    """Route every logger's records through one redacting handler on the root logger.

    JSON (the Powertools formatter, via a Powertools Logger so ``lambda_entry`` can add the
    invocation's keys) when ``json_lines`` (Settings.log_format "json", and always on Lambda);
    readable lines otherwise.
    """
    global _powertools  # noqa: PLW0603 - logging is process-wide by nature
    if json_lines is None:
        json_lines = on_lambda()
    if json_lines:
        from aws_lambda_powertools import Logger

        formatter = _json_formatter()
        _powertools = Logger(service=service, level=level, logger_formatter=formatter)
        handler: logging.Handler = _powertools.registered_handler
        # A second Logger for the same service reuses the first one's handler: set it up anew.
        handler.setFormatter(formatter)
        formatter.append_keys(service=service)
    else:
        handler = logging.StreamHandler()
        handler.setFormatter(ConsoleFormatter())
    if isinstance(handler, logging.StreamHandler):
        handler.setStream(stream or (sys.stdout if json_lines else sys.stderr))
    handler.filters.clear()
    handler.addFilter(_CorrelationFilter())
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    install_record_redaction()


Handler = TypeVar("Handler", bound=Callable[..., Any])


def lambda_entry(handler: Handler) -> Handler:
    """On Lambda, Powertools adds the request id, function and cold start to every record."""
    if _powertools is None or not on_lambda():
        return handler
    # log_event=False whatever POWERTOOLS_LOGGER_LOG_EVENT says: an event holds the raw body.
    wrapped: Handler = _powertools.inject_lambda_context(handler, log_event=False)
    return wrapped


# --- metrics ----------------------------------------------------------------------------------


class EmfMetrics(Metrics):
    """CloudWatch embedded metric format through Powertools: one JSON line on stdout per call.

    Each call is its own EMF document, so its dimension set is exactly ``Stack`` plus the
    given ones: the stack's alarms match a metric's dimensions exactly.
    """

    def __init__(self, stack: str, namespace: str = NAMESPACE) -> None:
        self._stack, self._namespace = stack, namespace

    def emit(self, *points: Metric, **dimensions: str) -> None:
        from aws_lambda_powertools.metrics import EphemeralMetrics

        # service="" keeps Powertools from adding a "service" dimension from the environment.
        document = EphemeralMetrics(namespace=self._namespace, service="")
        for name, value in {"Stack": self._stack, **dimensions}.items():
            document.add_dimension(name=name, value=value)
        for point in points:
            document.add_metric(name=point.name, unit=point.unit, value=point.value)
        document.flush_metrics()


@dataclass(frozen=True)
class Emitted:
    metric: Metric
    dimensions: Mapping[str, str]


class InMemoryMetrics(Metrics):
    """Keeps the last points (and logs them at DEBUG): the local app's and the tests' metrics."""

    def __init__(self, stack: str = "local", keep: int = 10_000) -> None:
        self.stack = stack
        self.emitted: deque[Emitted] = deque(maxlen=keep)

    def emit(self, *points: Metric, **dimensions: str) -> None:
        labels = {"Stack": self.stack, **dimensions}
        for point in points:
            self.emitted.append(Emitted(point, labels))
            log.debug("metric %s = %g %s", point.name, point.value, point.unit, extra=labels)

    def values(self, name: str, **dimensions: str) -> list[float]:
        """The values emitted under ``name`` whose dimensions include these."""
        return [
            e.metric.value
            for e in self.emitted
            if e.metric.name == name and dimensions.items() <= e.dimensions.items()
        ]


_metrics: Metrics = InMemoryMetrics()


class CurrentMetrics(Metrics):
    """The process's metrics as they are when a point is emitted (``use_metrics`` may install
    others after the services were built), never failing the work they measure."""

    def emit(self, *points: Metric, **dimensions: str) -> None:
        emit(*points, **dimensions)


def metrics() -> Metrics:
    """The process's metrics, installed by its composition root (memory until then)."""
    return _metrics


def use_metrics(chosen: Metrics) -> Metrics:
    """Install ``chosen`` for the whole process; returns the one it replaces."""
    global _metrics
    previous, _metrics = _metrics, chosen
    return previous


def emit(*points: Metric, **dimensions: str) -> None:
    """Publish through the installed metrics; a metric must never fail the work it measures."""
    try:
        _metrics.emit(*points, **dimensions)
    except Exception:
        log.warning("metric not published", exc_info=True)


def count(name: str, value: float = 1, **dimensions: str) -> None:
    emit(Metric(name, "Count", value), **dimensions)


def configure_lambda(service: str, level: str = "INFO", stack_name: str = "local") -> None:
    """A Lambda's cold start: JSON logs and EMF metrics (``Stack``: Settings.stack_name, from
    SM_STACK_NAME). Off Lambda (tests driving the handlers) it changes nothing."""
    if not on_lambda():
        return
    configure_logging(service, level=level, json_lines=True)
    use_metrics(EmfMetrics(stack_name))
