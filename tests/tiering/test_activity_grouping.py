from datetime import timedelta
from decimal import Decimal

import pytest
from tierkit import NOW, cust, order

from keyaccount.activity import convert_totals, group_activity, load_activity, open_amount
from keyaccount.fx import ExchangeRates, MissingRate
from keyaccount.models import CreditProfile, Customer, CustomerStatus, Receivable
from keyaccount.money import Money
from keyaccount.storage import Store


def test_grouping_orders_each_customers_records_in_time() -> None:
    late, early = order("c1", 1, "10"), order("c1", 50, "20")
    stray = order("ghost", 3, "99")  # no such customer: left out
    book = group_activity([cust("c1"), cust("c2")], transactions=[late, stray, early])
    assert book["c1"].transactions == (early, late)
    assert book["c1"].transaction_times == (early.occurred_at, late.occurred_at)
    assert book["c2"].transactions == ()
    assert set(book) == {"c1", "c2"}


def test_latest_credit_profile_wins() -> None:
    old = CreditProfile("p1", "c1", Money("10", "CNY"), updated_at=NOW - timedelta(days=9))
    new = CreditProfile("p2", "c1", Money("20", "CNY"), updated_at=NOW)
    undated = CreditProfile("p3", "c1", Money("30", "CNY"))
    book = group_activity([cust("c1")], credit_profiles=[old, new, undated])
    assert book["c1"].credit_profile == new


def test_load_activity_leaves_out_merged_and_archived(store: Store) -> None:
    archived = Customer("c2", "Old", NOW, status=CustomerStatus.ARCHIVED)
    merged = Customer("c3", "Dup", NOW, status=CustomerStatus.MERGED, merged_into="c1")
    store.put_many([cust("c1"), archived, merged, order("c1", 2, "5")])
    assert set(load_activity(store)) == {"c1"}
    assert set(load_activity(store, include_archived=True)) == {"c1", "c2"}
    assert len(load_activity(store)["c1"].transactions) == 1


def test_open_amount_follows_payments_up_to_the_day() -> None:
    today = NOW.date()
    r = Receivable(
        "r1",
        "c1",
        Money("500", "CNY"),
        today - timedelta(days=60),
        today - timedelta(days=30),
        today - timedelta(days=10),
        Money("200", "CNY"),
    )
    assert open_amount(r, today) == Decimal(300)
    assert open_amount(r, today - timedelta(days=20)) == Decimal(500)  # before the payment
    paid = Receivable(
        "r2",
        "c1",
        Money("500", "CNY"),
        today - timedelta(days=60),
        today - timedelta(days=30),
        today - timedelta(days=40),
    )
    assert open_amount(paid, today) == Decimal(0)


def test_convert_totals_per_currency() -> None:
    rates = ExchangeRates("CNY", {"USD": Decimal("7")})
    assert convert_totals({"CNY": Decimal(1), "USD": Decimal(2)}, rates) == Decimal(15)
    with pytest.raises(MissingRate):
        convert_totals({"EUR": Decimal(1)}, rates)


def test_activity_built_by_hand_must_be_in_time_order() -> None:
    from keyaccount.activity import CustomerActivity
    from keyaccount.errors import ValidationError

    late, early = order("c1", 1, "10"), order("c1", 50, "20")
    assert CustomerActivity(cust("c1"), (early, late)).transaction_times[0] == early.occurred_at
    with pytest.raises(ValidationError, match=r"CustomerActivity\.transactions"):
        CustomerActivity(cust("c1"), (late, early))


def test_gc_paused_restores_the_collector() -> None:
    import gc

    from keyaccount.activity import gc_paused

    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), gc_paused():
        raise RuntimeError("boom")
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # it was off before: left off
    finally:
        gc.enable()


class _Node:
    """A tracked object that can hold a cycle and be weakly referenced."""

    def __init__(self) -> None:
        self.other: object = None


def _generation_of(obj: object) -> int | None:
    import gc

    for generation in range(3):
        if any(o is obj for o in gc.get_objects(generation=generation)):
            return generation
    return None


def test_gc_paused_hands_what_it_made_to_the_oldest_generation() -> None:
    import gc

    from keyaccount.activity import gc_paused

    with gc_paused():
        kept = _Node()
    # Straight to the oldest generation: no young collection has to walk it first.
    assert _generation_of(kept) == 2
    assert gc.get_freeze_count() == 0


def test_gc_paused_leaves_cycles_collectable() -> None:
    import gc
    import weakref

    from keyaccount.activity import gc_paused

    with gc_paused():
        a, b = _Node(), _Node()
        a.other, b.other = b, a
        ref = weakref.ref(a)
    del a, b
    gc.collect()
    assert ref() is None


def test_gc_paused_keeps_an_application_freeze() -> None:
    import gc

    from keyaccount.activity import gc_paused

    frozen_before = _Node()
    gc.freeze()
    try:
        count = gc.get_freeze_count()
        with gc_paused():
            made = _Node()
        assert gc.get_freeze_count() == count  # the application's frozen objects stay frozen
        assert _generation_of(frozen_before) is None  # (frozen: in no generation)
        assert _generation_of(made) == 0  # left where the collector put it
    finally:
        gc.unfreeze()


def test_nested_gc_paused_hands_off_once_at_the_outer_end() -> None:
    import gc

    from keyaccount.activity import gc_paused

    with gc_paused():
        with gc_paused():
            inner = _Node()
        assert not gc.isenabled()
        assert _generation_of(inner) == 0  # the inner block found the collector off
    assert _generation_of(inner) == 2


def test_grouping_orders_equal_times_by_id_whatever_the_input_order() -> None:
    import random

    from keyaccount.models import Transaction

    at = NOW - timedelta(days=3)
    same = [Transaction(f"t{k}", "c1", at, Money("1", "CNY"), Money("0", "CNY")) for k in range(12)]
    others = [order("c1", d, "2") for d in (1, 2, 5, 9)]
    records = same + others
    expected = sorted(records, key=lambda t: (t.occurred_at, t.id))
    for seed in range(5):
        shuffled = random.Random(seed).sample(records, len(records))
        got = group_activity([cust("c1")], transactions=shuffled)["c1"]
        assert got.transactions == tuple(expected)  # "t10" sorts before "t2": ids, not counters
        assert got.transaction_times == tuple(t.occurred_at for t in expected)
