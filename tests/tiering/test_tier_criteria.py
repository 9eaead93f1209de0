from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from tierkit import NOW, activity, cust, order, receivable, refund

from keyaccount.activity import group_activity
from keyaccount.fx import ExchangeRates, MissingRate
from keyaccount.models import CreditProfile, CustomerId, Transaction
from keyaccount.money import Money
from keyaccount.tiering.criteria import (
    ScoringContext,
    measure_credit,
    measure_frequency,
    measure_gross_profit,
    measure_loyalty,
    measure_potential,
    measure_revenue,
)

CNY = ExchangeRates.single("CNY")


def ctx(**kw: object) -> ScoringContext:
    kw.setdefault("as_of", NOW)
    kw.setdefault("rates", CNY)
    return ScoringContext(**kw)  # type: ignore[arg-type]


def test_revenue_is_net_of_refunds_within_the_window_only() -> None:
    a = activity(
        cust("c1"),
        order("c1", 10, "1000"),
        order("c1", 200, "500"),
        refund("c1", 5, "-300"),
        order("c1", 400, "9999"),  # before the 365-day window
        order("c1", -1, "7777"),  # after as_of
    )
    assert measure_revenue(a, ctx()) == 1200.0


def test_window_edges_exclude_start_and_include_as_of() -> None:
    a = activity(cust("c1"), order("c1", 365, "1"), order("c1", 0, "2"))
    assert measure_revenue(a, ctx()) == 2.0


def test_refund_can_make_gross_profit_negative() -> None:
    a = activity(cust("c1"), order("c1", 20, "100", "20"), refund("c1", 3, "-100", "-50"))
    assert measure_gross_profit(a, ctx()) == -30.0
    assert measure_revenue(a, ctx()) == 0.0


def test_frequency_counts_orders_not_refunds() -> None:
    a = activity(cust("c1"), order("c1", 20, "100"), order("c1", 2, "5"), refund("c1", 1, "-5"))
    assert measure_frequency(a, ctx()) == 2.0


def test_no_orders_measures_zero() -> None:
    a = activity(cust("c1"))
    assert measure_revenue(a, ctx()) == 0.0
    assert measure_frequency(a, ctx()) == 0.0
    assert measure_loyalty(a, ctx()) == 0.0
    assert measure_credit(a, ctx()) is None


def test_revenue_converts_each_currency_once() -> None:
    rates = ExchangeRates("CNY", {"USD": Decimal("7.1")})
    a = activity(cust("c1"), order("c1", 3, "100", cur="USD"), order("c1", 4, "100"))
    assert measure_revenue(a, ctx(rates=rates)) == 810.0
    with pytest.raises(MissingRate):
        measure_revenue(a, ctx())


def test_loyalty_one_recent_order() -> None:
    a = activity(cust("c1"), order("c1", 10, "1"))
    # tenure 10 / 1095 of the 50 points; one active 30-day period of 12
    assert measure_loyalty(a, ctx()) == pytest.approx(50 * 10 / 1095 + 50 / 12)


@pytest.mark.parametrize(
    ("first", "expected"),
    [
        # 2025-03-01 .. 2028-03-01 spans 2028-02-29: 1096 days, tenure is full
        (datetime(2025, 3, 1, tzinfo=UTC), 50.0),
        (datetime(2025, 3, 2, tzinfo=UTC), 50.0),  # exactly 1095 days
        (datetime(2025, 3, 3, tzinfo=UTC), 50 * 1094 / 1095),
    ],
)
def test_loyalty_tenure_counts_the_leap_day(first: datetime, expected: float) -> None:
    t = Transaction("t1", "c1", first, Money("1", "CNY"), Money("0", "CNY"))
    a = activity(cust("c1"), t)
    as_of = datetime(2028, 3, 1, tzinfo=UTC)
    assert measure_loyalty(a, ctx(as_of=as_of)) == pytest.approx(expected)


def test_loyalty_full_marks() -> None:
    orders = [order("c1", 15 + 30 * k, "1") for k in range(12)] + [order("c1", 1500, "1")]
    assert measure_loyalty(activity(cust("c1"), *orders), ctx()) == 100.0


def test_potential_reads_the_rating_or_none() -> None:
    a = activity(cust("c1"))
    assert measure_potential(a, ctx(potential={CustomerId("c1"): 4})) == 4.0
    assert measure_potential(a, ctx()) is None


def test_credit_on_time_rate_minus_severe_overdue() -> None:
    a = activity(
        cust("c1"),
        receivable("c1", "100", date(2026, 4, 1), date(2026, 5, 1), date(2026, 4, 30)),  # on time
        receivable("c1", "100", date(2026, 4, 1), date(2026, 5, 10), date(2026, 5, 20)),  # late
        receivable("c1", "100", date(2026, 2, 1), date(2026, 3, 1)),  # unpaid, 121 days over
    )
    assert measure_credit(a, ctx()) == pytest.approx(100 / 3 - 25)


def test_credit_of_customer_with_only_receivables_and_nothing_due() -> None:
    a = activity(cust("c1"), receivable("c1", "100", date(2026, 6, 1), date(2026, 7, 31)))
    assert measure_credit(a, ctx()) is None
    assert measure_revenue(a, ctx()) == 0.0


def test_credit_penalises_balance_over_the_limit() -> None:
    r = receivable("c1", "1500", date(2026, 6, 1), date(2026, 6, 20), date(2026, 6, 18))
    open_r = receivable("c1", "1500", date(2026, 6, 10), date(2026, 7, 10))
    c = cust("c1")
    profile = CreditProfile("cp1", "c1", Money("1000", "CNY"))
    a = group_activity([c], receivables=[r, open_r], credit_profiles=[profile])[c.id]
    assert measure_credit(a, ctx()) == 75.0
    under = group_activity(
        [c],
        receivables=[r, open_r],
        credit_profiles=[CreditProfile("cp1", "c1", Money("2000", "CNY"))],
    )[c.id]
    assert measure_credit(under, ctx()) == 100.0


def test_credit_ignores_future_issued_receivables() -> None:
    a = activity(
        cust("c1"),
        receivable(
            "c1", "100", (NOW + timedelta(days=3)).date(), (NOW + timedelta(days=30)).date()
        ),
    )
    assert measure_credit(a, ctx()) is None
