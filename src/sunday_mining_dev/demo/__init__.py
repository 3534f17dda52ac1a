"""`make demo`: a whole Sunday op on the embedded default, through the local Discord.

One command on a fresh machine: a fresh SQLite store under ``var/demo/`` (the previous run's
data deleted first), the real app on a free loopback port with in-process report jobs, and a
scripted evening — the admin sets the server up with ``/mining-admin``, about forty members
mine across six voice channels for three compressed hours while the voice worker reports over
its signed protocol (and loses its connection for a while), a small adhoc session runs on the
side, two members set their in-game handles, the hauler logs a refinery job that the bot
announces when it is ready, the lead stops the op, and the purser pays it through
``/mining payroll`` (the refinery job in the haul, two members named as sellers) up to a final
payroll and its report, while a miner checks their own line with ``/mining me``, owed and then
paid. It ends with the payout table and where everything was saved.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sunday_mining_dev.demo.clicks import DemoFailed, Member, embed_text, named
from sunday_mining_dev.demo.crew import GAP_LEAVE, demo_guild, sunday_script
from sunday_mining_dev.demo.members import my_pay
from sunday_mining_dev.demo.op import Evening, OpResult
from sunday_mining_dev.demo.payroll import Purser
from sunday_mining_dev.demo.progress import Progress
from sunday_mining_dev.demo.report import Report, check_link, wait_for_report
from sunday_mining_dev.demo.setup import configure_guild
from sunday_mining_dev.demo.stack import Stack, local_stack
from sunday_mining_dev.demo.table import PayoutTable, payout_table, render

DEMO_DIR = Path("var/demo")
# The purser sits down to the payroll a little after the op.
PAYROLL_AFTER_MINUTES = 20
# The miner who checks their own pay with /mining me, before and after the purser pays.
PAY_CHECKER = "ember"


@dataclass(frozen=True)
class DemoResult:
    store: Path
    transcript: Path
    guild_id: str
    session_id: str
    adhoc_id: str
    payroll_id: str
    table: PayoutTable
    report: Report | None
    elapsed_s: float


def run(base_dir: Path = DEMO_DIR) -> DemoResult:
    """Play the evening into ``base_dir`` (wiped first) and print what happened."""
    progress = Progress()
    progress.plain(f"Sunday Mining demo: one Sunday op through the local Discord, in {base_dir}/")
    with local_stack(base_dir, demo_guild()) as stack:
        progress.clock = stack.clock
        _announce(stack, progress)
        op, payroll_id = _play_evening(stack, progress)
        report = _await_report(stack, payroll_id, progress)
        _diagnostics(stack, progress)
        result = DemoResult(
            store=stack.settings.sqlite_path,
            transcript=_save_transcript(stack, base_dir),
            guild_id=stack.guild.id,
            session_id=op.session_id,
            adhoc_id=op.adhoc_id,
            payroll_id=payroll_id,
            table=_payout_table(stack, payroll_id),
            report=report,
            elapsed_s=progress.elapsed_s,
        )
    _summarise(result, progress)
    return result


def _play_evening(stack: Stack, progress: Progress) -> tuple[OpResult, str]:
    """Set-up, the op, and its payroll up to final; returns the op and the payroll's id."""
    configure_guild(stack.sim, progress)
    evening = Evening(stack, progress)
    op = evening.play()
    evening.keep_reporting(PAYROLL_AFTER_MINUTES)
    if not evening.refinery.collected:
        raise DemoFailed("the refinery job was not announced and collected before the payroll")
    gap_leaver = next(m for m in sunday_script() if m.why == GAP_LEAVE)
    purser = Purser(Member(stack.sim, "purser"), stack.guild, progress)
    final = purser.pay(op.session_id, gap_leaver)
    my_pay(stack.sim, PAY_CHECKER, progress)
    purser.settle(final.final)
    my_pay(stack.sim, PAY_CHECKER, progress)
    evening.worker.release()
    return op, final.payroll_id


def _await_report(stack: Stack, payroll_id: str, progress: Progress) -> Report | None:
    """The report job runs in-process (the reports service's job runner, when it has one)."""
    jobs = getattr(stack.services.reports, "jobs", None)
    report = wait_for_report(stack.sink, stack.settings.reports_folder, payroll_id, jobs=jobs)
    if report is None:
        progress.say("report", "no report follow-up reached the local Discord")
        return None
    said = named(stack.guild, report.said)
    progress.say("report", f"follow-up with {report.attachment} attached: {said}")
    return check_link(report)


def _diagnostics(stack: Stack, progress: Progress) -> None:
    """The lead's health check at the end of the evening: every line the app answers with."""
    answer = Member(stack.sim, "lead").command("mining diagnostics")
    lines = named(stack.guild, embed_text(answer)).splitlines()
    progress.say("diagnose", lines[0] if lines else "no answer")
    for line in lines[1:]:
        progress.detail(line)


def _payout_table(stack: Stack, payroll_id: str) -> PayoutTable:
    """From the final payroll in the store; names as the Discord client shows them."""
    version = stack.services.payroll.get(stack.guild.id, payroll_id)
    names = {m.id: m.display_name for m in stack.guild.members}
    return payout_table(version, lambda user_id: names.get(user_id, f"user {user_id}"))


def _announce(stack: Stack, progress: Progress) -> None:
    migration = stack.migration
    progress.say(
        "stack",
        f"fresh store {stack.settings.sqlite_path} at schema v{migration.to_version}; "
        f"app on {stack.base_url}; Discord REST sink on {stack.api_base}; "
        f"{stack.commands_registered} commands registered",
    )


def _save_transcript(stack: Stack, base_dir: Path) -> Path:
    """What Discord would have shown, as text to read and as JSON to replay or check."""
    transcript = base_dir / "transcript.txt"
    transcript.write_text(stack.sim.transcript.to_text() + "\n", encoding="utf-8")
    stack.sim.transcript.save(base_dir / "transcript.json")
    return transcript


def _summarise(result: DemoResult, progress: Progress) -> None:
    progress.plain()
    for line in render(result.table):
        progress.plain("  " + line)
    progress.plain()
    report = result.report
    if report is None:
        progress.plain(
            "  Report: not produced (no follow-up with a PDF reached the local Discord)."
        )
    else:
        progress.plain(f"  Report PDF:  {report.pdf or 'attached as ' + report.attachment}")
        progress.plain(f"  Report CSV:  {report.csv or 'not found in the reports folder'}")
        progress.plain(f"  Local link:  {report.link}")
        progress.plain(f"               opened while the demo's app ran: {report.link_check}")
    progress.plain(f"  Transcript:  {result.transcript} (and transcript.json beside it)")
    progress.plain(f"  Store:       {result.store}")
    progress.plain(f"Done in {result.elapsed_s:.1f} s.")
