from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from value_helpers import make_txn as txn

from keyaccount.errors import ValidationError
from keyaccount.fx import ExchangeRates
from keyaccount.models import Transaction
from keyaccount.value import (
    LAYER_STRATEGY,
    BookFacts,
    PyramidCuts,
    PyramidLayer,
    build_pyramid,
    collect_facts,
    group_transactions,
    historical_values,
)

AS_OF = datetime(2026, 6, 30, 9, 0, tzinfo=UTC)
CNY = ExchangeRates.single("CNY")


def facts(txns: list[Transaction], customer_ids: tuple[str, ...] = ()) -> BookFacts:
    return collect_facts(
        group_transactions(txns), as_of=AS_OF, rates=CNY, customer_ids=customer_ids
    )


def profits_book(profits: list[int]) -> BookFacts:
    """Customer ``c000`` has ``profits[0]``, ``c001`` ``profits[1]``... (one order each)."""
    return facts(
        [txn(f"c{i:03d}", "2026-03-01T10:00", max(p, 0), p) for i, p in enumerate(profits)]
    )


def test_default_cuts_on_a_hundred_customers() -> None:
    # 98 customers with distinct positive profits and 2 losing money.
    result = build_pyramid(profits_book([*range(980, 0, -10), -5, -50]))
    counts = Counter(e.layer for e in result.entries)
    assert counts == {
        PyramidLayer.TOP: 1,
        PyramidLayer.LARGE: 4,
        PyramidLayer.MEDIUM: 15,
        PyramidLayer.SMALL: 78,
        PyramidLayer.NEGATIVE: 2,
    }
    by_id = result.by_id()
    assert by_id["c000"].layer is PyramidLayer.TOP
    assert by_id["c000"].rank == 1
    assert by_id["c004"].layer is PyramidLayer.LARGE
    assert by_id["c005"].layer is PyramidLayer.MEDIUM
    assert by_id["c019"].layer is PyramidLayer.MEDIUM
    assert by_id["c020"].layer is PyramidLayer.SMALL
    assert by_id["c099"].layer is PyramidLayer.NEGATIVE
    assert by_id["c099"].rank == 100
    summary = {s.layer: s for s in result.layers}
    assert summary[PyramidLayer.NEGATIVE].gross_profit.amount == Decimal(-55)
    assert summary[PyramidLayer.TOP].gross_profit.amount == Decimal(980)
    assert summary[PyramidLayer.LARGE].gross_profit.amount == Decimal(970 + 960 + 950 + 940)
    assert summary[PyramidLayer.TOP].strategy == LAYER_STRATEGY[PyramidLayer.TOP]
    assert summary[PyramidLayer.NEGATIVE].label_zh == "负价值客户"


def test_ties_are_never_split_across_a_boundary() -> None:
    profits = list(range(1000, 0, -10))
    profits[1] = profits[0]  # tie at the top boundary (position 0 | 1)
    profits[5] = profits[4]  # tie at the large | medium boundary (position 4 | 5)
    by_id = build_pyramid(profits_book(profits)).by_id()
    assert by_id["c001"].layer is PyramidLayer.TOP
    assert by_id["c005"].layer is PyramidLayer.LARGE
    assert by_id["c006"].layer is PyramidLayer.MEDIUM


def test_a_small_book_still_has_a_top_customer() -> None:
    by_id = build_pyramid(profits_book([300, 200, 100])).by_id()
    # ceil(1 % of 3) = 1 top; ceil(5 %) = 1 (no extra large); ceil(20 %) = 1 (no medium).
    assert [by_id[c].layer for c in ("c000", "c001", "c002")] == [
        PyramidLayer.TOP,
        PyramidLayer.SMALL,
        PyramidLayer.SMALL,
    ]


def test_zero_profit_is_small_and_no_orders_counts_in_the_book() -> None:
    result = build_pyramid(facts([], customer_ids=("p1", "p2")))
    assert {e.layer for e in result.entries} == {PyramidLayer.SMALL}


def test_refund_that_turns_profit_negative_puts_the_customer_in_negative() -> None:
    book = facts(
        [
            txn("good", "2026-01-01", 1000, 200),
            txn("bad", "2026-01-01", 1000, 100),
            txn("bad", "2026-02-01", -800, -300),
        ]
    )
    by_id = build_pyramid(book).by_id()
    assert by_id["bad"].layer is PyramidLayer.NEGATIVE
    assert by_id["bad"].gross_profit.amount == Decimal(-200)
    assert by_id["good"].layer is PyramidLayer.TOP
    assert historical_values(book)["bad"].amount == Decimal(-200)


def test_empty_portfolio() -> None:
    result = build_pyramid(facts([]))
    assert result.entries == ()
    assert all(s.customers == 0 for s in result.layers)
    assert [s.layer for s in result.layers] == list(PyramidLayer)


def test_custom_cuts() -> None:
    result = build_pyramid(profits_book(list(range(10, 0, -1))), PyramidCuts(0.1, 0.3, 0.6))
    counts = Counter(e.layer for e in result.entries)
    assert counts == {
        PyramidLayer.TOP: 1,
        PyramidLayer.LARGE: 2,
        PyramidLayer.MEDIUM: 3,
        PyramidLayer.SMALL: 4,
    }


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"top": 0}, "PyramidCuts.top"),
        ({"large": 1.5}, "PyramidCuts.large"),
        ({"medium": "x"}, "PyramidCuts.medium"),
        ({"top": 0.3, "large": 0.2}, "PyramidCuts.large"),
    ],
)
def test_cuts_are_validated(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError, match=field):
        PyramidCuts(**kwargs)  # type: ignore[arg-type]


def test_cut_shares_are_exact_decimals() -> None:
    # 0.07 * 100 is 7.000000000000001 in binary floating point; the cut must still be 7.
    result = build_pyramid(profits_book(list(range(100, 0, -1))), PyramidCuts(0.01, 0.07, 0.2))
    counts = Counter(e.layer for e in result.entries)
    assert counts[PyramidLayer.LARGE] == 6


def test_new_entry_equals_the_constructor() -> None:
    from keyaccount.models import CustomerId
    from keyaccount.value.pyramid import PyramidEntry, PyramidLayer, _new_entry

    values = (CustomerId("c1"), PyramidLayer.TOP, 1, "CNY", Decimal("12.30"))
    assert _new_entry(*values) == PyramidEntry(*values)
    assert repr(_new_entry(*values)) == repr(PyramidEntry(*values))
