"""How sessions look in Discord. Rendering only: no decisions are made here."""

from __future__ import annotations

from sunday_mining.domain.durations import duration_text, hms
from sunday_mining.domain.presence import Participant
from sunday_mining.domain.session import Session, SessionType, StopReason
from sunday_mining.domain.wording import counted
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
# A message the whole channel sees fits one phone screen; the full list is one tap away.
NAMED_IN_PUBLIC = 3
FULL_LIST_PAGE = 20
_BADGE = {SessionType.SUNDAY: "⛏️ Sunday op", SessionType.ADHOC: "🪨 Adhoc"}
_STOPPED_BY = {
    StopReason.IDLE_TIMEOUT: "It stopped by itself after its channel stayed empty.",
    StopReason.MAX_LENGTH: "It stopped by itself at the maximum session length.",
}


def duration(ms: int) -> str:
    return duration_text(ms // 1000)


def seconds_text(seconds: int) -> str:
    return duration_text(seconds)


def channels_text(session: Session) -> str:
    return ", ".join(f"<#{c}>" for c in session.channel_ids)


def clock_time(ms: int) -> str:
    """A time to the second, which Discord shows in each reader's own time zone."""
    return f"<t:{ms // 1000}:T>"


def where(session: Session, *, names_up_to: int = 2) -> str:
    """The channels by name when there are few, else how many: a public message stays short
    however many mining channels a server has."""
    if len(session.channel_ids) <= names_up_to:
        return channels_text(session)
    return counted(len(session.channel_ids), "mining channel")


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
    seconds = age // 1000
    return "✅ Reporting (last heard " + ("just now)." if seconds < 1 else f"{seconds} s ago).")


def session_embed(summary: SessionSummary, freshness: WorkerFreshness | None) -> Embed:
    session = summary.session
    embed = Embed(
        title=f"{badge(session)} — {session.name}",
        colour=COLOUR_OK if session.is_active else COLOUR_INFO,
        description=(
            f"Channels: {channels_text(session)}\n"
            f"Running for {duration(summary.length_ms)} · started by <@{session.creator_id}> "
            f"at {clock_time(session.started_ms)}"
        ),
    )
    if len(session.windows) > 1 and session.is_active:
        embed.description += (
            f"\nRunning again since {clock_time(session.windows[-1].start_ms)}; "
            "the pause does not count."
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
    """What the whole channel reads when a session stops: one phone screen, no long lists."""
    session = summary.session
    paid = [p for p in summary.participants if not p.below_minimum]
    lines = [f"{_span(session)} · {hms(summary.length_ms // 1000)} on {where(session)}."]
    if session.stop_reason in _STOPPED_BY:
        lines.append(_STOPPED_BY[session.stop_reason])
    embed = Embed(
        title=f"{badge(session)} — {session.name} has stopped",
        colour=COLOUR_OK if paid else COLOUR_WARN,
        description="\n".join(lines),
    )
    embed.add("Participants", _head_count(summary), inline=True)
    credited = sum(p.credited_seconds for p in summary.participants)
    embed.add("Credited time", hms(credited), inline=True)
    if summary.gap_affected:
        embed.add("⚠️ Check these times", _gap_note(summary.gap_affected))
        embed.colour = COLOUR_WARN
    buttons = [button("Payroll", custom_ids.make("payroll", session.session_id), style=1)]
    if summary.participants:
        buttons.insert(0, button("Everyone's time", custom_ids.make("slist", session.session_id)))
    return embed, [row(*buttons)]


def _span(session: Session) -> str:
    """From the first start to the last stop, to the second; a reopened session says how many
    stretches counted (the time between them does not)."""
    stop = session.stopped_ms
    span = f"{clock_time(session.started_ms)} → {clock_time(stop) if stop is not None else 'now'}"
    if len(session.windows) > 1:
        span += f" ({counted(len(session.windows), 'stretch', 'stretches')})"
    return span


def _head_count(summary: SessionSummary) -> str:
    if not summary.participants:
        return "Nobody was in the channels."
    paid = len(summary.participants) - len(summary.below_minimum)
    text = f"{len(summary.participants)} in voice · {paid} paid"
    if summary.below_minimum:
        low = len(summary.below_minimum)
        text += f" · {low} below the {seconds_text(summary.minimum_seconds)} minimum"
    return text


def _gap_note(affected: list[Participant]) -> str:
    named = ", ".join(f"<@{p.user_id}>" for p in affected[:NAMED_IN_PUBLIC])
    more = len(affected) - NAMED_IN_PUBLIC
    if more > 0:
        named += f" and {more} more"
    return f"{named}: the voice worker missed something. The payroll marks them ⚠️."


def full_list(summary: SessionSummary, page: int) -> tuple[Embed, list[dict[str, object]]]:
    """Everyone's credited time to the second, a page at a time (a member's own copy)."""
    session = summary.session
    people = summary.participants
    pages = max(1, -(-len(people) // FULL_LIST_PAGE))
    page = min(max(page, 0), pages - 1)
    first = page * FULL_LIST_PAGE
    lines = [
        f"`{index:>3}.` {_mark(p)} <@{p.user_id}> — {hms(p.credited_seconds)}"
        + (" ⚠️" if p.gap_affected else "")
        for index, p in enumerate(people[first : first + FULL_LIST_PAGE], start=first + 1)
    ]
    key = (
        f"✅ paid · 🕒 below the minimum of {seconds_text(summary.minimum_seconds)} "
        "(listed, not paid) · ⚠️ the voice worker missed something"
    )
    embed = Embed(
        title=f"{badge(session)} — {session.name}: everyone's time",
        description="\n".join([key, *lines]) if lines else "Nobody was in the channels.",
        colour=COLOUR_INFO,
    )
    if pages == 1:
        return embed, []
    embed.footer = f"Page {page + 1} of {pages}"
    sid = session.session_id
    pager = row(
        button("◀ Previous", custom_ids.make("slist", sid, page - 1, "p"), disabled=page == 0),
        button("Next ▶", custom_ids.make("slist", sid, page + 1, "n"), disabled=page >= pages - 1),
    )
    return embed, [pager]


def _mark(participant: Participant) -> str:
    return "🕒" if participant.below_minimum else "✅"
