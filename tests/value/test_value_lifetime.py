from __future__ import annotations

import random
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from value_helpers import make_txn as txn

from keyaccount.errors import ValidationError
from keyaccount.fx import ExchangeRates
from keyaccount.models import Transaction
from keyaccount.value import (
    BookFacts,
    ClvConfig,
    ClvExtraMissing,
    ClvMethod,
    FitFailed,
    collect_facts,
    group_transactions,
    predict_lifetime_value,
)

AS_OF = datetime(2026, 6, 30, 9, 0, tzinfo=UTC)
CNY = ExchangeRates.single("CNY")


def small_book() -> BookFacts:
    txns = [
        txn("a", "2025-07-01T10:00", 1000, 200),
        txn("a", "2026-01-01T10:00", 1000, 200),
        txn("b", "2026-03-31T10:00", 500, -50),
    ]
    return collect_facts(group_transactions(txns), as_of=AS_OF, rates=CNY, customer_ids=["z"])


def simulated_book(customers: int, seed: int) -> BookFacts:
    """Customers drawn from a BG/NBD process (weekly r=0.6, alpha=4, a=0.8, b=2.5)."""
    rng = random.Random(seed)
    txns: list[Transaction] = []
    start = AS_OF - timedelta(days=2 * 365)
    for i in range(customers):
        cid = f"s{i:05d}"
        lam = rng.gammavariate(0.6, 1 / 4) / 7  # purchases per day
        p = rng.betavariate(0.8, 2.5)
        at = start + timedelta(days=rng.randrange(365), hours=10)
        spend = rng.gammavariate(6, 1 / rng.gammavariate(4, 1 / 15)) * 10
        while at <= AS_OF:
            first = not txns or txns[-1].customer_id != cid
            txns.append(txn(cid, at, str(round(spend * rng.uniform(0.5, 1.5), 2))))
            # BG/NBD: a customer may drop out right after each *repeat* purchase.
            if not first and rng.random() < p:
                break
            gap = rng.expovariate(lam)
            if gap > 5000:  # beyond the observation period anyway
                break
            at += timedelta(days=gap)
    return collect_facts(group_transactions(txns), as_of=AS_OF, rates=CNY)


def test_cohort_average_on_a_small_book_by_hand() -> None:
    result = predict_lifetime_value(small_book(), ClvConfig(annual_discount_rate=0.0))
    assert result.method is ClvMethod.COHORT
    assert "2 customers with orders, fewer than the 100" in result.reason
    assert result.without_orders == ("z",)
    assert result.cohort is not None
    # a: T = 364 days with 1 repeat; b: T = 91 days, none → 1 purchase per 455 days.
    assert result.cohort.purchases_per_day == pytest.approx(1 / 455)
    assert result.cohort.spend_per_purchase.amount == Decimal("833.33")  # 2500 / 3 order days
    a, b = result.by_id()["a"], result.by_id()["b"]
    assert a.p_alive is None
    assert a.expected_purchases == pytest.approx(365 / 455)
    assert a.clv_revenue.amount == Decimal("668.50")
    assert a.margin == pytest.approx(0.2)
    assert a.clv.amount == Decimal("133.70")
    # b lost money on its only order: margin -10 %, so its predicted value is negative.
    assert b.margin == pytest.approx(-0.1)
    assert b.clv.amount == Decimal("-66.85")
    assert result.total_clv.amount == Decimal("66.85")


def test_discounting_steps_by_hand() -> None:
    config = ClvConfig(horizon_days=730, step_days=365, annual_discount_rate=0.1)
    result = predict_lifetime_value(small_book(), config)
    rate = 1 / 455
    discounted = rate * 365 * (1.1 ** (-365 / 365.25) + 1.1 ** (-730 / 365.25))
    expected = Decimal(f"{discounted * 2500 / 3:.2f}")
    assert result.by_id()["a"].clv_revenue.amount == expected
    assert result.by_id()["a"].expected_purchases == pytest.approx(730 / 455)


def test_last_step_is_cut_at_the_horizon() -> None:
    config = ClvConfig(horizon_days=400, step_days=365, annual_discount_rate=0.1)
    result = predict_lifetime_value(small_book(), config)
    discounted = (365 * 1.1 ** (-365 / 365.25) + 35 * 1.1 ** (-400 / 365.25)) / 455
    assert result.by_id()["a"].clv_revenue.amount == Decimal(f"{discounted * 2500 / 3:.2f}")


def test_empty_portfolio() -> None:
    result = predict_lifetime_value(collect_facts({}, as_of=AS_OF, rates=CNY))
    assert result.method is ClvMethod.COHORT
    assert result.predictions == ()
    assert result.total_clv.amount == 0


def test_one_order_only_book_predicts_no_repeat_purchases() -> None:
    book = collect_facts(group_transactions([txn("a", "2026-01-01", 100)]), as_of=AS_OF, rates=CNY)
    (p,) = predict_lifetime_value(book).predictions
    assert p.expected_purchases == 0
    assert p.clv.amount == 0


def test_first_purchase_today_has_no_exposure() -> None:
    book = collect_facts(
        group_transactions([txn("a", "2026-06-30T08:00", 100)]), as_of=AS_OF, rates=CNY
    )
    result = predict_lifetime_value(book)
    assert result.cohort is not None
    assert result.cohort.purchases_per_day == 0


def test_cohort_can_be_requested_on_a_large_book() -> None:
    result = predict_lifetime_value(simulated_book(150, 1), ClvConfig(method="cohort_average"))
    assert result.method is ClvMethod.COHORT
    assert result.reason == "cohort average requested"


def test_threshold_on_repeat_customers() -> None:
    book = simulated_book(150, 2)
    result = predict_lifetime_value(book, ClvConfig(min_repeat_customers=10_000))
    assert result.method is ClvMethod.COHORT
    assert "fewer than the 10000 needed to fit Gamma-Gamma" in result.reason


def test_model_method_refuses_a_small_book() -> None:
    pytest.importorskip("scipy")
    with pytest.raises(ValidationError, match="fewer than the 100"):
        predict_lifetime_value(small_book(), ClvConfig(method="bgnbd_gamma_gamma"))


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"horizon_days": 0}, "horizon_days"),
        ({"annual_discount_rate": -0.1}, "annual_discount_rate"),
        ({"step_days": 0}, "step_days"),
        ({"time_unit_days": -7}, "time_unit_days"),
        ({"min_customers": True}, "min_customers"),
        ({"method": "magic"}, "method"),
    ],
)
def test_config_is_validated(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError, match=f"ClvConfig.{field}"):
        ClvConfig(**kwargs)  # type: ignore[arg-type]


def test_model_on_a_simulated_book() -> None:
    pytest.importorskip("scipy")
    book = simulated_book(3000, 3)
    result = predict_lifetime_value(book)
    assert result.method is ClvMethod.MODEL, result.reason
    assert result.bgnbd is not None
    assert result.gamma_gamma is not None
    # Day-level aggregation and a finite sample blur the truth, so the check is loose.
    assert result.bgnbd.r == pytest.approx(0.6, rel=0.25)
    assert result.bgnbd.alpha == pytest.approx(4.0, rel=0.3)
    assert result.bgnbd.a == pytest.approx(0.8, rel=0.35)
    assert result.bgnbd.b == pytest.approx(2.5, rel=0.35)
    assert len(result.predictions) == len(book)
    for p in result.predictions:
        assert p.p_alive is not None
        assert 0 <= p.p_alive <= 1
        assert p.expected_purchases >= 0
    facts = book.by_id()
    one_timers = [p for p in result.predictions if facts[p.customer_id].repeat_occasions == 0]
    assert one_timers
    assert all(p.p_alive == 1 for p in one_timers)
    # Reproducible for a fixed clock and data.
    assert predict_lifetime_value(book) == result


def test_recent_buyers_are_more_alive_than_lapsed_ones() -> None:
    pytest.importorskip("scipy")
    base = simulated_book(400, 4)
    extra = [
        txn("recent", "2025-01-01T10:00", 100),
        txn("recent", "2025-06-01T10:00", 100),
        txn("recent", "2026-06-20T10:00", 100),
        txn("lapsed", "2025-01-01T10:00", 100),
        txn("lapsed", "2025-01-20T10:00", 100),
        txn("lapsed", "2025-02-01T10:00", 100),
    ]
    grouped = group_transactions(extra)
    book = collect_facts(grouped, as_of=AS_OF, rates=CNY)
    merged = BookFacts(
        as_of=AS_OF,
        currency="CNY",
        window_days=365,
        customers=base.customers + book.customers,
    )
    result = predict_lifetime_value(merged)
    assert result.method is ClvMethod.MODEL, result.reason
    recent, lapsed = result.by_id()["recent"], result.by_id()["lapsed"]
    assert recent.p_alive is not None
    assert lapsed.p_alive is not None
    assert recent.p_alive > lapsed.p_alive
    assert recent.expected_purchases > lapsed.expected_purchases
    assert recent.clv.amount > lapsed.clv.amount


def test_core_works_without_numpy_and_scipy() -> None:
    # A fresh interpreter in which numpy and scipy cannot be imported at all.
    script = textwrap.dedent(
        """
        import sys
        sys.modules["numpy"] = None
        sys.modules["scipy"] = None
        from datetime import UTC, datetime, timedelta
        from keyaccount.fx import ExchangeRates
        from keyaccount.models import Transaction
        from keyaccount.money import Money
        from keyaccount.value import (ClvConfig, ClvExtraMissing, analyse_facts,
            clv_extra_available, collect_facts, group_transactions, predict_lifetime_value)
        as_of = datetime(2026, 6, 30, tzinfo=UTC)
        txns = []
        for i in range(150):
            for k in range(1 + i % 3):
                at = as_of - timedelta(days=10 + 40 * k + i)
                txns.append(Transaction(id=f"t{i}_{k}", customer_id=f"c{i}", occurred_at=at,
                                        amount=Money("100", "CNY"), gross_profit=Money("20", "CNY")))
        facts = collect_facts(group_transactions(txns), as_of=as_of,
                              rates=ExchangeRates.single("CNY"))
        assert not clv_extra_available()
        report = analyse_facts(facts)
        print(report.lifetime.method.value, report.lifetime.reason)
        try:
            predict_lifetime_value(facts, ClvConfig(method="bgnbd_gamma_gamma"))
        except ClvExtraMissing as exc:
            print("raised:", exc)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert out.startswith("cohort_average numpy/scipy not installed")
    assert "raised:" in out
    assert "pip install 'keyaccount[clv]'" in out
    assert ClvExtraMissing("scipy").args[0].startswith("fitting lifetime-value models")


def test_auto_falls_back_when_the_model_is_degenerate() -> None:
    pytest.importorskip("scipy")
    # Everyone buys every week right up to today: nobody lapses, so BG/NBD's dropout
    # parameters run off to a boundary and the cohort average is used instead.
    txns = [
        txn(f"w{i:03d}", AS_OF - timedelta(days=7 * k + i % 3, hours=1), 100)
        for i in range(120)
        for k in range(10 + i % 5)
    ]
    book = collect_facts(group_transactions(txns), as_of=AS_OF, rates=CNY)
    result = predict_lifetime_value(book)
    assert result.method is ClvMethod.COHORT
    assert result.reason.startswith("model fit failed: parameters ran off to a boundary")
    with pytest.raises(FitFailed):
        predict_lifetime_value(book, ClvConfig(method="bgnbd_gamma_gamma"))


def test_predictions_report_the_first_amount_that_is_not_finite() -> None:
    from keyaccount.models import CustomerId
    from keyaccount.value.clv_models import FitFailed
    from keyaccount.value.facts import CustomerFacts
    from keyaccount.value.lifetime import _predictions

    customers = [
        CustomerFacts(CustomerId(f"c{i}"), "CNY", revenue=Decimal(10), gross_profit=Decimal(2))
        for i in range(3)
    ]
    good = _predictions(
        "CNY",
        customers,
        p_alive=[0.5, None, 1.0],
        expected=[1.0, 2.0, 3.0],
        discounted=[0.9, 1.0, 1.1],
        spend=[100.005, 12.345, 0.0],
    )
    assert [p.expected_spend_amount for p in good] == [
        Decimal(f"{x:.2f}") for x in (100.005, 12.345, 0.0)
    ]
    assert [p.clv_amount for p in good] == [
        Decimal(f"{x * 0.2:.2f}") for x in (0.9 * 100.005, 12.345, 0.0)
    ]
    with pytest.raises(FitFailed, match=r"not finite \(inf\)"):
        _predictions(
            "CNY",
            customers,
            p_alive=[None] * 3,
            expected=[1.0] * 3,
            discounted=[1.0, float("inf"), 1.0],  # the second customer's revenue comes first
            spend=[1.0, 1.0, float("nan")],
        )


def test_prediction_builder_equals_the_constructor() -> None:
    from keyaccount.models import CustomerId
    from keyaccount.value.lifetime import CustomerLifetimeValue, _prediction

    values = (
        CustomerId("c1"),
        "CNY",
        0.75,
        1.5,
        0.2,
        Decimal("10.00"),
        Decimal("9.50"),
        Decimal("1.90"),
    )
    built = _prediction(*values)
    assert built == CustomerLifetimeValue(*values)
    assert type(built) is CustomerLifetimeValue
    assert repr(built) == repr(CustomerLifetimeValue(*values))


def test_distinct_rows_match_numpy_unique() -> None:
    np = pytest.importorskip("numpy")
    from keyaccount.value.lifetime import _distinct_rows

    rng = np.random.default_rng(7)
    x = rng.integers(0, 5, 500).astype(float)
    t_x = rng.integers(0, 30, 500) / 7.0
    T = t_x + rng.integers(0, 10, 500) / 7.0
    keys, inverse, counts = np.unique(
        np.stack([x, t_x, T], axis=1), axis=0, return_inverse=True, return_counts=True
    )
    got_keys, got_inverse, got_counts = _distinct_rows(x, t_x, T)
    assert np.array_equal(got_keys, keys)
    assert np.array_equal(got_inverse, inverse.reshape(-1))
    assert np.array_equal(got_counts, counts)
    assert got_keys.strides == keys.strides


def test_margins_use_the_book_margin_without_positive_revenue() -> None:
    from keyaccount.models import CustomerId
    from keyaccount.value.facts import CustomerFacts
    from keyaccount.value.lifetime import _margins

    customers = [
        CustomerFacts(CustomerId("a"), "CNY", revenue=Decimal(10), gross_profit=Decimal(2)),
        CustomerFacts(CustomerId("b"), "CNY", revenue=Decimal(0), gross_profit=Decimal(-1)),
        CustomerFacts(CustomerId("c"), "CNY", revenue=Decimal(30), gross_profit=Decimal(12)),
    ]
    assert _margins(customers) == [0.2, 14 / 40, 0.4]
    assert _margins([customers[1]]) == [0.0]
