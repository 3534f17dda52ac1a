"""How a duration is written, everywhere: Discord messages, the PDF, the CSV and the audit log.

Two forms and no others. ``duration_text`` is for reading ("2 h 45 min", "45 min"), cut to the
whole minute; ``hms`` is for where the exact time matters ("2:45:07"), such as the credited time
a share was computed from.
"""

from __future__ import annotations


def duration_text(seconds: int) -> str:
    """2 h 45 min; 45 min under an hour; a leading minus below zero (a time adjustment)."""
    sign = "-" if seconds < 0 else ""
    hours, rest = divmod(abs(seconds), 3600)
    if not hours:
        return f"{sign}{rest // 60} min"
    return f"{sign}{hours} h {rest // 60:02d} min"


def hms(seconds: int) -> str:
    """2:45:07 (hours past 24 stay hours: 27:00:00)."""
    sign = "-" if seconds < 0 else ""
    minutes, secs = divmod(abs(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{sign}{hours}:{minutes:02d}:{secs:02d}"


def age_text(age_ms: int) -> str:
    """How old something is, in the unit a person would use: "49 min", "5 h 10 min", "3 days"."""
    days = age_ms // 86_400_000
    return f"{days} days" if days >= 2 else duration_text(age_ms // 1000)
