"""Invariants of the ranking rules over arbitrary inputs."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from keyaccount.value import (
    BookFacts,
    CustomerFacts,
    PyramidLayer,
    build_pyramid,
    mid_rank_scores,
    revenue_concentration,
)

AS_OF = datetime(2026, 6, 30, tzinfo=UTC)
LAYER_ORDER = list(PyramidLayer)


@given(st.lists(st.integers(-50, 50), max_size=200), st.integers(2, 10))
def test_mid_rank_scores_are_monotone_and_tie_consistent(values: list[int], bins: int) -> None:
    scores = mid_rank_scores(values, bins)
    assert all(1 <= s <= bins for s in scores)
    by_value: dict[int, int] = {}
    for value, score in zip(values, scores, strict=True):
        assert by_value.setdefault(value, score) == score  # equal values, equal scores
    ordered = sorted(by_value.items())
    assert [s for _, s in ordered] == sorted(s for _, s in ordered)  # higher value, no lower score


def book(profits: list[int]) -> BookFacts:
    return BookFacts(
        as_of=AS_OF,
        currency="CNY",
        window_days=365,
        customers=tuple(
            CustomerFacts(
                customer_id=f"c{i:04d}",
                currency="CNY",
                gross_profit=Decimal(p),
                window_revenue=Decimal(abs(p)),
            )
            for i, p in enumerate(profits)
        ),
    )


@settings(max_examples=60)
@given(st.lists(st.integers(-1000, 1000), max_size=300))
def test_pyramid_layers_follow_profit(profits: list[int]) -> None:
    result = build_pyramid(book(profits))
    assert len(result.entries) == len(profits)
    assert sum(s.customers for s in result.layers) == len(profits)
    assert sum(s.gross_profit.amount for s in result.layers) == sum(profits)
    ranks = [e.rank for e in result.entries]
    assert ranks == list(range(1, len(profits) + 1))
    # Layers never get better further down the ranking, equal profits share a layer, and
    # the sign rules hold.
    layer_of: dict[Decimal, PyramidLayer] = {}
    previous = 0
    for e in result.entries:
        position = LAYER_ORDER.index(e.layer)
        assert position >= previous
        previous = position
        assert layer_of.setdefault(e.gross_profit_amount, e.layer) is e.layer
        assert (e.layer is PyramidLayer.NEGATIVE) == (e.gross_profit_amount < 0)
        if e.gross_profit_amount == 0:
            assert e.layer is PyramidLayer.SMALL


@settings(max_examples=60)
@given(st.lists(st.integers(-1000, 1000), max_size=300))
def test_concentration_bounds(profits: list[int]) -> None:
    result = revenue_concentration(book(profits), top_n=(1, 5, 1000))
    n = result.customers_with_revenue
    shares = [t.share for t in result.top]
    assert shares == sorted(shares)
    if n:
        assert 1 / n - 1e-12 <= result.hhi <= 1 + 1e-12
        assert shares[-1] == 1.0
    else:
        assert result.hhi == 0


def _mid_ranks_by_blocks(values: list[Decimal], bins: int) -> list[int]:
    # The definition walked block by block over the sorted values (the former implementation).
    n = len(values)
    order = sorted(range(n), key=values.__getitem__)
    scores = [0] * n
    start = 0
    while start < n:
        end = start + 1
        while end < n and values[order[end]] == values[order[start]]:
            end += 1
        for k in range(start, end):
            scores[order[k]] = 1 + (bins * (start + end)) // (2 * n)
        start = end
    return scores


@given(
    st.lists(st.sampled_from(["0", "0.00", "-1", "2.5", "2.50", "7", "1E+1"]), max_size=60),
    st.integers(2, 10),
)
def test_mid_rank_scores_equal_the_block_by_block_definition(texts: list[str], bins: int) -> None:
    values = [Decimal(t) for t in texts]  # equal values written differently are one block
    assert mid_rank_scores(values, bins) == _mid_ranks_by_blocks(values, bins)


@given(st.lists(st.integers(0, 30), max_size=80))
def test_concentration_ranks_ties_by_customer_id(revenues: list[int]) -> None:
    result = revenue_concentration(book(revenues), (1, 3, 1000))
    head = result.top[-1].customers
    want = sorted(
        (
            c
            for c, r in zip((f"c{i:04d}" for i in range(len(revenues))), revenues, strict=True)
            if r > 0
        ),
        key=lambda c: -revenues[int(c[1:])],
    )
    assert head == tuple(want)
