"""The sample op used by tests, the benchmark and the docs is self-consistent."""

from __future__ import annotations

import pytest

from sunday_mining.reports.sample import sample_report


@pytest.mark.parametrize(("payees", "seed"), [(3, 1), (12, 7), (30, 3), (300, 7), (301, 11)])
def test_payouts_fees_and_unclaimed_expenses_add_up_to_the_gross(payees: int, seed: int) -> None:
    data = sample_report(payees, seed=seed)
    assert len(data.payees) == payees
    assert data.balances
    assert data.gross == sum(line.value for line in data.income)


def test_same_seed_gives_the_same_report() -> None:
    assert sample_report(40, seed=5) == sample_report(40, seed=5)


def test_names_cover_many_scripts() -> None:
    names = "".join(p.name for p in sample_report(20).payees)
    for char in ("ø", "Б", "Ω", "山", "김", "🚀", "ש", "\u200d"):
        assert char in names


def test_refuses_fewer_than_three_payees() -> None:
    with pytest.raises(ValueError, match="at least 3"):
        sample_report(2)
