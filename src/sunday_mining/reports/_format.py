"""How the report writes times, multipliers and SCU: shared by the PDF and the CSV so both say
the same thing (durations are written by ``domain.durations``, as in Discord). Times are shown
in the guild's time zone; an unknown zone falls back to UTC (and says so) rather than failing
the report. Standard library only.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_DASH = "\u2013"  # an en dash, escaped because linters take it for a hyphen
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")  # not %a: that follows the locale


@cache
def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        return ZoneInfo("UTC")


def zone_label(name: str) -> str:
    shown = zone(name).key
    return shown if shown == name else f"UTC (the guild's time zone {name!r} is unknown)"


def _local(ms: int, tz: ZoneInfo) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz)


def local_time(ms: int, tz: ZoneInfo) -> str:
    """2026-06-07 20:00 CEST"""
    moment = _local(ms, tz)
    return f"{moment:%Y-%m-%d %H:%M} {moment.tzname()}"


def local_date(ms: int, tz: ZoneInfo) -> str:
    """2026-06-07"""
    return f"{_local(ms, tz):%Y-%m-%d}"


def clock(ms: int, tz: ZoneInfo) -> str:
    return f"{_local(ms, tz):%H:%M}"


def when_line(start_ms: int, stop_ms: int, tz: ZoneInfo) -> str:
    """Sun 2026-06-07, 20:00:00 to 23:50:12 CEST (with a dash); both dates past midnight. To the
    second: credited time is, and a member's full time is exactly this span."""
    start, stop = _local(start_ms, tz), _local(stop_ms, tz)
    first = f"{_DAYS[start.weekday()]} {start:%Y-%m-%d}"
    if start.date() == stop.date():
        return f"{first}, {start:%H:%M:%S} {_DASH} {stop:%H:%M:%S} {stop.tzname()}"
    last = f"{_DAYS[stop.weekday()]} {stop:%Y-%m-%d}"
    return f"{first} {start:%H:%M:%S} {_DASH} {last} {stop:%H:%M:%S} {stop.tzname()}"


def multiplier(milli: int | None) -> str:
    if milli is None:
        return "—"
    whole, frac = divmod(milli, 1000)
    return "\u00d7" + f"{whole}.{frac:03d}".rstrip("0").rstrip(".")


def scu(centi: int) -> str:
    whole, rest = divmod(centi, 100)
    return f"{whole:,}.{rest:02d}".rstrip("0").rstrip(".")
