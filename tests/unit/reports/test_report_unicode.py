"""Display names are whatever members typed: no name may crash a report or vanish from it."""

from __future__ import annotations

import dataclasses
import unicodedata

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sunday_mining.reports._fonts import clean
from sunday_mining.reports.csv_export import render_csv
from sunday_mining.reports.model import ReportChannel, ReportData, ReportUnpaid
from sunday_mining.reports.pdf import render_pdf
from sunday_mining.reports.sample import sample_report

BASE = sample_report(4)
FEW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _with_names(names: list[str]) -> ReportData:
    payees = tuple(
        dataclasses.replace(p, name=names[i % len(names)]) for i, p in enumerate(BASE.payees)
    )
    return dataclasses.replace(
        BASE,
        guild_name=names[0],
        session_name=names[-1],
        finalized_by=names[0],
        payees=payees,
        channels=(ReportChannel("900001", names[-1]), *BASE.channels[1:]),
        unpaid=tuple(ReportUnpaid(n, n) for n in names),
        names={uid: names[i % len(names)] for i, uid in enumerate(BASE.names)},
    )


@FEW
@given(st.lists(st.text(), min_size=1, max_size=4))
def test_any_unicode_name_renders_a_pdf(names: list[str]) -> None:
    assert render_pdf(_with_names(names)).startswith(b"%PDF-")


@FEW
@given(st.lists(st.text(), min_size=1, max_size=4))
def test_any_unicode_name_renders_a_csv(names: list[str]) -> None:
    rows = render_csv(_with_names(names)).decode("utf-8-sig").splitlines()
    assert len(rows) >= 1 + len(BASE.payees)


@settings(max_examples=400, deadline=None)
@given(st.text())
def test_cleaning_keeps_something_visible_and_drops_control_characters(name: str) -> None:
    shown = clean(name)
    assert not any(unicodedata.category(c) in ("Cc", "Cs") for c in shown)
    if any(c.isprintable() and not c.isspace() for c in name):
        assert shown.strip()
