"""Refinery jobs: the nine methods, the yield estimate, the time left as the game shows it, a
job's life (open, collected, cancelled; one notice when it is due) and what collected jobs add
to a payroll's haul.

Pure and standard library only. Raw and refined amounts are integer centi-SCU (1 SCU = 100
cSCU) and every factor is a ``Decimal`` read from its written digits, so no estimate passes
through a float. Times are UTC epoch milliseconds handed in by the caller; money is ``int`` aUEC.

The game changes refining between patches. Its figures live in :data:`METHODS` and
:data:`DEFAULT_ORE_FACTOR`, tagged with :data:`GAME_VERSION`, and nowhere else; a computed
yield is always an *estimate* (what was collected is typed by the player).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal, localcontext
from enum import StrEnum

from sunday_mining.domain import ores as ore_catalogue
from sunday_mining.domain.errors import StateConflict, ValidationError
from sunday_mining.domain.ores import Ore
from sunday_mining.domain.payroll import (
    CENTI_PER_SCU,
    MAX_SALE_TOTAL,
    MAX_SCU_CENTI_PER_LINE,
    Expense,
)

GAME_VERSION = "4.5"
_LABEL_CHARS = 40  # an expense label, as the payroll shows it

# --- methods ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Method:
    """A refining method. ``yield_factor`` multiplies the ore that comes out; ``time_factor``
    and ``cost_factor`` compare the methods with each other (Electrostarolysis takes time 1);
    the ``rating_*`` are UEX's 1 (low) to 3 (high) for the same method. Time and cost are
    shown, never computed: the game's figures for a job are typed as it shows them."""

    code: str
    name: str
    yield_factor: Decimal
    time_factor: Decimal
    cost_factor: Decimal
    rating_yield: int
    rating_cost: int
    rating_speed: int


def _method(code: str, name: str, factors: str, ratings: str) -> Method:
    yield_factor, time_factor, cost_factor = (Decimal(f) for f in factors.split())
    rating_yield, rating_cost, rating_speed = (int(r) for r in ratings.split("/"))
    return Method(
        code, name, yield_factor, time_factor, cost_factor, rating_yield, rating_cost, rating_speed
    )


# Game version 4.5: yield factor, time x, cost x; then UEX's yield/cost/speed ratings. Before
# 4.5 the three yield tiers were 1.0 / 0.85 / 0.70; 4.5's are those x 0.5293.
METHODS: tuple[Method, ...] = (
    _method("DIN", "Dinyx Solventation", "0.5293 12 1", "3/1/1"),
    _method("FRX", "Ferron Exchange", "0.5293 4 2", "3/2/1"),
    _method("PYR", "Pyrometric Chromalysis", "0.5293 2 6", "3/3/1"),
    _method("EST", "Electrostarolysis", "0.45 1 2", "2/2/2"),
    _method("TND", "Thermonatic Deposition", "0.45 3 1", "2/2/1"),
    _method("GAS", "Gaskin Process", "0.45 0.5 6", "2/3/3"),
    _method("COR", "Cormack", "0.3705 0.25 2", "1/2/3"),
    _method("KZW", "Kazen Winnowing", "0.3705 0.75 1", "1/2/2"),
    _method("XCR", "XCR Reaction", "0.3705 0.125 6", "1/3/3"),
)
_BY_CODE = {m.code: m for m in METHODS}
# What people type for a method: its code, its full name or the first word of the name.
_METHOD_KEYS = {key.casefold(): m for m in METHODS for key in (m.code, m.name, m.name.split()[0])}


def method_by_code(code: str) -> Method:
    """The method stored under ``code`` ("DIN"); KeyError for a code this game version lacks."""
    return _BY_CODE[code]


def parse_method(text: str) -> Method:
    """A method as typed: its code ("din"), its name or its first word ("Dinyx")."""
    found = _METHOD_KEYS.get(" ".join(text.split()).casefold())
    if found is None:
        raise ValidationError(
            f"'{_shown(text)}' isn't a refining method; pick one from the list, e.g. Dinyx."
        )
    return found


# --- ore amounts as typed --------------------------------------------------------------------

_SCU = re.compile(r"(\d{1,9})(?:\.(\d{1,2}))?", re.ASCII)
_PARTS = re.compile(r"[,;\n]")


@dataclass(frozen=True)
class OreAmount:
    """An ore (UEX commodity id) and an amount of it in centi-SCU."""

    ore_id: int
    scu_centi: int


def parse_scu(text: str, what: str) -> int:
    """SCU as typed ("12.5", "48 scu") to centi-SCU, exactly; at most two decimals."""
    centi = _scu_centi(text)
    if centi is None:
        raise ValidationError(f"{what}: '{_shown(text)}' isn't an amount of SCU; type e.g. 12.5.")
    if not 0 < centi <= MAX_SCU_CENTI_PER_LINE:
        raise ValidationError(f"{what}: type an amount above 0 and up to 100,000 SCU.")
    return centi


def _scu_centi(text: str) -> int | None:
    match = _SCU.fullmatch(text.strip().casefold().removesuffix("scu").strip())
    if match is None:
        return None
    return int(match.group(1)) * CENTI_PER_SCU + int((match.group(2) or "").ljust(2, "0"))


def parse_ore_amounts(text: str) -> tuple[OreAmount, ...]:
    """A pasted list, "Quantainium 48, Gold 12.5" (commas, semicolons or lines), each ore as
    the catalogue finds it; every part that can't be read is named and nothing is kept."""
    parts = [p.strip() for p in _PARTS.split(text) if p.strip()]
    if not parts:
        raise ValidationError("Paste at least one ore and its SCU, e.g. Quantainium 48.")
    amounts: list[OreAmount] = []
    problems: list[str] = []
    for part in parts:
        try:
            amounts.append(_ore_amount(part))
        except ValidationError as failure:
            problems.append(f"'{_shown(part)}' ({failure.message.rstrip('.')})")
    if problems:
        more = f" and {len(problems) - 3} more" if len(problems) > 3 else ""
        raise ValidationError(
            f"I couldn't read {'; '.join(problems[:3])}{more}; "
            "type each ore and its SCU, e.g. Quantainium 48, Gold 12.5."
        )
    return tuple(amounts)


def _ore_amount(part: str) -> OreAmount:
    words = part.replace(":", " ").replace("=", " ").split()
    if words and words[-1].casefold() == "scu":
        words.pop()
    if len(words) < 2:
        raise ValidationError("an ore and its SCU, please")
    name = " ".join(words[:-1])
    ore = ore_catalogue.lookup(name)
    if ore is None:
        raise ValidationError(f"no ore called '{_shown(name)}'")
    centi = _scu_centi(words[-1])
    if centi is None:
        raise ValidationError(f"'{_shown(words[-1])}' isn't an amount of SCU")
    if not 0 < centi <= MAX_SCU_CENTI_PER_LINE:
        raise ValidationError("the SCU must be above 0 and up to 100,000")
    return OreAmount(ore.uex_id, centi)


def raw_ores(amounts: Iterable[OreAmount]) -> tuple[OreAmount, ...]:
    """The same amounts keyed by the raw form of each ore, which is what a refinery takes and
    what UEX's yield bonuses are keyed by ("Gold" means Gold (Ore) here). An ore without a
    refined form, or one listed twice, is refused."""
    seen: dict[int, OreAmount] = {}
    for amount in amounts:
        ore = _catalogue_ore(amount.ore_id)
        raw = ore_catalogue.raw_of(ore)
        if raw is None or raw.refined_id is None:
            raise ValidationError(f"{ore.name} isn't refined; leave it out of the job.")
        if raw.uex_id in seen:
            raise ValidationError(f"{_refined_name(raw)} is listed twice; keep one amount for it.")
        seen[raw.uex_id] = OreAmount(raw.uex_id, amount.scu_centi)
    return tuple(seen.values())


# --- the yield estimate ----------------------------------------------------------------------

# Public tools take 0.85 for every ore when they know nothing better; an officer may override it
# per ore. Bonuses from UEX are small integer percentages (seen -9 ... +13).
DEFAULT_ORE_FACTOR = Decimal("0.85")
MIN_BONUS_PERCENT = -100
MAX_BONUS_PERCENT = 100


@dataclass(frozen=True)
class OreYield:
    """One ore of a job, estimated: ``refined_centi`` comes out of the refinery and
    ``collected_scu`` whole SCU boxes are collected (the game fills the last box)."""

    ore_id: int  # the raw ore
    raw_centi: int
    bonus_percent: int
    refined_centi: int
    collected_scu: int


def refined_centi(
    raw_centi: int,
    method: Method,
    bonus_percent: int = 0,
    ore_factor: Decimal = DEFAULT_ORE_FACTOR,
) -> int:
    """raw cSCU x ore factor x (1 + bonus / 100) x method factor, to the nearest cSCU (half up).

    The exact product has more digits than a cSCU; it is rounded to whole cSCU, the unit the
    game and the tools count in, before the boxes are counted, so the refined amount shown and
    the boxes collected never disagree (26.00 SCU is 26 boxes, not 27).
    """
    _check_estimate(raw_centi, bonus_percent, ore_factor)
    bonus = Decimal(100 + bonus_percent) / 100
    with localcontext() as exact:
        exact.prec = 40  # the product of these few-digit factors is exact at this precision
        product = Decimal(raw_centi) * ore_factor * bonus * method.yield_factor
        return int(product.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def collected_scu(refined: int) -> int:
    """Whole SCU boxes for ``refined`` cSCU of one ore: rounded up, per ore."""
    return -(-refined // CENTI_PER_SCU)


def estimate(
    amounts: Iterable[OreAmount],
    method: Method,
    bonuses: Mapping[int, int],
    ore_factors: Mapping[int, Decimal] | None = None,
) -> tuple[OreYield, ...]:
    """Each raw ore's yield at a refinery whose UEX bonus per raw ore id is ``bonuses`` (an
    ore without a row has no bonus), with the default ore factor unless ``ore_factors`` says."""
    factors = ore_factors or {}
    yields = []
    for amount in amounts:
        bonus = bonuses.get(amount.ore_id, 0)
        factor = factors.get(amount.ore_id, DEFAULT_ORE_FACTOR)
        refined = refined_centi(amount.scu_centi, method, bonus, factor)
        yields.append(
            OreYield(amount.ore_id, amount.scu_centi, bonus, refined, collected_scu(refined))
        )
    return tuple(yields)


def _check_estimate(raw_centi: int, bonus_percent: int, ore_factor: Decimal) -> None:
    if type(raw_centi) is not int or raw_centi < 0:
        raise ValueError("raw cSCU must be a whole number, 0 or more")
    if type(bonus_percent) is not int or not (
        MIN_BONUS_PERCENT <= bonus_percent <= MAX_BONUS_PERCENT
    ):
        raise ValueError("a refinery bonus is a whole percentage between -100 and 100")
    if not isinstance(ore_factor, Decimal) or not 0 <= ore_factor <= 1:
        raise ValueError("an ore factor is a Decimal between 0 and 1")


# --- the time left, as the game shows it -----------------------------------------------------

SECOND_MS = 1_000
MINUTE_MS = 60 * SECOND_MS
HOUR_MS = 60 * MINUTE_MS
DAY_MS = 24 * HOUR_MS
MAX_TIME_LEFT_MS = 30 * DAY_MS  # jobs run minutes to a few days; more is a typo
_UNITS: tuple[tuple[str, int, int], ...] = (  # (unit, ms, how many make the next larger unit)
    ("d", DAY_MS, 0),
    ("h", HOUR_MS, 24),
    ("m", MINUTE_MS, 60),
    ("s", SECOND_MS, 60),
)
_UNIT_WORDS = {
    **dict.fromkeys(("d", "day", "days"), "d"),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), "h"),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), "m"),
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), "s"),
}
_TERM = re.compile(r"(\d{1,6})([a-z]+)", re.ASCII)  # 6 digits: 999999m is over the cap
_CLOCK = re.compile(r"(\d{1,3}):([0-5]\d):([0-5]\d)", re.ASCII)
_EXAMPLE = "e.g. 12h 30m, 45m or 1d 2h"


def parse_time_left(text: str) -> int:
    """The time left on a job in ms, as the game shows it or close to it.

    Accepted: whole numbers with a unit, largest unit first, each unit once: "12h 30m", "45m",
    "1d 2h", "2h", "90m", "1h30m", "1 day 2 hours"; any case, spaces optional; or h:mm:ss
    ("2:30:00"). The first unit may be as large as it likes ("25h", "90m"); a later one stays
    below the unit before it ("25h 70m" is refused: minutes after hours go to 59). Refused
    too, each with a sentence saying what to type: nothing, a bare number ("12": hours or
    minutes?), a sign, a fraction, 0 and anything over 30 days.
    """
    cleaned = " ".join(text.replace(",", " ").casefold().split())
    if not cleaned:
        raise ValidationError(f"Type the time left as the game shows it, {_EXAMPLE}.")
    if cleaned.startswith(("-", "+")):
        raise ValidationError(f"The time left can't have a sign; type it as shown, {_EXAMPLE}.")
    if cleaned.isascii() and cleaned.isdigit():
        raise ValidationError(f"'{_shown(text)}' has no unit; type {cleaned}h or {cleaned}m.")
    if "." in cleaned:
        raise ValidationError("Use whole numbers in the time left, e.g. 1h 30m for 1.5h.")
    clock = _CLOCK.fullmatch(cleaned)
    total = _clock_ms(clock) if clock else _terms_ms(text, cleaned.replace(" ", ""))
    if total <= 0:
        raise ValidationError("The time left must be more than 0; if the job is done, collect it.")
    if total > MAX_TIME_LEFT_MS:
        raise ValidationError(
            "A refinery job takes at most 30 days; type the time left the game shows, e.g. 1d 2h."
        )
    return total


def _clock_ms(match: re.Match[str]) -> int:
    hours, minutes, seconds = (int(g) for g in match.groups())
    return hours * HOUR_MS + minutes * MINUTE_MS + seconds * SECOND_MS


def _terms_ms(text: str, packed: str) -> int:
    matches = list(_TERM.finditer(packed))
    if not matches or "".join(m.group(0) for m in matches) != packed:
        raise ValidationError(f"'{_shown(text)}' isn't a time left; type it as shown, {_EXAMPLE}.")
    total, last, overflow = 0, -1, ""
    names = ("days", "hours", "minutes", "seconds")
    for match in matches:
        number, unit = int(match.group(1)), _UNIT_WORDS.get(match.group(2))
        rank = next((i for i, spec in enumerate(_UNITS) if spec[0] == unit), None)
        if rank is None or rank <= last:
            raise ValidationError(
                f"'{_shown(text)}' isn't a time left; use d, h, m and s once each, largest "
                f"first, {_EXAMPLE}."
            )
        _, unit_ms, carry = _UNITS[rank]
        if last >= 0 and number >= carry and not overflow:
            overflow = f"{names[rank]} after the {names[last]} go up to {carry - 1}"
        total, last = total + number * unit_ms, rank
    if overflow and total <= MAX_TIME_LEFT_MS:  # past the cap, the cap is what to say
        shown = format_time_left(total)
        raise ValidationError(f"In '{_shown(text)}' the {overflow}; type {shown} instead.")
    return total


def format_time_left(ms: int) -> str:
    """The time left the way it is typed: "1d 2h 30m", "45m", "2h 5m 12s" (seconds only when
    there are any; less than a second reads "0m"). :func:`parse_time_left` reads it back."""
    rest = max(0, ms) // SECOND_MS * SECOND_MS
    parts = []
    for name, unit_ms, _ in _UNITS:
        count, rest = divmod(rest, unit_ms)
        if count:
            parts.append(f"{count}{name}")
    return " ".join(parts) or "0m"


# --- jobs ------------------------------------------------------------------------------------


class JobState(StrEnum):
    OPEN = "open"
    COLLECTED = "collected"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class JobOre:
    """One raw ore put into a job: its raw cSCU, the refinery's UEX bonus for it when the job
    was added, and the refined cSCU collected (None until the job is collected)."""

    ore_id: int  # the raw ore's UEX id
    raw_centi: int
    bonus_percent: int = 0
    refined_centi: int | None = None


@dataclass(frozen=True)
class RefineryJob:
    """A refinery job as the store keeps it. Changed only through the functions below, each
    returning a new value; the store's copy is the truth about whether a notice went out."""

    guild_id: str
    job_id: str
    owner_id: str
    session_id: str | None
    terminal_id: int  # UEX's id; 0 for a refinery typed by name
    terminal_name: str
    method: Method
    ores: tuple[JobOre, ...]
    cost: int  # aUEC, the refinery fee as the game showed it
    created_ms: int
    due_ms: int
    state: JobState = JobState.OPEN
    closed_ms: int | None = None  # when it was collected or cancelled
    notified_ms: int | None = None  # when the due notice for ``due_ms`` was sent
    # Whether the estimate used the refinery's UEX yield bonuses (False: no bonus was known,
    # so none was applied).
    bonus_known: bool = False

    @property
    def is_open(self) -> bool:
        return self.state is JobState.OPEN

    @property
    def notified(self) -> bool:
        return self.notified_ms is not None

    def estimate(self, ore_factors: Mapping[int, Decimal] | None = None) -> tuple[OreYield, ...]:
        amounts = [OreAmount(o.ore_id, o.raw_centi) for o in self.ores]
        return estimate(amounts, self.method, _bonuses(self.ores), ore_factors)


def _bonuses(job_ores: Iterable[JobOre]) -> dict[int, int]:
    return {o.ore_id: o.bonus_percent for o in job_ores}


def open_job(
    *,
    guild_id: str,
    job_id: str,
    owner_id: str,
    session_id: str | None,
    terminal_id: int,
    terminal_name: str,
    method: Method,
    ores: Sequence[OreAmount],
    bonuses: Mapping[int, int] | None,
    cost: int,
    now_ms: int,
    time_left_ms: int,
) -> RefineryJob:
    """A new open job, due ``time_left_ms`` after ``now_ms``. ``ores`` may name either form
    of each ore (the job keeps the raw one); ``bonuses`` are the refinery's UEX bonuses by raw
    ore id, as ``refineries_yields`` gives them (an ore without one has none), or None when
    the refinery's bonuses are unknown (the estimate then uses none). ``terminal_id`` is UEX's
    id of the refinery, or 0 for a refinery typed by name that UEX's list did not have."""
    if not ores:
        raise ValidationError("Add at least one ore to the job, e.g. Quantainium 48.")
    checked = raw_ores(ores)  # refuses an ore listed twice or one that isn't refined
    if not terminal_name.strip() or terminal_id < 0:
        raise ValidationError("Pick the refinery the job runs at.")
    _check_cost(cost)
    _check_time_left(time_left_ms)
    known = bonuses or {}
    job_ores = tuple(JobOre(a.ore_id, a.scu_centi, known.get(a.ore_id, 0)) for a in checked)
    for job_ore in job_ores:
        _check_estimate(job_ore.raw_centi, job_ore.bonus_percent, DEFAULT_ORE_FACTOR)
    return RefineryJob(
        guild_id=guild_id,
        job_id=job_id,
        owner_id=owner_id,
        session_id=session_id,
        terminal_id=terminal_id,
        terminal_name=" ".join(terminal_name.split()),
        method=method,
        ores=job_ores,
        cost=cost,
        created_ms=now_ms,
        due_ms=now_ms + time_left_ms,
        bonus_known=bonuses is not None,
    )


def collect(job: RefineryJob, now_ms: int, refined: Mapping[int, int]) -> RefineryJob:
    """The job collected at ``now_ms`` with ``refined`` cSCU per raw ore id, as the player
    counted it (0 for an ore that gave nothing). Every ore of the job needs its amount."""
    _require_open(job, "collected")
    missing = [o for o in job.ores if o.ore_id not in refined]
    if missing:
        name = _refined_name(_catalogue_ore(missing[0].ore_id))
        raise ValidationError(f"Type how much {name} you collected (0 if none).")
    extra = set(refined) - {o.ore_id for o in job.ores}
    if extra:
        name = _refined_name(_catalogue_ore(min(extra)))
        raise ValidationError(f"{name} wasn't in this job; leave it out.")
    collected = tuple(
        replace(o, refined_centi=_checked_refined(o, refined[o.ore_id])) for o in job.ores
    )
    return replace(job, ores=collected, state=JobState.COLLECTED, closed_ms=now_ms)


def cancel(job: RefineryJob, now_ms: int) -> RefineryJob:
    """The job dropped: no notice, nothing in the haul."""
    _require_open(job, "cancelled")
    return replace(job, state=JobState.CANCELLED, closed_ms=now_ms)


def edit_time_left(job: RefineryJob, now_ms: int, time_left_ms: int) -> RefineryJob:
    """The time left corrected to what the game shows now: a new due time, and a notice for it
    even when the old due time was notified already (that notice was early)."""
    _require_open(job, "changed")
    _check_time_left(time_left_ms)
    return replace(job, due_ms=now_ms + time_left_ms, notified_ms=None)


def due_notice(job: RefineryJob, now_ms: int) -> bool:
    """Whether a notice is to go out for ``job`` at ``now_ms``: it is open, due, and its due
    time has not been notified. A schedule that fires twice, late, or after a restart asks
    again and gets False once :func:`mark_notified`'s result is stored."""
    return job.is_open and now_ms >= job.due_ms and job.notified_ms is None


def mark_notified(job: RefineryJob, now_ms: int) -> RefineryJob:
    """The job with its notice recorded; refused unless :func:`due_notice` says one is due,
    so that a stale copy can never record a second notice."""
    if not due_notice(job, now_ms):
        raise StateConflict("That job needs no notice now.")
    return replace(job, notified_ms=now_ms)


def _require_open(job: RefineryJob, verb: str) -> None:
    if not job.is_open:
        raise StateConflict(f"That job is {job.state.value} already; it can't be {verb} now.")


def _check_cost(cost: int) -> None:
    if type(cost) is not int or not 0 <= cost <= MAX_SALE_TOTAL:
        raise ValidationError("Type the refinery's cost in whole aUEC, e.g. 25000.")


def _check_time_left(time_left_ms: int) -> None:
    if type(time_left_ms) is not int or not 0 < time_left_ms <= MAX_TIME_LEFT_MS:
        raise ValidationError(f"Type the time left as the game shows it, {_EXAMPLE}.")


def _checked_refined(job_ore: JobOre, amount: int) -> int:
    if type(amount) is not int or amount < 0:
        raise ValidationError("Type the SCU collected as 0 or more, e.g. 27.")
    # The refinery never gives back more boxes than went in: yields are well below 1.
    if amount > collected_scu(job_ore.raw_centi) * CENTI_PER_SCU:
        name = _refined_name(_catalogue_ore(job_ore.ore_id))
        raise ValidationError(
            f"{name}: that is more than the job took in; type the SCU you collected."
        )
    return amount


# --- collected jobs into the haul ------------------------------------------------------------


@dataclass(frozen=True)
class RefinedOre:
    """Refined ore from one job, for an income line: the payroll prices it."""

    job_id: str
    ore_id: int  # the refined ore's UEX id, which terminals price
    scu_centi: int
    source: str  # "Refinery job at MIC-L1"


@dataclass(frozen=True)
class RefineryExpense:
    """A job's cost, reimbursed to its owner who paid the refinery."""

    job_id: str
    label: str  # "Refinery fee, MIC-L1"
    amount: int
    claimant_id: str

    def as_expense(self) -> Expense:
        return Expense(self.label, self.amount, self.claimant_id)


@dataclass(frozen=True)
class HaulInputs:
    ores: tuple[RefinedOre, ...]
    expenses: tuple[RefineryExpense, ...]

    def totals(self) -> dict[int, int]:
        """Refined cSCU per refined ore id over every job, for one income line per ore."""
        totals: dict[int, int] = {}
        for line in self.ores:
            totals[line.ore_id] = totals.get(line.ore_id, 0) + line.scu_centi
        return totals


def haul_inputs(jobs: Iterable[RefineryJob]) -> HaulInputs:
    """What collected jobs add to a payroll, each line naming its job: the refined ore of
    every ore that gave something, and the cost of every job that had one. Open and cancelled
    jobs add nothing. Lines come in order of collection, then job id."""
    collected = sorted(
        (j for j in jobs if j.state is JobState.COLLECTED),
        key=lambda j: (j.closed_ms or 0, j.job_id),
    )
    ores: list[RefinedOre] = []
    expenses: list[RefineryExpense] = []
    for job in collected:
        place = short_terminal_name(job.terminal_name)
        for job_ore in job.ores:
            if job_ore.refined_centi:
                refined_id = _refined_id(job_ore.ore_id)
                source = f"Refinery job at {place}"
                ores.append(RefinedOre(job.job_id, refined_id, job_ore.refined_centi, source))
        if job.cost:
            label = f"Refinery fee, {place}"[:_LABEL_CHARS]
            expenses.append(RefineryExpense(job.job_id, label, job.cost, job.owner_id))
    return HaulInputs(tuple(ores), tuple(expenses))


def short_terminal_name(name: str) -> str:
    """ "Refinement Processing - MIC-L1" -> "MIC-L1": the place, as players say it."""
    place = name.rpartition(" - ")[2].strip()
    return place or name.strip()


def _refined_id(raw_id: int) -> int:
    refined = ore_catalogue.refined_of(_catalogue_ore(raw_id))
    if refined is None:
        raise ValidationError(f"Ore {raw_id} has no refined form to sell; remove it from the job.")
    return refined.uex_id


# --- helpers ---------------------------------------------------------------------------------


def _catalogue_ore(ore_id: int) -> Ore:
    ore = ore_catalogue.get(ore_id)
    if ore is None:
        raise ValidationError(f"Ore {ore_id} isn't in the ore list; pick it again.")
    return ore


def _refined_name(ore: Ore) -> str:
    refined = ore_catalogue.refined_of(ore)
    return (refined or ore).name


def _shown(text: str) -> str:
    return " ".join(text.split())[:40] or "(empty)"
