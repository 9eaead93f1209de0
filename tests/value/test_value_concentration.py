from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from value_helpers import make_txn as txn

from keyaccount.errors import ValidationError
from keyaccount.fx import ExchangeRates
from keyaccount.value import collect_facts, group_transactions, revenue_concentration

AS_OF = datetime(2026, 6, 30, 9, 0, tzinfo=UTC)
CNY = ExchangeRates.single("CNY")


def book():  # type: ignore[no-untyped-def]
    txns = [
        txn("a", "2026-01-01", 500),
        txn("b", "2026-02-01", 200),
        txn("b", "2026-03-01", 100),
        txn("c", "2026-04-01", 200),
        txn("r", "2026-04-01", 100),
        txn("r", "2026-04-02", -150),  # net negative: left out
        txn("old", "2024-01-01", 9999),  # outside the window
    ]
    return collect_facts(group_transactions(txns), as_of=AS_OF, rates=CNY, customer_ids=["z"])


def test_hand_computed_shares_and_herfindahl() -> None:
    result = revenue_concentration(book(), top_n=(1, 2, 5))
    assert result.customers_with_revenue == 3
    assert result.total_revenue.amount == Decimal(1000)
    assert result.share_of_top(1) == pytest.approx(0.5)
    assert result.share_of_top(2) == pytest.approx(0.8)
    assert result.share_of_top(5) == pytest.approx(1.0)
    assert result.top[0].customers == ("a",)
    assert result.top[1].revenue.amount == Decimal(800)
    assert result.hhi == pytest.approx(0.25 + 0.09 + 0.04)
    assert result.hhi_points == pytest.approx(3800)
    assert result.effective_customers == pytest.approx(1 / 0.38)


def test_equal_revenues_are_ordered_by_id() -> None:
    facts = collect_facts(
        group_transactions([txn("y", "2026-01-01", 10), txn("x", "2026-01-01", 10)]),
        as_of=AS_OF,
        rates=CNY,
    )
    result = revenue_concentration(facts, top_n=(1,))
    assert result.top[0].customers == ("x",)
    assert result.hhi == pytest.approx(0.5)


def test_empty_portfolio() -> None:
    result = revenue_concentration(collect_facts({}, as_of=AS_OF, rates=CNY))
    assert result.total_revenue.amount == 0
    assert [t.share for t in result.top] == [0.0, 0.0, 0.0, 0.0]
    assert result.hhi == 0
    assert result.effective_customers == 0
    with pytest.raises(KeyError):
        result.share_of_top(3)


@pytest.mark.parametrize("bad", [0, -1, True])
def test_top_n_is_validated(bad: object) -> None:
    with pytest.raises(ValidationError, match="top_n"):
        revenue_concentration(book(), top_n=(bad,))  # type: ignore[arg-type]
