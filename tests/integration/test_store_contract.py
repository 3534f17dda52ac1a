"""The store contract: every adapter must pass every test here the same way.

The ``store`` fixture (tests/integration/conftest.py) runs each test on SQLite and on DynamoDB
(moto). The SQLite-only tests at the end cover what only an embedded store has to prove: many
writers in several processes and threads.
"""

from __future__ import annotations

import itertools
import multiprocessing
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sunday_mining.adapters.sqlite_store import SqliteStore
from sunday_mining.domain.errors import ConditionFailed, StoreError, Unavailable, ValidationError
from sunday_mining.ports.store import (
    MAX_TRANSACTION_ITEMS,
    And,
    AttrAbsent,
    AttrExists,
    Compare,
    Condition,
    Item,
    ItemAbsent,
    ItemExists,
    Not,
    Or,
    SortKey,
    Store,
    TxCheck,
    TxDelete,
    TxPut,
    TxUpdate,
    Update,
    eq,
)

KEY = ("G#1", "SESSION#01")


def item(pk: str = KEY[0], sk: str = KEY[1], **attributes: Any) -> Item:
    return {"pk": pk, "sk": sk, **attributes}


def fill(store: Store, pk: str, sort_keys: list[str], **attributes: Any) -> None:
    for sk in sort_keys:
        store.put(item(pk, sk, **attributes))


def sort_keys(items: list[Item], name: str = "sk") -> list[str]:
    return [i[name] for i in items]


def all_pages(store: Store, pk: str, limit: int, *, forward: bool = True) -> list[Item]:
    """Follow cursors page by page, checking that no page is larger than the limit."""
    items: list[Item] = []
    cursor: str | None = None
    while True:
        page = store.query(pk, forward=forward, limit=limit, cursor=cursor)
        assert len(page.items) <= limit
        items += page.items
        if page.cursor is None:
            return items
        cursor = page.cursor


# --- get and put ------------------------------------------------------------------------------


def test_get_of_a_missing_item_returns_none(store: Store) -> None:
    assert store.get(KEY) is None


def test_put_then_get_round_trips_nested_values(store: Store) -> None:
    stored = item(
        name="Quantanium run ✓",
        empty="",
        count=0,
        big=10**37 + 7,
        negative=-(2**70),
        active=True,
        archived=False,
        note=None,
        tags=["a", 1, False, None, [], {}],
        crew={"lead": {"id": "123", "shares": [1, 2]}, "empty": {}},
    )
    store.put(stored)

    assert store.get(KEY) == stored
    assert store.get(KEY, consistent=False) == stored


def test_round_trip_keeps_types_apart(store: Store) -> None:
    store.put(item(flag=True, one=1, zero=0, off=False))

    got = store.get(KEY)

    assert got is not None
    assert [type(got[name]) for name in ("flag", "one", "zero", "off")] == [bool, int, int, bool]


def test_put_replaces_the_whole_item(store: Store) -> None:
    store.put(item(a=1, b=2))
    store.put(item(c=3))

    assert store.get(KEY) == item(c=3)


@pytest.mark.parametrize(
    "attributes",
    [{"x": 1.5}, {"x": [1, 2.0]}, {"x": {"y": {"z": 0.1}}}, {"x": [{"y": float("nan")}]}],
    ids=["top", "in-list", "in-map", "deep"],
)
def test_put_rejects_floats_anywhere(store: Store, attributes: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        store.put(item(**attributes))
    assert store.get(KEY) is None


@pytest.mark.parametrize("value", [10**38, -(10**38), {1, 2}, b"bytes", (1, 2)])
def test_put_rejects_values_dynamodb_cannot_store_exactly(store: Store, value: Any) -> None:
    with pytest.raises(ValidationError):
        store.put(item(x=value))


@pytest.mark.parametrize(
    "bad",
    [{"pk": ""}, {"sk": ""}, {"pk": 1}, {"gsi1pk": ""}, {"gsi1sk": 5}, {"gsi2pk": None}],
    ids=["empty-pk", "empty-sk", "int-pk", "empty-index-pk", "int-index-sk", "null-index-pk"],
)
def test_put_rejects_bad_key_and_index_attributes(store: Store, bad: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        store.put({**item(gsi1pk="G#1", gsi1sk="A", gsi2pk="G#1", gsi2sk="A"), **bad})


def test_put_without_a_sort_key_is_rejected(store: Store) -> None:
    with pytest.raises(ValidationError):
        store.put({"pk": "G#1"})


def test_put_if_absent_creates_a_new_item(store: Store) -> None:
    store.put(item(v=1), condition=ItemAbsent())

    assert store.get(KEY) == item(v=1)


def test_put_if_absent_fails_on_an_existing_item_and_keeps_it(store: Store) -> None:
    store.put(item(v=1))

    with pytest.raises(ConditionFailed):
        store.put(item(v=2), condition=ItemAbsent())

    assert store.get(KEY) == item(v=1)


def test_store_errors_carry_the_default_message(store: Store) -> None:
    store.put(item(secret="hunter2"))

    with pytest.raises(ConditionFailed) as caught:
        store.put(item(secret="hunter3"), condition=ItemAbsent())

    assert caught.value.message == ConditionFailed().message
    assert "hunter" not in str(caught.value)


# --- update -----------------------------------------------------------------------------------


def test_update_set_returns_the_new_item(store: Store) -> None:
    store.put(item(a=1, b="x"))

    new = store.update(KEY, Update(set={"b": "y", "c": {"d": [True]}}))

    assert new == item(a=1, b="y", c={"d": [True]})
    assert store.get(KEY) == new


def test_update_add_counts_a_missing_number_as_zero(store: Store) -> None:
    store.put(item())

    assert store.update(KEY, Update(add={"n": 5}))["n"] == 5


def test_update_add_adds_to_an_existing_number(store: Store) -> None:
    store.put(item(n=10))

    assert store.update(KEY, Update(add={"n": -3}))["n"] == 7


def test_update_append_counts_a_missing_list_as_empty(store: Store) -> None:
    store.put(item())

    assert store.update(KEY, Update(append={"log": [{"at": 1}]}))["log"] == [{"at": 1}]


def test_update_append_extends_an_existing_list(store: Store) -> None:
    store.put(item(log=["a"]))

    assert store.update(KEY, Update(append={"log": ["b", "c"]}))["log"] == ["a", "b", "c"]


def test_update_remove_deletes_attributes_and_ignores_missing_ones(store: Store) -> None:
    store.put(item(a=1, b=2))

    new = store.update(KEY, Update(remove=("a", "never-there")))

    assert new == item(b=2)


def test_update_combines_set_add_append_and_remove(store: Store) -> None:
    store.put(item(n=1, log=[], gone="x"))

    new = store.update(
        KEY, Update(set={"s": "v"}, add={"n": 2}, append={"log": [1]}, remove=("gone",))
    )

    assert new == item(n=3, log=[1], s="v")


def test_update_of_a_missing_item_creates_it_with_its_keys(store: Store) -> None:
    new = store.update(KEY, Update(set={"name": "new"}, add={"n": 1}, append={"l": [1]}))

    assert new == item(name="new", n=1, l=[1])
    assert store.get(KEY) == new


def test_update_requiring_an_existing_item_creates_nothing(store: Store) -> None:
    with pytest.raises(ConditionFailed):
        store.update(KEY, Update(set={"a": 1}), condition=ItemExists())

    assert store.get(KEY) is None


def test_failed_conditional_update_leaves_the_item_unchanged(store: Store) -> None:
    store.put(item(version=1, n=1))

    with pytest.raises(ConditionFailed):
        store.update(KEY, Update(add={"n": 1}, set={"x": 1}), condition=eq("version", 2))

    assert store.get(KEY) == item(version=1, n=1)


def test_conditional_update_applies_when_the_condition_holds(store: Store) -> None:
    store.put(item(version=1))

    new = store.update(KEY, Update(set={"version": 2}), condition=eq("version", 1))

    assert new == item(version=2)


@pytest.mark.parametrize(
    "update",
    [
        Update(set={"pk": "G#2"}),
        Update(set={"sk": "OTHER"}),
        Update(set={"pk": KEY[0]}),
        Update(add={"sk": 1}),
        Update(append={"pk": ["x"]}),
        Update(remove=("sk",)),
    ],
    ids=["set-pk", "set-sk", "set-pk-same-value", "add-sk", "append-pk", "remove-sk"],
)
def test_update_refuses_to_change_keys(store: Store, update: Update) -> None:
    store.put(item(a=1))

    with pytest.raises(ValidationError):
        store.update(KEY, update)

    assert store.get(KEY) == item(a=1)


@pytest.mark.parametrize(
    "update",
    [
        Update(),
        Update(set={"a": 1}, remove=("a",)),
        Update(add={"a": 1}, append={"a": [1]}),
        Update(set={"a": 1.0}),
        Update(add={"a": True}),
        Update(append={"a": "not a list"}),  # type: ignore[dict-item]
        Update(set={"gsi1pk": 7}),
    ],
    ids=["empty", "set-and-remove", "add-and-append", "float", "add-bool", "append-str", "index"],
)
def test_update_refuses_invalid_updates(store: Store, update: Update) -> None:
    store.put(item(a=1))

    with pytest.raises(ValidationError):
        store.update(KEY, update)

    assert store.get(KEY) == item(a=1)


def test_sqlite_refuses_a_sum_dynamodb_could_not_store(sqlite_store: SqliteStore) -> None:
    # DynamoDB refuses it server-side (ValidationException); SQLite must not store it either.
    sqlite_store.put(item(n=10**38 - 1))

    with pytest.raises(ValidationError):
        sqlite_store.update(KEY, Update(add={"n": 1}))

    assert sqlite_store.get(KEY) == item(n=10**38 - 1)


# --- delete -----------------------------------------------------------------------------------


def test_delete_removes_the_item(store: Store) -> None:
    store.put(item())

    store.delete(KEY)

    assert store.get(KEY) is None


def test_delete_of_a_missing_item_does_nothing(store: Store) -> None:
    store.delete(KEY)

    assert store.get(KEY) is None


def test_failed_conditional_delete_leaves_the_item(store: Store) -> None:
    store.put(item(state="active"))

    with pytest.raises(ConditionFailed):
        store.delete(KEY, condition=eq("state", "closed"))

    assert store.get(KEY) == item(state="active")


def test_delete_requiring_an_existing_item_fails_on_a_missing_one(store: Store) -> None:
    with pytest.raises(ConditionFailed):
        store.delete(KEY, condition=ItemExists())


# --- conditions -------------------------------------------------------------------------------

SUBJECT = item(n=5, s="b", flag=True, nothing=None, tags=["a", 1], meta={"k": 1}, zero=0)

# (condition, whether it holds for SUBJECT)
CONDITIONS: list[tuple[str, Condition, bool]] = [
    ("item-exists", ItemExists(), True),
    ("item-absent", ItemAbsent(), False),
    ("attr-exists", AttrExists("n"), True),
    ("attr-exists-null", AttrExists("nothing"), True),
    ("attr-exists-missing", AttrExists("missing"), False),
    ("attr-absent", AttrAbsent("missing"), True),
    ("attr-absent-present", AttrAbsent("s"), False),
    ("eq-number", Compare("n", "=", 5), True),
    ("eq-number-other", Compare("n", "=", 6), False),
    ("eq-string", Compare("s", "=", "b"), True),
    ("eq-bool", Compare("flag", "=", True), True),
    ("eq-null", Compare("nothing", "=", None), True),
    ("eq-list", Compare("tags", "=", ["a", 1]), True),
    ("eq-list-order", Compare("tags", "=", [1, "a"]), False),
    ("eq-map", Compare("meta", "=", {"k": 1}), True),
    ("eq-key", Compare("pk", "=", KEY[0]), True),
    ("ne-number", Compare("n", "<>", 6), True),
    ("ne-same", Compare("n", "<>", 5), False),
    ("lt", Compare("n", "<", 6), True),
    ("lt-equal", Compare("n", "<", 5), False),
    ("le", Compare("n", "<=", 5), True),
    ("gt", Compare("n", ">", 4), True),
    ("gt-equal", Compare("n", ">", 5), False),
    ("ge", Compare("n", ">=", 5), True),
    ("ge-above", Compare("n", ">=", 6), False),
    ("lt-string", Compare("s", "<", "c"), True),
    ("gt-string", Compare("s", ">", "c"), False),
    ("missing-eq", Compare("missing", "=", 5), False),
    ("missing-ne", Compare("missing", "<>", 5), False),
    ("missing-lt", Compare("missing", "<", 5), False),
    ("other-type-eq", Compare("n", "=", "5"), False),
    ("other-type-ne", Compare("n", "<>", "5"), False),
    ("other-type-lt", Compare("s", "<", 100), False),
    ("bool-is-not-number", Compare("flag", "=", 1), False),
    ("zero-is-not-false", Compare("zero", "=", False), False),
    ("and-true", And(eq("n", 5), eq("s", "b")), True),
    ("and-false", And(eq("n", 5), eq("s", "x")), False),
    ("or-true", Or(eq("n", 9), eq("s", "b")), True),
    ("or-false", Or(eq("n", 9), eq("s", "x")), False),
    ("not-true", Not(eq("n", 9)), True),
    ("not-false", Not(eq("n", 5)), False),
    ("not-missing-compare", Not(eq("missing", 1)), True),
    ("nested", And(ItemExists(), Or(Not(AttrExists("n")), Compare("n", ">=", 5))), True),
]


@pytest.mark.parametrize(
    ("condition", "holds"), [c[1:] for c in CONDITIONS], ids=[c[0] for c in CONDITIONS]
)
def test_condition_on_an_existing_item(store: Store, condition: Condition, holds: bool) -> None:
    store.put(SUBJECT)

    try:
        store.update(KEY, Update(set={"touched": True}), condition=condition)
        held = True
    except ConditionFailed:
        held = False

    assert held is holds
    assert store.get(KEY) == ({**SUBJECT, "touched": True} if holds else SUBJECT)


ON_MISSING: list[tuple[str, Condition, bool]] = [
    ("item-absent", ItemAbsent(), True),
    ("item-exists", ItemExists(), False),
    ("attr-absent", AttrAbsent("n"), True),
    ("attr-exists", AttrExists("n"), False),
    ("compare", Compare("n", "<>", 1), False),
    ("not-compare", Not(Compare("n", "=", 1)), True),
]


@pytest.mark.parametrize(
    ("condition", "holds"), [c[1:] for c in ON_MISSING], ids=[c[0] for c in ON_MISSING]
)
def test_condition_on_a_missing_item(store: Store, condition: Condition, holds: bool) -> None:
    try:
        store.put(item(v=1), condition=condition)
        held = True
    except ConditionFailed:
        held = False

    assert held is holds
    assert store.get(KEY) == (item(v=1) if holds else None)


@pytest.mark.parametrize(
    "condition",
    [Compare("n", "~", 1), Compare("n", "<", True), Compare("n", ">", [1]), And(), Or()],
    ids=["unknown-op", "order-bool", "order-list", "empty-and", "empty-or"],
)
def test_invalid_conditions_are_refused(store: Store, condition: Condition) -> None:
    with pytest.raises(ValidationError):
        store.put(item(), condition=condition)
    assert store.get(KEY) is None


# --- queries ----------------------------------------------------------------------------------

SORT_KEYS = ["A#1", "A#2", "A#3", "B#1", "B#2", "C"]


def test_query_returns_the_partition_in_sort_order(store: Store) -> None:
    fill(store, "G#1", list(reversed(SORT_KEYS)))

    page = store.query("G#1")

    assert sort_keys(page.items) == SORT_KEYS
    assert page.cursor is None


def test_query_backward_returns_reverse_sort_order(store: Store) -> None:
    fill(store, "G#1", SORT_KEYS)

    assert sort_keys(store.query("G#1", forward=False).items) == list(reversed(SORT_KEYS))


def test_query_of_an_empty_partition_returns_nothing(store: Store) -> None:
    page = store.query("G#1")

    assert page.items == []
    assert page.cursor is None


def test_query_by_prefix(store: Store) -> None:
    fill(store, "G#1", [*SORT_KEYS, "A", "A#", "@"])

    assert sort_keys(store.query("G#1", SortKey.begins_with("A#")).items) == [
        "A#",
        "A#1",
        "A#2",
        "A#3",
    ]


def test_query_by_prefix_backward(store: Store) -> None:
    fill(store, "G#1", SORT_KEYS)

    page = store.query("G#1", SortKey.begins_with("B#"), forward=False)

    assert sort_keys(page.items) == ["B#2", "B#1"]


def test_query_between_includes_both_ends(store: Store) -> None:
    fill(store, "G#1", SORT_KEYS)

    assert sort_keys(store.query("G#1", SortKey.between("A#2", "B#1")).items) == [
        "A#2",
        "A#3",
        "B#1",
    ]


def test_query_with_only_a_low_end(store: Store) -> None:
    fill(store, "G#1", SORT_KEYS)

    assert sort_keys(store.query("G#1", SortKey(low="B#2")).items) == ["B#2", "C"]


def test_query_with_only_a_high_end(store: Store) -> None:
    fill(store, "G#1", SORT_KEYS)

    page = store.query("G#1", SortKey(high="A#2"), forward=False)

    assert sort_keys(page.items) == ["A#2", "A#1"]


def test_query_with_an_inverted_range_returns_nothing(store: Store) -> None:
    fill(store, "G#1", SORT_KEYS)

    assert store.query("G#1", SortKey.between("C", "A")).items == []


def test_query_refuses_a_prefix_and_a_range_together(store: Store) -> None:
    with pytest.raises(ValidationError):
        store.query("G#1", SortKey(prefix="A", low="A"))


@pytest.mark.parametrize("limit", [0, -1])
def test_query_refuses_a_limit_below_one(store: Store, limit: int) -> None:
    with pytest.raises(ValidationError):
        store.query("G#1", limit=limit)


@pytest.mark.parametrize("forward", [True, False], ids=["forward", "backward"])
def test_pagination_visits_every_item_exactly_once_for_every_page_size(
    store: Store, forward: bool
) -> None:
    expected = [f"S#{i:03d}" for i in range(13)]
    fill(store, "G#1", expected)
    if not forward:
        expected.reverse()

    for limit in [1, 2, 3, 5, 12, 13, 14, 50]:
        assert sort_keys(all_pages(store, "G#1", limit, forward=forward)) == expected


def test_pagination_respects_the_sort_restriction(store: Store) -> None:
    fill(store, "G#1", SORT_KEYS)
    seen: list[Item] = []
    cursor: str | None = None
    while True:
        page = store.query("G#1", SortKey.begins_with("A#"), limit=2, cursor=cursor)
        seen += page.items
        if page.cursor is None:
            break
        cursor = page.cursor

    assert sort_keys(seen) == ["A#1", "A#2", "A#3"]


def test_a_page_ending_on_the_last_item_has_no_cursor(store: Store) -> None:
    fill(store, "G#1", ["A", "B", "C", "D"])

    first = store.query("G#1", limit=2)
    second = store.query("G#1", limit=2, cursor=first.cursor)

    assert first.cursor is not None
    assert sort_keys(second.items) == ["C", "D"]
    assert second.cursor is None


def test_query_all_follows_every_cursor(store: Store) -> None:
    fill(store, "G#1", SORT_KEYS)

    assert sort_keys(store.query_all("G#1")) == SORT_KEYS


@pytest.mark.parametrize("cursor", ["not base64!", "bm90IGpzb24", "e30=", "W10="])
def test_query_refuses_a_malformed_cursor(store: Store, cursor: str) -> None:
    with pytest.raises(ValidationError):
        store.query("G#1", cursor=cursor)


PARTITIONS = itertools.count()


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    count=st.integers(min_value=0, max_value=12),
    limit=st.integers(min_value=1, max_value=6),
    forward=st.booleans(),
    data=st.data(),
)
def test_pagination_property(
    store: Store, count: int, limit: int, forward: bool, data: st.DataObject
) -> None:
    # Examples share one table, so each writes to a partition of its own.
    pk = f"G#P{next(PARTITIONS)}"
    expected = sorted({data.draw(st.text("ab#1", min_size=1, max_size=5)) for _ in range(count)})
    fill(store, pk, expected)

    visited = sort_keys(all_pages(store, pk, limit, forward=forward))

    assert visited == (expected if forward else list(reversed(expected)))


# --- secondary indexes ------------------------------------------------------------------------


def test_index_query_returns_only_items_with_both_index_attributes(store: Store) -> None:
    store.put(item(sk="S#1", gsi1pk="G#1#ACTIVE", gsi1sk="2024-01-01"))
    store.put(item(sk="S#2", gsi1pk="G#1#ACTIVE"))
    store.put(item(sk="S#3", gsi1sk="2024-01-03"))
    store.put(item(sk="S#4"))

    page = store.query_index("gsi1", "G#1#ACTIVE")

    assert sort_keys(page.items) == ["S#1"]
    assert page.items[0] == item(sk="S#1", gsi1pk="G#1#ACTIVE", gsi1sk="2024-01-01")


def test_index_query_orders_by_the_index_sort_key(store: Store) -> None:
    for sk, when in [("S#1", "2024-03"), ("S#2", "2024-01"), ("S#3", "2024-02")]:
        store.put(item(sk=sk, gsi2pk="G#1#U#7", gsi2sk=when))

    assert sort_keys(store.query_index("gsi2", "G#1#U#7").items) == ["S#2", "S#3", "S#1"]
    backward = store.query_index("gsi2", "G#1#U#7", forward=False)
    assert sort_keys(backward.items) == ["S#1", "S#3", "S#2"]


def test_index_query_by_prefix_and_range(store: Store) -> None:
    for sk, when in [("S#1", "2024-01-05"), ("S#2", "2024-02-01"), ("S#3", "2025-01-01")]:
        store.put(item(sk=sk, gsi2pk="G#1#U#7", gsi2sk=when))

    prefixed = store.query_index("gsi2", "G#1#U#7", SortKey.begins_with("2024-"))
    ranged = store.query_index("gsi2", "G#1#U#7", SortKey(low="2024-02"))

    assert sort_keys(prefixed.items) == ["S#1", "S#2"]
    assert sort_keys(ranged.items) == ["S#2", "S#3"]


def test_index_pagination_visits_every_item_once_with_repeated_sort_keys(store: Store) -> None:
    # Many items share an index sort key; pages must still neither repeat nor skip any.
    expected = set()
    for i in range(11):
        pk = f"G#1#P#{i % 3}"
        store.put(item(pk=pk, sk=f"S#{i:02d}", gsi1pk="G#1#ACTIVE", gsi1sk=f"T#{i % 2}"))
        expected.add((pk, f"S#{i:02d}"))

    for limit in [1, 2, 4, 11]:
        seen: list[Item] = []
        cursor: str | None = None
        while True:
            page = store.query_index("gsi1", "G#1#ACTIVE", limit=limit, cursor=cursor)
            seen += page.items
            if page.cursor is None:
                break
            cursor = page.cursor
        assert sorted((i["pk"], i["sk"]) for i in seen) == sorted(expected)
        assert sort_keys(seen, "gsi1sk") == sorted(sort_keys(seen, "gsi1sk"))


def test_query_index_all_follows_every_cursor(store: Store) -> None:
    for i in range(5):
        store.put(item(sk=f"S#{i}", gsi1pk="G#1#ACTIVE", gsi1sk=f"T#{i}"))

    assert len(store.query_index_all("gsi1", "G#1#ACTIVE")) == 5


def test_removing_an_index_attribute_drops_the_item_from_the_index(store: Store) -> None:
    store.put(item(gsi1pk="G#1#ACTIVE", gsi1sk="T"))

    store.update(KEY, Update(remove=("gsi1pk",)))

    assert store.query_index("gsi1", "G#1#ACTIVE").items == []


def test_setting_index_attributes_adds_the_item_to_the_index(store: Store) -> None:
    store.put(item())

    store.update(KEY, Update(set={"gsi1pk": "G#1#ACTIVE", "gsi1sk": "T"}))

    assert sort_keys(store.query_index("gsi1", "G#1#ACTIVE").items) == [KEY[1]]


def test_unknown_index_is_refused(store: Store) -> None:
    with pytest.raises(ValidationError):
        store.query_index("gsi9", "G#1")


def test_a_table_cursor_is_refused_by_an_index_query(store: Store) -> None:
    fill(store, "G#1", ["A", "B"], gsi1pk="G#1", gsi1sk="T")
    cursor = store.query("G#1", limit=1).cursor
    assert cursor is not None

    with pytest.raises(ValidationError):
        store.query_index("gsi1", "G#1", cursor=cursor)


# --- guild isolation --------------------------------------------------------------------------

GUILDS = ["G#1", "G#10", "G#12", "G#2", "G#1#"]


def fill_guilds(store: Store) -> None:
    for guild in GUILDS:
        for n in ["1", "10", "2"]:
            store.put(
                item(guild, f"S#{n}#X", guild=guild, gsi1pk=f"{guild}#ACTIVE", gsi1sk=f"S#{n}")
            )


@pytest.mark.parametrize("guild", GUILDS)
def test_query_never_returns_another_guilds_items(store: Store, guild: str) -> None:
    fill_guilds(store)

    items = store.query_all(guild)

    assert {i["guild"] for i in items} == {guild}
    assert len(items) == 3


@pytest.mark.parametrize("guild", GUILDS)
def test_index_query_never_returns_another_guilds_items(store: Store, guild: str) -> None:
    fill_guilds(store)

    items = store.query_index_all("gsi1", f"{guild}#ACTIVE")

    assert {i["guild"] for i in items} == {guild}
    assert len(items) == 3


def test_sort_prefix_does_not_match_longer_numbers(store: Store) -> None:
    fill_guilds(store)

    page = store.query("G#1", SortKey.begins_with("S#1#"))

    assert sort_keys(page.items) == ["S#1#X"]


def test_a_cursor_cannot_be_replayed_against_another_guild(store: Store) -> None:
    fill_guilds(store)
    cursor = store.query("G#1", limit=1).cursor
    assert cursor is not None

    for other in ["G#12", "G#10", "G#2"]:
        with pytest.raises(ValidationError):
            store.query(other, limit=1, cursor=cursor)


def test_an_index_cursor_cannot_be_replayed_against_another_guild(store: Store) -> None:
    fill_guilds(store)
    cursor = store.query_index("gsi1", "G#1#ACTIVE", limit=1).cursor
    assert cursor is not None

    with pytest.raises(ValidationError):
        store.query_index("gsi1", "G#12#ACTIVE", cursor=cursor)


# --- transactions -----------------------------------------------------------------------------


def seed_for_transaction(store: Store) -> dict[str, Item | None]:
    store.put(item(sk="UPD", n=1))
    store.put(item(sk="DEL"))
    store.put(item(sk="CHK", state="open"))
    return snapshot(store)


def snapshot(store: Store) -> dict[str, Item | None]:
    return {sk: store.get(("G#1", sk)) for sk in ["NEW", "UPD", "DEL", "CHK"]}


def transaction(*, failing: str | None = None) -> list[Any]:
    """One op of each kind; ``failing`` names the one whose condition will not hold."""

    def condition(kind: str, holds: Condition) -> Condition:
        return Not(holds) if kind == failing else holds

    return [
        TxPut(item(sk="NEW", v=1), condition("put", ItemAbsent())),
        TxUpdate(("G#1", "UPD"), Update(add={"n": 1}), condition("update", eq("n", 1))),
        TxDelete(("G#1", "DEL"), condition("delete", ItemExists())),
        TxCheck(("G#1", "CHK"), condition("check", eq("state", "open"))),
    ]


def test_transaction_applies_every_operation(store: Store) -> None:
    seed_for_transaction(store)

    store.transact(transaction())

    assert snapshot(store) == {
        "NEW": item(sk="NEW", v=1),
        "UPD": item(sk="UPD", n=2),
        "DEL": None,
        "CHK": item(sk="CHK", state="open"),
    }


@pytest.mark.parametrize("failing", ["put", "update", "delete", "check"])
def test_transaction_with_one_failing_condition_changes_nothing(store: Store, failing: str) -> None:
    before = seed_for_transaction(store)

    with pytest.raises(ConditionFailed):
        store.transact(transaction(failing=failing))

    assert snapshot(store) == before


def test_transaction_with_an_invalid_operation_changes_nothing(store: Store) -> None:
    before = seed_for_transaction(store)
    ops = [*transaction()[:3], TxPut(item(sk="CHK", x=0.5))]

    with pytest.raises(ValidationError):
        store.transact(ops)

    assert snapshot(store) == before


def test_transaction_of_the_maximum_size_succeeds(store: Store) -> None:
    store.transact(
        [TxPut(item(sk=f"S#{i:03d}"), ItemAbsent()) for i in range(MAX_TRANSACTION_ITEMS)]
    )

    assert len(store.query_all("G#1")) == MAX_TRANSACTION_ITEMS


def test_transaction_above_the_maximum_size_is_refused(store: Store) -> None:
    ops = [TxPut(item(sk=f"S#{i:03d}")) for i in range(MAX_TRANSACTION_ITEMS + 1)]

    with pytest.raises(ValidationError):
        store.transact(ops)

    assert store.query_all("G#1") == []


def test_transaction_touching_an_item_twice_is_refused(store: Store) -> None:
    with pytest.raises(ValidationError):
        store.transact([TxPut(item(v=1)), TxUpdate(KEY, Update(set={"v": 2}))])

    assert store.get(KEY) is None


def test_empty_transaction_does_nothing(store: Store) -> None:
    store.transact([])

    assert store.query_all("G#1") == []


# --- SQLite: several writers ------------------------------------------------------------------

COUNTER = ("G#1", "COUNTER")
INCREMENTS = 150


def increment_many(path: str, times: int) -> None:
    """Run in a child process: conditional increments of the shared counter."""
    store = SqliteStore(path)
    try:
        for _ in range(times):
            store.update(COUNTER, Update(add={"n": 1}), condition=Compare("n", ">=", 0))
    finally:
        store.close()


def compare_and_swap_many(path: str, times: int) -> None:
    """Run in a child process: read, then write back only if nobody wrote in between."""
    store = SqliteStore(path)
    try:
        done = 0
        while done < times:
            current = store.get(COUNTER)
            assert current is not None
            version = current["version"]
            try:
                store.put({**current, "version": version + 1}, condition=eq("version", version))
            except ConditionFailed:
                continue
            done += 1
    finally:
        store.close()


def run_in_processes(target: Any, path: Path, processes: int, times: int) -> None:
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=target, args=(str(path), times)) for _ in range(processes)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert [worker.exitcode for worker in workers] == [0] * processes


def test_sqlite_increments_from_two_processes_all_land(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    store = SqliteStore(path)
    store.put({"pk": COUNTER[0], "sk": COUNTER[1], "n": 0})

    run_in_processes(increment_many, path, processes=2, times=INCREMENTS)

    assert store.get(COUNTER) == {"pk": COUNTER[0], "sk": COUNTER[1], "n": 2 * INCREMENTS}
    store.close()


def test_sqlite_compare_and_swap_from_two_processes_loses_no_write(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    store = SqliteStore(path)
    store.put({"pk": COUNTER[0], "sk": COUNTER[1], "version": 0})

    run_in_processes(compare_and_swap_many, path, processes=2, times=INCREMENTS)

    current = store.get(COUNTER)
    assert current is not None
    assert current["version"] == 2 * INCREMENTS
    store.close()


def test_sqlite_increments_from_several_threads_all_land(sqlite_store: SqliteStore) -> None:
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(50):
                sqlite_store.update(COUNTER, Update(add={"n": 1}))
        except StoreError as error:
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sqlite_store.get(COUNTER) == {"pk": COUNTER[0], "sk": COUNTER[1], "n": 200}


def test_sqlite_uses_write_ahead_logging(sqlite_store: SqliteStore, tmp_path: Path) -> None:
    import sqlite3

    connection = sqlite3.connect(tmp_path / "store.db")
    try:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    finally:
        connection.close()


def test_sqlite_keeps_data_across_reopening(tmp_path: Path) -> None:
    first = SqliteStore(tmp_path / "store.db")
    first.put(item(v=1))
    first.close()

    second = SqliteStore(tmp_path / "store.db")

    assert second.get(KEY) == item(v=1)
    second.close()


def test_sqlite_purge_expired_deletes_only_expired_items(sqlite_store: SqliteStore) -> None:
    sqlite_store.put(item(sk="OLD", ttl=100))
    sqlite_store.put(item(sk="NEW", ttl=300))
    sqlite_store.put(item(sk="FOREVER"))

    assert sqlite_store.purge_expired(now=200) == 1

    assert sort_keys(sqlite_store.query_all("G#1")) == ["FOREVER", "NEW"]


def test_sqlite_store_is_unavailable_after_close(sqlite_store: SqliteStore) -> None:
    sqlite_store.close()

    with pytest.raises(Unavailable):
        sqlite_store.get(KEY)
