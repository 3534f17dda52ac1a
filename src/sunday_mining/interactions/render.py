"""How sessions look in Discord. Rendering only: no decisions are made here."""

from __future__ import annotations

from sunday_mining.domain.durations import duration_text
from sunday_mining.domain.session import Session, SessionType, StopReason
from sunday_mining.interactions import custom_ids
from sunday_mining.interactions.responses import (
    COLOUR_INFO,
    COLOUR_OK,
    COLOUR_WARN,
    MAX_FIELD_VALUE,
    Embed,
    button,
    row,
)
from sunday_mining.services.summary import SessionSummary
from sunday_mining.services.worker import WorkerFreshness

TOP_TIMES = 10
_BADGE = {SessionType.SUNDAY: "⛏️ Sunday op", SessionType.ADHOC: "🪨 Adhoc"}
_STOPPED_BY = {
    StopReason.COMMAND: "stopped by command",
    StopReason.IDLE_TIMEOUT: "stopped after its channel stayed empty",
    StopReason.MAX_LENGTH: "stopped at the maximum session length",
}


def duration(ms: int) -> str:
    return duration_text(ms // 1000)


def seconds_text(seconds: int) -> str:
    return duration_text(seconds)


def channels_text(session: Session) -> str:
    return ", ".join(f"<#{c}>" for c in session.channel_ids)


def badge(session: Session) -> str:
    return _BADGE[session.type]


def _lines_within(lines: list[str], limit: int = MAX_FIELD_VALUE) -> str:
    """Join lines, dropping the tail (with a count) so the text fits an embed field."""
    kept: list[str] = []
    used = 0
    for index, line in enumerate(lines):
        more = f"…and {len(lines) - index} more"
        if used + len(line) + 1 > limit - len(more) - 1:
            kept.append(more)
            break
        kept.append(line)
        used += len(line) + 1
    return "\n".join(kept) or "—"


def worker_line(freshness: WorkerFreshness) -> str:
    age = freshness.age_ms
    if age is None:
        return "⚠️ The voice worker has not reported yet: joins and leaves are not being seen."
    if freshness.stale:
        return (
            f"⚠️ The voice worker was last heard {duration(age)} ago: time may be missing; "
            "see /mining diagnostics."
        )
    return f"✅ Voice worker heard {age // 1000} s ago."


def session_embed(summary: SessionSummary, freshness: WorkerFreshness | None) -> Embed:
    session = summary.session
    embed = Embed(
        title=f"{badge(session)} — {session.name}",
        colour=COLOUR_OK if session.is_active else COLOUR_INFO,
        description=(
            f"Channels: {channels_text(session)}\n"
            f"Running for {duration(summary.length_ms)} · started by <@{session.creator_id}>"
        ),
    )
    embed.add("Participants", str(len(summary.participants)), inline=True)
    if summary.participants:
        top = [
            f"<@{p.user_id}> — {seconds_text(p.credited_seconds)}"
            for p in summary.participants[:TOP_TIMES]
        ]
        embed.add("Top times", _lines_within(top))
    if freshness is not None and session.is_active:
        embed.add("Voice worker", worker_line(freshness))
    return embed


def status_message(
    summaries: list[SessionSummary], freshness: WorkerFreshness
) -> tuple[list[Embed], list[dict[str, object]]]:
    refresh = row(button("Refresh", custom_ids.make("status"), style=2))
    if not summaries:
        embed = Embed(
            "Nothing is running",
            "Start an op with /mining start, or a small session with /mining adhoc new.",
            COLOUR_INFO,
        )
        return [embed], [refresh]
    embeds = [session_embed(s, freshness) for s in summaries[:9]]
    if len(summaries) > 9:
        embeds.append(Embed("More sessions", f"{len(summaries) - 9} more are running."))
    return embeds, [refresh]


def stop_summary(summary: SessionSummary) -> tuple[Embed, list[dict[str, object]]]:
    session = summary.session
    reason = _STOPPED_BY.get(session.stop_reason or StopReason.COMMAND, "stopped")
    embed = Embed(
        title=f"{badge(session)} — {session.name} has stopped",
        colour=COLOUR_OK,
        description=f"{duration(summary.length_ms)} on {channels_text(session)}, {reason}.",
    )
    paid = [p for p in summary.participants if not p.below_minimum]
    credited = sum(p.credited_seconds for p in summary.participants)
    embed.add(
        "Participants", f"{len(summary.participants)} ({len(paid)} above the minimum)", inline=True
    )
    embed.add("Credited time", seconds_text(credited), inline=True)
    lines = [f"<@{p.user_id}> — {seconds_text(p.credited_seconds)}" for p in paid]
    embed.add("Paid time", _lines_within(lines) if lines else "Nobody reached the minimum.")
    if summary.below_minimum:
        low = [
            f"<@{p.user_id}> — {seconds_text(p.credited_seconds)}" for p in summary.below_minimum
        ]
        embed.add(
            f"Below the minimum of {seconds_text(summary.minimum_seconds)} (listed, not paid)",
            _lines_within(low),
        )
        embed.colour = COLOUR_WARN if not paid else COLOUR_OK
    if summary.gap_affected:
        gaps = [f"<@{p.user_id}>" for p in summary.gap_affected]
        embed.add("⚠️ Check these times (the voice worker missed something)", _lines_within(gaps))
        embed.colour = COLOUR_WARN
    components = [row(button("Payroll", custom_ids.make("payroll", session.session_id), style=1))]
    return embed, components
