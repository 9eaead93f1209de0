from __future__ import annotations

import random
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from value_helpers import make_txn as txn

from keyaccount.errors import ValidationError
from keyaccount.fx import ExchangeRates
from keyaccount.value import collect_facts, group_transactions, mid_rank_scores, score_rfm

AS_OF = datetime(2026, 6, 30, 9, 0, tzinfo=UTC)
CNY = ExchangeRates.single("CNY")


def book():  # type: ignore[no-untyped-def]
    txns = [
        txn("a", "2026-06-29T10:00", 100),
        txn("a", "2026-05-01T10:00", 100),
        txn("a", "2026-04-01T10:00", 100),
        txn("b", "2026-06-20T10:00", 1000),
        txn("c", "2026-01-01T10:00", 50),
        txn("c", "2026-02-01T10:00", 50),
        txn("d", "2025-06-01T10:00", 500),  # before the window
        txn("e", "2026-06-29T10:00", 200),
        txn("e", "2026-06-29T11:00", -200),  # fully refunded
    ]
    return collect_facts(group_transactions(txns), as_of=AS_OF, rates=CNY, customer_ids=["z"])


def test_hand_computed_book() -> None:
    result = score_rfm(book())
    scores = result.by_id()
    assert {cid: s.code for cid, s in scores.items()} == {
        "a": "554",
        "b": "335",
        "c": "243",
        "d": "112",
        "e": "532",
    }
    assert scores["c"].recency_days == 149
    assert scores["d"].recency_days == 394
    assert scores["d"].frequency == 0
    assert scores["e"].monetary.amount == Decimal(0)
    assert scores["b"].monetary.amount == Decimal(1000)
    assert scores["a"].total == 14
    assert result.unscored == ("z",)
    assert result.window_days == 365
    assert result.as_of == AS_OF


def test_distinct_values_fill_equal_groups() -> None:
    assert mid_rank_scores([10, 20, 30, 40, 50], 5) == [1, 2, 3, 4, 5]
    assert mid_rank_scores(list(range(10)), 5) == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]


def test_ties_share_a_score_from_their_mid_rank() -> None:
    assert mid_rank_scores([1, 2, 2, 3], 5) == [1, 3, 3, 5]
    assert mid_rank_scores([7, 7, 7], 5) == [3, 3, 3]
    assert mid_rank_scores([5], 5) == [3]
    assert mid_rank_scores([], 5) == []


def test_scores_do_not_depend_on_input_order() -> None:
    rng = random.Random(7)
    values = [rng.randint(0, 20) for _ in range(200)]
    scored = dict(zip(values, mid_rank_scores(values, 5), strict=True))
    shuffled = values[:]
    rng.shuffle(shuffled)
    assert dict(zip(shuffled, mid_rank_scores(shuffled, 5), strict=True)) == scored
    assert set(scored.values()) <= {1, 2, 3, 4, 5}


def test_recency_counts_the_leap_day() -> None:
    leap = collect_facts(
        group_transactions([txn("a", "2024-02-28T23:00", 10)]),
        as_of=datetime(2024, 3, 1, 1, 0, tzinfo=UTC),
        rates=CNY,
    )
    plain = collect_facts(
        group_transactions([txn("a", "2023-02-28T23:00", 10)]),
        as_of=datetime(2023, 3, 1, 1, 0, tzinfo=UTC),
        rates=CNY,
    )
    assert score_rfm(leap).scores[0].recency_days == 2
    assert score_rfm(plain).scores[0].recency_days == 1


def test_empty_book_and_book_without_orders() -> None:
    empty = score_rfm(collect_facts({}, as_of=AS_OF, rates=CNY))
    assert empty.scores == ()
    assert empty.unscored == ()
    no_orders = score_rfm(collect_facts({}, as_of=AS_OF, rates=CNY, customer_ids=["x", "y"]))
    assert no_orders.scores == ()
    assert no_orders.unscored == ("x", "y")


def test_other_bin_counts() -> None:
    result = score_rfm(book(), bins=3)
    assert {s.r for s in result.scores} <= {1, 2, 3}
    assert result.by_id()["b"].m == 3


@pytest.mark.parametrize("bad", [1, 11, True, 2.5])
def test_bins_are_validated(bad: object) -> None:
    with pytest.raises(ValidationError, match="bins"):
        score_rfm(book(), bins=bad)  # type: ignore[arg-type]


def test_new_score_equals_the_constructor() -> None:
    from keyaccount.models import CustomerId
    from keyaccount.value.rfm import RfmScore, _new_score

    values = (CustomerId("c1"), "CNY", 12, 3, Decimal("99.90"), 5, 4, 3)
    assert _new_score(*values) == RfmScore(*values)
    assert repr(_new_score(*values)) == repr(RfmScore(*values))
