"""What the composition roots hand to the glue: ``Services`` (every service, the heavy ones
made on first use), ``ReportSetup`` (what reports need from outside) and ``Once``, the one way to
build something on first use. The glue (``interactions/``, ``web/``) imports these types from
here, never the wiring that fills them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Generic, TypeVar, cast

from sunday_mining.domain.clock import Clock
from sunday_mining.domain.errors import NotFound
from sunday_mining.ports.blobs import BlobStore
from sunday_mining.ports.jobs import JobQueue
from sunday_mining.ports.store import Store
from sunday_mining.reports.links import ReportLinks
from sunday_mining.services.errors import ErrorLog
from sunday_mining.services.guilds import GuildService
from sunday_mining.services.handles import Handles
from sunday_mining.services.member_prefs import MemberPrefs
from sunday_mining.services.names import MemberNames
from sunday_mining.services.notices import ChannelPoster, Notices
from sunday_mining.services.prices import PriceService
from sunday_mining.services.replays import SeenInteractions
from sunday_mining.services.sessions import SessionService
from sunday_mining.services.summary import SummaryService
from sunday_mining.services.voice import VoiceIngestService
from sunday_mining.services.worker import WorkerService

if TYPE_CHECKING:  # loaded on first use (see Services.payroll, .reports and .diagnostics)
    from sunday_mining.reports.service import Deliverer, ReportService
    from sunday_mining.services.books import Books
    from sunday_mining.services.diagnostics import DiagnosticsService
    from sunday_mining.services.payout_notices import NoticeRest, PayoutNotices
    from sunday_mining.services.payroll import PayrollService
    from sunday_mining.services.refinery import RefineryService
    from sunday_mining.services.unpaid_reminder import UnpaidReminder


T = TypeVar("T")


class Once(Generic[T]):
    """A value made by ``make`` on first use, once, even when two threads ask at the same time."""

    def __init__(self, make: Callable[[], T]) -> None:
        self._make: Callable[[], T] | None = make
        self._value: T | None = None
        self._lock = threading.Lock()

    def __call__(self) -> T:
        if self._make is not None:
            with self._lock:
                if self._make is not None:
                    self._value, self._make = self._make(), None
        return cast("T", self._value)


@dataclass(frozen=True)
class Services:
    store: Store
    clock: Clock
    guilds: GuildService
    sessions: SessionService
    summaries: SummaryService
    voice: VoiceIngestService
    worker: WorkerService
    prices: PriceService
    errors: ErrorLog
    names: MemberNames
    seen: SeenInteractions
    handles: Handles
    prefs: MemberPrefs
    make_diagnostics: Callable[[], DiagnosticsService] = field(repr=False)
    make_payroll: Callable[[], PayrollService] = field(repr=False)
    make_books: Callable[[], Books] = field(repr=False)
    # None: this installation builds no reports.
    make_reports: Callable[[], ReportService] | None = field(default=None, repr=False)
    notices: Notices | None = None  # None: nothing is posted on the app's own initiative
    make_refinery: Callable[[], RefineryService] | None = field(default=None, repr=False)
    # None: payees are never told their line by direct message here.
    make_payout_notices: Callable[[], PayoutNotices] | None = field(default=None, repr=False)
    # None: no weekly reminder of unpaid lines (nothing can post as the bot).
    make_unpaid_reminder: Callable[[], UnpaidReminder] | None = field(default=None, repr=False)

    @property
    def payout_notices(self) -> PayoutNotices | None:
        return None if self.make_payout_notices is None else self.make_payout_notices()

    @property
    def diagnostics(self) -> DiagnosticsService:
        return self.make_diagnostics()

    @property
    def payroll(self) -> PayrollService:
        return self.make_payroll()

    @property
    def books(self) -> Books:
        return self.make_books()

    @property
    def refinery(self) -> RefineryService:
        if self.make_refinery is None:
            raise NotFound("Refinery jobs aren't available in this installation.")
        return self.make_refinery()

    @property
    def reports(self) -> ReportService | None:
        return None if self.make_reports is None else self.make_reports()


@dataclass(frozen=True)
class ReportSetup:
    """What reports need from outside: where files go, the link key, how jobs run and how
    Discord is reached. ``jobs`` is None inside the reports function itself."""

    blobs: BlobStore
    links: ReportLinks
    jobs: JobQueue | None = None
    deliverer: Deliverer | None = None
    # Posts as the bot (notices such as "this adhoc session stopped"); made on first use.
    channel_poster: Callable[[], ChannelPoster] | None = None
    # Direct messages to members and follow-ups (payout notices); made on first use.
    messenger: Callable[[], NoticeRest] | None = None
    # Only this process delivers reports (see reports.service.ReportService).
    sole_sender: bool = False
