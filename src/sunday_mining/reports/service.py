"""Payroll reports: request one, build it once per version, deliver it once per request, and
open it later through a signed link.

Building runs as a job (``REPORT_JOB``), never inside an interaction: fpdf2 and fonts live only
in the job's import path. The job is idempotent in two steps, each guarded by a store item:

* the files: one PDF, one CSV and one JSON per payroll version, keyed by guild/session/payroll
  (each opened by a signed link of its own kind, see ``links.py``). Rendering
  is deterministic, so a second build writes the same bytes; a build whose content hash is
  already recorded (and whose files exist) is skipped.
* the message: one per request (the interaction that asked). A delivery marker is created
  conditionally before sending, so a duplicated invoke finds it: marked sent, it sends nothing;
  still sending, it raises ``DeliveryInProgress`` so the runner tries again later. A failed
  send marks it failed and a retry may claim it again; once the message is out, the attempt
  succeeds whatever happens to the marker (a retry would send it twice).

When the last attempt fails the user is told, in Discord, how to rebuild the report.

The interaction token (a bearer credential for 15 minutes) never travels in the job: on AWS a
job is an async invoke, and one that fails its retries is kept for days in the on-failure queue.
``request()`` writes the token into the store beside the delivery marker (``REPORTTOKEN#``,
with a ``ttl`` just after Discord's window) and submits the request without it, flagged
``token_kept``; the job reads it back while its window lasts and deletes it once the request is
done. A token that is gone or past its window leaves the report channel as the route. A job
submitted with the token in its payload (an older version) is still run as it is.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Protocol

from sunday_mining.domain.clock import Clock
from sunday_mining.domain.errors import (
    DomainError,
    JobsUnavailable,
    NotFound,
    StateConflict,
    Unavailable,
)
from sunday_mining.domain.ids import is_id
from sunday_mining.domain.prices import format_auec
from sunday_mining.domain.refining import RefineryJob
from sunday_mining.domain.session import SessionType
from sunday_mining.domain.wording import counted
from sunday_mining.ports.blobs import BlobStore
from sunday_mining.ports.jobs import Job, JobQueue
from sunday_mining.ports.metrics import Metric, Metrics
from sunday_mining.ports.store import Key, Store, Update
from sunday_mining.reports.data import (
    NameLookup,
    build_report_data,
    report_id,
    split_report_id,
)
from sunday_mining.reports.delivery import TOKEN_WINDOW_MS
from sunday_mining.reports.files import render_json_file
from sunday_mining.reports.links import KINDS, PDF, ReportLinks
from sunday_mining.reports.model import ReportData, content_hash
from sunday_mining.services import keys
from sunday_mining.services.guilds import GuildService
from sunday_mining.services.job_kinds import REPORT_JOB
from sunday_mining.services.payroll import PayrollService, PayrollStatus, PayrollVersion
from sunday_mining.services.send_once import FAILED, SENT, Claim, SendOnce
from sunday_mining.services.sessions import SessionService
from sunday_mining.services.summary import SummaryService
from sunday_mining.services.worker import gaps_between

log = logging.getLogger(__name__)

STATE_PREFIX = "REPORT#"
DELIVERY_PREFIX = "REPORTMSG#"
ATTEMPTS_PREFIX = "REPORTTRY#"
ATTEMPTS_TTL_S = 86_400  # Lambda gives up on an async event within 6 hours
TOKEN_PREFIX = "REPORTTOKEN#"  # noqa: S105 - a key prefix, not a secret
# Discord honours the token for 15 minutes; the item outlives that a little, then the table's
# time to live deletes it (the job itself never uses it past TOKEN_WINDOW_MS).
TOKEN_TTL_AFTER_MS = 15 * 60_000 + 5 * 60_000
LAST_OUTCOME_KEY = ("REPORTS", "LAST")
MAX_ATTEMPTS = 3  # the reports Lambda: the first try and two retries (template.yaml)
# A "sending" marker older than this was left by an attempt that died: longer than the reports
# function may run (its Timeout, 120 s, in template.yaml), so a live attempt is never overtaken;
# shorter than Lambda's retries take (1 min, then 2 more), so the last retry may claim it.
SEND_LEASE_MS = 150_000
LINK_REDIRECT_S = 300  # a presigned URL only needs to live long enough to be followed
_SLUG = re.compile(r"[^a-z0-9]+")
REBUILD_HINT = (
    "open /mining payroll, pick the session, and press Rebuild report on the finalized payroll"
)


class DeliveryInProgress(Unavailable):
    """Another attempt of the same request holds the delivery marker: retry later."""

    def __init__(self) -> None:
        super().__init__("The report is being delivered by another attempt.")


@dataclass(frozen=True)
class ReportRequest:
    """Who asked for a report and where the answer goes (the interaction's follow-up)."""

    guild_id: str
    payroll_id: str
    requested_by: str
    request_key: str  # the asking interaction's id: one message per request
    application_id: str | None = None
    # A credential: kept out of reprs, and out of the job's payload (see the module docstring).
    interaction_token: str | None = field(default=None, repr=False)
    interaction_ms: int | None = None
    attachment_size_limit: int | None = None
    post_to_channel: bool = False  # also post into the guild's report channel
    token_kept: bool = False  # the token waits in the store, not in this request
    resumed: bool = False  # an attempt that died was sending it (set while delivering)


@dataclass(frozen=True)
class ReportFiles:
    report_id: str
    pdf_key: str
    csv_key: str
    pdf_name: str
    csv_name: str
    pdf: bytes
    csv: bytes
    summary: str  # one line for the Discord message
    report_channel_id: str | None
    json_key: str = ""
    json_name: str = ""
    json: bytes = b""
    # The signed links to the files other than the PDF, (label, url), set when it is delivered.
    links: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class OpenedReport:
    """What the link route answers: a redirect to S3, or the file itself (local folder)."""

    redirect_url: str | None = None
    data: bytes | None = None
    filename: str = "report.pdf"
    media_type: str = "application/pdf"


class Renderer(Protocol):
    def __call__(self, data: ReportData) -> tuple[bytes, bytes]: ...


class Deliverer(Protocol):
    """Sends the finished report (and, on failure, a short notice) into Discord."""

    def deliver(self, request: ReportRequest, files: ReportFiles, link: str) -> dict[str, Any]:
        """Post it; return what was sent (ids, attached or not); raise DiscordUnavailable (or
        ReportNotDelivered) if nothing could be delivered."""

    def notify_failure(self, request: ReportRequest, text: str) -> None:
        """Tell the requester the report failed (best effort)."""


# (guild id, session id) -> the session's refinery jobs (RefineryService.of_session)
SessionJobs = Callable[[str, str], Sequence[RefineryJob]]


class ReportService:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        guilds: GuildService,
        sessions: SessionService,
        summaries: SummaryService,
        payroll: PayrollService,
        *,
        blobs: BlobStore,
        links: ReportLinks,
        lookup_names: NameLookup,
        lookup_handles: NameLookup | None = None,
        jobs: JobQueue | None = None,
        renderer: Renderer,
        metrics: Metrics,
        deliverer: Deliverer | None = None,
        sole_sender: bool = False,
        session_jobs: SessionJobs | None = None,
    ) -> None:
        """``sole_sender``: this process is the only one that delivers reports (``serve`` with
        its in-process jobs), so a "sending" marker left by another holder was left by a process
        that died, and is taken over at once instead of after SEND_LEASE_MS. ``session_jobs``
        reads a session's refinery jobs for the report's Refining section (none without it)."""
        self._store = store
        self._clock = clock
        self._guilds = guilds
        self._sessions = sessions
        self._summaries = summaries
        self._payroll = payroll
        self.blobs = blobs
        self.links = links
        self._lookup_names = lookup_names
        self._lookup_handles = lookup_handles
        self.jobs = jobs
        self._deliverer = deliverer
        self._renderer = renderer
        self._metrics = metrics
        self._send_once = SendOnce(store, clock, lease_ms=SEND_LEASE_MS, sole_sender=sole_sender)
        self._session_jobs = session_jobs

    def _emit(self, *points: Metric, **dimensions: str) -> None:
        """A metric must never fail the work it measures."""
        try:
            self._metrics.emit(*points, **dimensions)
        except Exception:
            log.warning("metric not published", exc_info=True)

    # --- asking -------------------------------------------------------------------------------

    def request(self, request: ReportRequest) -> None:
        """Hand the build to the job runner; raise JobsUnavailable if it can't take it."""
        if self.jobs is None:
            raise JobsUnavailable("Reports are not set up on this installation.")
        version = self._payroll.get(request.guild_id, request.payroll_id)
        if version.status is PayrollStatus.DRAFT:
            raise StateConflict("Only a finalized payroll has a report; finalize it first.")
        if request.interaction_token is not None:
            self._keep_token(request)
            request = replace(request, interaction_token=None, token_kept=True)
        payload = asdict(request)
        # If this fails the token stays until its ttl: a timeout does not say whether Lambda
        # took the invoke, and a job that did run needs it for the member's follow-up.
        self.jobs.submit(Job(REPORT_JOB, f"{request.payroll_id}:{request.request_key}", payload))

    def _keep_token(self, request: ReportRequest) -> None:
        issued = request.interaction_ms
        if issued is None:
            issued = self._clock.now_ms()
        pk, sk = _token_key(request)
        self._store.put(
            {
                "pk": pk,
                "sk": sk,
                "token": request.interaction_token,
                "usable_until_ms": issued + TOKEN_WINDOW_MS,
                "ttl": (issued + TOKEN_TTL_AFTER_MS) // 1000,
            }
        )

    # --- the job ------------------------------------------------------------------------------

    def run_job(self, job: Job) -> None:
        """The job runner's entry: the payload is a ReportRequest as submitted; its token, when
        kept, is read back from the store (None once gone or past its window)."""
        request = ReportRequest(**job.payload)
        if request.token_kept and request.interaction_token is None:
            request = replace(request, interaction_token=self._kept_token(request))
        self.run(request)

    def _kept_token(self, request: ReportRequest) -> str | None:
        item = self._store.get(_token_key(request))
        if item is None or self._clock.now_ms() >= int(item.get("usable_until_ms", 0)):
            return None
        token = item.get("token")
        return token if isinstance(token, str) else None

    def _forget_token(self, request: ReportRequest) -> None:
        """Best effort: the item's ttl deletes it anyway."""
        if not request.token_kept:
            return
        try:
            self._store.delete(_token_key(request))
        except DomainError:
            log.warning("report token not deleted", extra={"payroll_id": request.payroll_id})

    def run(self, request: ReportRequest) -> dict[str, Any]:
        """Build (once per version) and deliver (once per request). Raises when this attempt
        failed, after telling the user if it was the last one, so the runner retries it or
        sends it to the on-failure queue."""
        attempt = self._count_attempt(request)
        try:
            files = self.build(request.guild_id, request.payroll_id)
            outcome = self._deliver_once(request, files)
        except DeliveryInProgress:
            raise  # not a failure: the runner tries again once the other attempt is done
        except Exception as error:
            self._failed(request, error, final=attempt >= MAX_ATTEMPTS)
            raise
        self._forget_token(request)  # delivered (or already): no attempt will need it again
        self._record_outcome("ok", request.payroll_id, "")
        return outcome

    def _count_attempt(self, request: ReportRequest) -> int:
        """This attempt's number for this request (1, 2, 3): counted per request, so that a
        payroll rebuilt many times still gets its full set of retries each time."""
        pk, sk = _attempts_key(request)
        ttl = self._clock.now_ms() // 1000 + ATTEMPTS_TTL_S
        counted = self._store.update((pk, sk), Update(add={"attempts": 1}, set={"ttl": ttl}))
        return int(counted.get("attempts", 1))

    def build(self, guild_id: str, payroll_id: str) -> ReportFiles:
        version = self._payroll.get(guild_id, payroll_id)
        if version.status is PayrollStatus.DRAFT:
            raise StateConflict("Only a finalized payroll has a report.")
        data = self.report_data(version)
        digest = content_hash(data)
        base = f"reports/{guild_id}/{version.session_id}/{payroll_id}"
        stem = f"payroll-{_slug(version.session_name)}-v{version.number}"
        state = self._store.get(_state_key(guild_id, payroll_id)) or {}
        pdf_key, csv_key = f"{base}/{stem}.pdf", f"{base}/{stem}.csv"
        json_key = f"{base}/{stem}.json"
        cached = state.get("hash") == digest and state.get("json_key") == json_key
        pdf = self.blobs.get(pdf_key) if cached else None
        csv = self.blobs.get(csv_key) if cached else None
        doc = self.blobs.get(json_key) if cached else None
        if pdf is None or csv is None or doc is None:
            started = time.perf_counter()
            pdf_bytes, csv_bytes = self._renderer(data)
            json_bytes = render_json_file(data)
            self._emit(
                Metric("ReportsBuilt", "Count", 1),
                Metric("ReportBuildMs", "Milliseconds", (time.perf_counter() - started) * 1000),
            )
            self.blobs.put(pdf_key, pdf_bytes, "application/pdf")
            self.blobs.put(csv_key, csv_bytes, "text/csv; charset=utf-8")
            self.blobs.put(json_key, json_bytes, JSON_MEDIA_TYPE)
            self._store.update(
                _state_key(guild_id, payroll_id),
                Update(
                    set={
                        "hash": digest,
                        "pdf_key": pdf_key,
                        "csv_key": csv_key,
                        "json_key": json_key,
                        "pdf_bytes": len(pdf_bytes),
                        "built_ms": self._clock.now_ms(),
                        "session_id": version.session_id,
                    }
                ),
            )
        else:
            pdf_bytes, csv_bytes, json_bytes = pdf.data, csv.data, doc.data
        return ReportFiles(
            report_id=data.report_id,
            pdf_key=pdf_key,
            csv_key=csv_key,
            pdf_name=f"{stem}.pdf",
            csv_name=f"{stem}.csv",
            pdf=pdf_bytes,
            csv=csv_bytes,
            summary=_summary(data),
            report_channel_id=self._report_channel(version),
            json_key=json_key,
            json_name=f"{stem}.json",
            json=json_bytes,
        )

    def _report_channel(self, version: PayrollVersion) -> str | None:
        """Where a report is posted as the bot: the org's report channel for a Sunday op; for an
        adhoc session, its own channel's text chat. An adhoc session is its creator's business,
        never the org's report channel (any member may run one where no adhoc role is set)."""
        if version.session_type is SessionType.ADHOC:
            session = self._sessions.get(version.guild_id, version.session_id)
            return session.channel_ids[0] if session.channel_ids else None
        return self._guilds.get(version.guild_id).settings.report_channel_id

    def report_data(self, version: PayrollVersion) -> ReportData:
        session = self._sessions.get(version.guild_id, version.session_id)
        summary = self._summaries.summary_of(session)
        now = self._clock.now_ms()
        stopped = session.stopped_ms or now
        config = self._guilds.get(version.guild_id)
        read_jobs = self._session_jobs
        jobs = read_jobs(version.guild_id, session.session_id) if read_jobs else ()
        return build_report_data(
            version,
            session,
            time_zone=config.settings.time_zone,
            records=summary.records,
            gaps=gaps_between(self._store, now, session.started_ms, stopped),
            lookup_names=self._lookup_names,
            lookup_handles=self._lookup_handles,
            guild_name=config.settings.org_name,
            channel_names={c.channel_id: c.name for c in config.channels if c.name},
            refinery_jobs=jobs,
        )

    def _deliver_once(self, request: ReportRequest, files: ReportFiles) -> dict[str, Any]:
        if self._deliverer is None:
            return {"delivered": False, "reason": "no Discord delivery configured"}
        now = self._clock.now_ms()
        marker = (keys.guild_pk(request.guild_id), _delivery_sk(request))
        claimed = self._send_once.claim(marker)
        if claimed.claim is Claim.DONE:
            log.info("report already delivered", extra={"payroll_id": request.payroll_id})
            return {"delivered": False, "reason": "already delivered for this request"}
        if claimed.claim is Claim.BUSY:
            # Another attempt claimed it moments ago (a duplicated invoke) and may still be
            # sending: neither send again nor call it done; the runner retries later.
            raise DeliveryInProgress()
        if claimed.claim is Claim.RESUMED:
            # The message the dead attempt may have sent is deduplicated by its nonce
            # (reports/sending.py).
            log.info("report delivery resumed", extra={"payroll_id": request.payroll_id})
            request = replace(request, resumed=True)
        link = self.links.url(files.report_id, now_s=now // 1000)
        files = replace(files, links=self._other_links(files.report_id, now // 1000))
        try:
            outcome = self._deliverer.deliver(request, files, link)
        except Exception:
            self._send_once.mark(marker, FAILED)
            raise
        # Sent: whatever happens to the marker now, this attempt succeeded (a failure here would
        # have the runner retry, and the retry send it twice).
        self._send_once.mark(marker, SENT, sent_ms=self._clock.now_ms())
        return {"delivered": True, "link": link, **outcome}

    def _failed(self, request: ReportRequest, error: Exception, *, final: bool) -> None:
        kind = type(error).__name__
        log.warning(
            "report attempt failed",
            extra={"payroll_id": request.payroll_id, "error_kind": kind, "final": final},
        )
        self._record_outcome("failed", request.payroll_id, kind)
        self._emit(Metric("ReportsFailed", "Count", 1), final="yes" if final else "no")
        if not final or self._deliverer is None:
            return
        reason = error.message if isinstance(error, DomainError) else "something went wrong"
        text = (
            f"The payroll report could not be made ({reason.rstrip('.')}); "
            f"to try again, {REBUILD_HINT}."
        )
        try:
            self._deliverer.notify_failure(request, text)
        except Exception:
            log.warning("could not tell the user the report failed", exc_info=False)

    def _record_outcome(self, outcome: str, payroll_id: str, error_kind: str) -> None:
        try:
            self._store.put(
                {
                    "pk": LAST_OUTCOME_KEY[0],
                    "sk": LAST_OUTCOME_KEY[1],
                    "outcome": outcome,
                    "payroll_id": payroll_id,
                    "error_kind": error_kind,
                    "at_ms": self._clock.now_ms(),
                }
            )
        except DomainError:
            log.warning("could not record the report outcome")

    def last_outcome(self) -> dict[str, Any] | None:
        return self._store.get(LAST_OUTCOME_KEY)

    def health(self) -> tuple[str, str, str | None]:
        """(status, value, fix) for diagnostics: the store is writable, jobs can start, and
        how the last report went. Status is "ok", "warn" or "fail"."""
        try:
            self.blobs.check_writable()
        except DomainError as error:
            return (
                "fail",
                error.message,
                f"Check {self.blobs.where} exists and the app may write it.",
            )
        if self.jobs is None:
            return (
                "warn",
                f"{self.blobs.where} writable, but reports can't be requested",
                "Set SM_REPORTS_FUNCTION to the reports function (the template does).",
            )
        last = self.last_outcome()
        if last is None:
            return "ok", f"{self.blobs.where} writable; no report built yet", None
        ago = max(0, self._clock.now_ms() - int(last["at_ms"])) // 60_000
        if last.get("outcome") == "failed":
            return (
                "warn",
                f"the last report failed {ago} min ago ({last.get('error_kind') or 'error'})",
                "Press Rebuild report on that payroll; if it fails again, read the reports "
                "function's log and the on-failure queue.",
            )
        return "ok", f"{self.blobs.where} writable; last report built {ago} min ago", None

    # --- links --------------------------------------------------------------------------------

    def link_for(self, guild_id: str, payroll_id: str, kind: str = PDF) -> str:
        return self.links.url(
            report_id(guild_id, payroll_id), now_s=self._clock.now_ms() // 1000, kind=kind
        )

    def _other_links(self, identifier: str, now_s: int) -> tuple[tuple[str, str], ...]:
        """The signed links to the CSV and the JSON, delivered beside the PDF's."""
        return tuple(
            (_LINK_LABELS[kind], self.links.url(identifier, now_s=now_s, kind=kind))
            for kind in KINDS
            if kind != PDF
        )

    def open(self, identifier: str, sig: str, kind: str = PDF) -> OpenedReport:
        """Check the signature, then find the file of that kind: PermissionDenied / NotFound
        otherwise."""
        self.links.check(identifier, sig, now_s=self._clock.now_ms() // 1000, kind=kind)
        parts = split_report_id(identifier)
        if parts is None or not is_id(parts[1]):
            raise NotFound("There is no such report.")
        state = self._store.get(_state_key(*parts))
        missing = NotFound(
            f"This report is not available any more; to make it again, {REBUILD_HINT}."
        )
        # A report built before it had a JSON has no json_key: a rebuild adds it.
        if not state or f"{kind}_key" not in state:
            raise missing
        key = str(state[f"{kind}_key"])
        filename = key.rsplit("/", 1)[-1]
        media = _MEDIA_TYPES[kind]
        if not self.blobs.exists(key):
            raise missing
        url = self.blobs.presigned_url(key, filename=filename, expires_s=LINK_REDIRECT_S)
        if url is not None:
            return OpenedReport(redirect_url=url, filename=filename, media_type=media)
        blob = self.blobs.get(key)
        if blob is None:
            raise missing
        return OpenedReport(data=blob.data, filename=filename, media_type=media)


JSON_MEDIA_TYPE = "application/json"  # json_export.MEDIA_TYPE; the app's builds leave it out
_MEDIA_TYPES = {
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
    "json": JSON_MEDIA_TYPE,
}
_LINK_LABELS = {"csv": "CSV (spreadsheet)", "json": "JSON (for programs)"}


def _state_key(guild_id: str, payroll_id: str) -> tuple[str, str]:
    return (keys.guild_pk(guild_id), f"{STATE_PREFIX}{payroll_id}")


def _delivery_sk(request: ReportRequest) -> str:
    return f"{DELIVERY_PREFIX}{request.payroll_id}#{request.request_key[:64]}"


def _attempts_key(request: ReportRequest) -> Key:
    return (
        keys.guild_pk(request.guild_id),
        f"{ATTEMPTS_PREFIX}{request.payroll_id}#{request.request_key[:64]}",
    )


def _token_key(request: ReportRequest) -> Key:
    return (
        keys.guild_pk(request.guild_id),
        f"{TOKEN_PREFIX}{request.payroll_id}#{request.request_key[:64]}",
    )


def _slug(name: str) -> str:
    return _SLUG.sub("-", name.casefold()).strip("-")[:40] or "session"


def _summary(data: ReportData) -> str:
    state = "final" if data.status.value == "final" else "superseded"
    return (
        f"Payroll report for **{data.session_name}** (version {data.version}, {state}): "
        f"{counted(len(data.payees), 'payee')}, {format_auec(data.gross)} gross.\n"
        "Every payout is in the report, to the last aUEC."
    )
