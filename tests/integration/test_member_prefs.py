"""A member's message switches on every store: both on until changed, each kept apart."""

from __future__ import annotations

from sunday_mining.domain.clock import FixedClock
from sunday_mining.ports.store import Store
from sunday_mining.services.member_prefs import MemberPrefs, Prefs

GUILD = "100000000000000001"
BEN = "200000000000000002"
ANA = "200000000000000003"


def test_a_member_who_changed_nothing_gets_every_message(store: Store) -> None:
    assert MemberPrefs(store, FixedClock(1_795_370_400_000)).get(GUILD, BEN) == Prefs(True, True)


def test_each_switch_is_kept_on_its_own_and_per_member(store: Store) -> None:
    prefs = MemberPrefs(store, FixedClock(1_795_370_400_000))
    assert prefs.set(GUILD, BEN, payout_dms=False) == Prefs(payout_dms=False, refinery_dms=True)
    assert prefs.set(GUILD, BEN, refinery_dms=False) == Prefs(False, False)
    assert prefs.set(GUILD, BEN, payout_dms=True) == Prefs(True, False)
    assert prefs.get(GUILD, BEN) == Prefs(True, False)
    assert prefs.get(GUILD, ANA) == Prefs(True, True)
