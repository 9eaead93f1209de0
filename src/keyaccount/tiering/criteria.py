"""Tiering criteria: what is measured per customer (the raw value) and how it is normalised.

Built-in criteria (raw value → normalisation):

========================  ===============================================================
``revenue``               net amount (orders + refunds) in the window, reporting currency →
                          percentile rank
``gross_profit``          net gross profit in the window (may be negative) → percentile rank
``frequency``             number of orders (refunds not counted) in the window →
                          percentile rank
``loyalty``               index 0–100: 50 × min(tenure / 3 years, 1) + 50 × share of the
                          last twelve 30-day periods with an order → min-max 0..100
``potential``             latest manual rating 1–5 (``PotentialRating``) → min-max 1..5;
                          unrated customers score 50
``credit``                on-time payment rate (%) of receivables due in the window, minus
                          25 per receivable now more than 90 days overdue and 25 if the
                          outstanding balance exceeds the credit limit, floored at 0 →
                          min-max 0..100; customers with nothing due score 50
========================  ===============================================================

The window is ``(as_of − window_days, as_of]``; records after ``as_of`` are ignored so a run
for a past date gives the same answer later.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

import attrs

from keyaccount import validation as v
from keyaccount.activity import CustomerActivity, convert_totals, open_amount
from keyaccount.errors import ValidationError
from keyaccount.fx import ExchangeRates
from keyaccount.models import CustomerId, Transaction, TransactionKind
from keyaccount.tiering.normalise import MinMax, Normaliser, PercentileRank

_ORDER = TransactionKind.ORDER  # hoisted: enum member lookups are slow in hot loops

TENURE_FULL_DAYS = 3 * 365
ACTIVE_PERIOD_DAYS = 30
ACTIVE_PERIODS = 12
SEVERELY_OVERDUE_DAYS = 90
CREDIT_PENALTY = 25.0


@attrs.frozen
class ScoringContext:
    """What every criterion may read besides the customer's own records."""

    as_of: datetime = attrs.field(converter=v.to_utc, validator=v.utc_datetime)
    rates: ExchangeRates
    window_days: int = attrs.field(default=365, validator=v.int_between(1, 3660))
    potential: Mapping[CustomerId, int] = attrs.field(factory=dict, hash=False)
    window_start: datetime = attrs.field(init=False)
    # Derived once per run rather than per customer: where the loyalty criterion's twelve
    # active periods begin, and the days the credit criterion compares receivables with.
    horizon_start: datetime = attrs.field(init=False, eq=False, repr=False)
    today: date = attrs.field(init=False, eq=False, repr=False)
    window_start_day: date = attrs.field(init=False, eq=False, repr=False)
    # Criteria of one customer share its window figures: the last customer's are kept here.
    memo: dict[str, Any] = attrs.field(init=False, factory=dict, eq=False, repr=False)

    @window_start.default
    def _window_start(self) -> datetime:
        return self.as_of - timedelta(days=self.window_days)

    @horizon_start.default
    def _horizon_start(self) -> datetime:
        return self.as_of - timedelta(days=ACTIVE_PERIOD_DAYS * ACTIVE_PERIODS)

    @today.default
    def _today(self) -> date:
        return self.as_of.date()

    @window_start_day.default
    def _window_start_day(self) -> date:
        return self.window_start.date()


@attrs.frozen
class WindowFigures:
    """Per-currency net revenue and gross profit, and the order count, in the window."""

    revenue: dict[str, Decimal]
    gross_profit: dict[str, Decimal]
    orders: int


def window_figures(activity: CustomerActivity, ctx: ScoringContext) -> WindowFigures:
    """The customer's window figures, computed once per customer and criterion pass."""
    memo = ctx.memo
    if memo.get("activity") is activity:
        cached: WindowFigures = memo["figures"]
        return cached
    window = window_transactions(activity, ctx)
    figures = _one_currency_figures(window)
    if figures is None:
        figures = _figures_by_currency(window)
    memo["activity"] = activity
    memo["figures"] = figures
    return figures


def _one_currency_figures(window: tuple[Transaction, ...]) -> WindowFigures | None:
    """The figures of a window whose transactions share one currency (None otherwise), summed
    in plain locals: a per-currency dict update per transaction was half the cost. Adds the
    same amounts in the same order as ``_figures_by_currency``, so the sums are identical."""
    if not window:
        return WindowFigures({}, {}, 0)
    currency = window[0].amount.currency
    revenue = profit = Decimal(0)
    orders = 0
    order = _ORDER
    for t in window:
        amount = t.amount
        if amount.currency != currency:
            return None
        revenue += amount.amount
        profit += t.gross_profit.amount  # in the amount's currency (Transaction checks it)
        orders += t.kind is order
    return WindowFigures({currency: revenue}, {currency: profit}, orders)


def _figures_by_currency(window: tuple[Transaction, ...]) -> WindowFigures:
    revenue: dict[str, Decimal] = {}
    profit: dict[str, Decimal] = {}
    orders = 0
    zero = Decimal(0)
    order = _ORDER
    for t in window:
        amount = t.amount
        cur = amount.currency
        revenue[cur] = revenue.get(cur, zero) + amount.amount
        gp = t.gross_profit
        profit[gp.currency] = profit.get(gp.currency, zero) + gp.amount
        orders += t.kind is order
    return WindowFigures(revenue, profit, orders)


Measure = Callable[[CustomerActivity, ScoringContext], "float | None"]


def _finite_score(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
        raise ValidationError(v.field_name(instance, attribute), value, "must be 0–100")


def _weight(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ValidationError(v.field_name(instance, attribute), value, "must be >= 0")


@attrs.frozen
class Criterion:
    """One weighted criterion. Plugins build these and pass them to ``register_tier_criteria``.

    ``measure(activity, ctx)`` returns the raw value (``None``: nothing to measure; the
    customer then gets ``missing_score``). ``normaliser`` turns raw values into 0–100 scores
    across the book. ``default_weight`` applies when a model is built without explicit weights.
    """

    name: str = attrs.field(validator=v.non_empty_text)
    label: str = attrs.field(validator=v.non_empty_text)
    measure: Measure = attrs.field(eq=False)
    normaliser: Normaliser = attrs.field(factory=PercentileRank)
    default_weight: float = attrs.field(default=0.0, validator=_weight)
    missing_score: float = attrs.field(default=0.0, validator=_finite_score)
    unit: str = ""


def window_transactions(activity: CustomerActivity, ctx: ScoringContext) -> tuple[Transaction, ...]:
    """The customer's transactions in ``(window_start, as_of]`` (bisected, not scanned)."""
    txs = activity.transactions
    if not txs:
        return ()
    lo = bisect.bisect_right(activity.transaction_times, ctx.window_start)
    hi = bisect.bisect_right(activity.transaction_times, ctx.as_of)
    return txs[lo:hi]


def measure_revenue(activity: CustomerActivity, ctx: ScoringContext) -> float | None:
    return float(convert_totals(window_figures(activity, ctx).revenue, ctx.rates))


def measure_gross_profit(activity: CustomerActivity, ctx: ScoringContext) -> float | None:
    return float(convert_totals(window_figures(activity, ctx).gross_profit, ctx.rates))


def measure_frequency(activity: CustomerActivity, ctx: ScoringContext) -> float | None:
    return float(window_figures(activity, ctx).orders)


def measure_loyalty(activity: CustomerActivity, ctx: ScoringContext) -> float | None:
    txs = activity.transactions
    times = activity.transaction_times
    as_of = ctx.as_of
    hi = bisect.bisect_right(times, as_of)
    order = _ORDER
    # The first order is nearly always the first transaction: a loop that stops there costs
    # less than slicing the history for a generator.
    first = None
    for i in range(hi):
        if txs[i].kind is order:
            first = times[i]
            break
    if first is None:
        return 0.0
    lo = bisect.bisect_right(times, ctx.horizon_start)
    active = {
        (as_of - t.occurred_at).days // ACTIVE_PERIOD_DAYS for t in txs[lo:hi] if t.kind is order
    }
    tenure = min((as_of - first).days / TENURE_FULL_DAYS, 1.0)
    return 50.0 * tenure + 50.0 * len(active) / ACTIVE_PERIODS


def measure_potential(activity: CustomerActivity, ctx: ScoringContext) -> float | None:
    rating = ctx.potential.get(activity.customer_id)
    return None if rating is None else float(rating)


def measure_credit(activity: CustomerActivity, ctx: ScoringContext) -> float | None:
    if not activity.receivables:
        return None
    today = ctx.today
    start = ctx.window_start_day
    due = on_time = severe = 0
    outstanding: dict[str, Decimal] = {}
    zero = Decimal(0)
    for r in activity.receivables:
        if r.issued_on > today:
            continue
        owed = open_amount(r, today)
        if start < r.due_on <= today:
            due += 1
            # Paid by the due date (so by today): what was open after that payment is what
            # is open today, ``owed``; no second ``open_amount`` at the payment date.
            if r.paid_on is not None and r.paid_on <= r.due_on and owed <= 0:
                on_time += 1
        if owed > 0:
            cur = r.amount.currency
            outstanding[cur] = outstanding.get(cur, zero) + owed
            if (today - r.due_on).days > SEVERELY_OVERDUE_DAYS:
                severe += 1
    if due == 0 and severe == 0:
        return None
    rate = 100.0 * on_time / due if due else 0.0
    penalty = CREDIT_PENALTY * severe
    profile = activity.credit_profile
    if profile is not None and outstanding:
        limit = convert_totals(
            {profile.credit_limit.currency: profile.credit_limit.amount}, ctx.rates
        )
        if convert_totals(outstanding, ctx.rates) > limit:
            penalty += CREDIT_PENALTY
    return max(0.0, rate - penalty)


REVENUE = Criterion(
    "revenue", "交易金额 revenue", measure_revenue, PercentileRank(), 0.30, 0.0, "currency"
)
GROSS_PROFIT = Criterion(
    "gross_profit",
    "利润贡献 gross profit",
    measure_gross_profit,
    PercentileRank(),
    0.25,
    0.0,
    "currency",
)
FREQUENCY = Criterion(
    "frequency",
    "交易频次 order frequency",
    measure_frequency,
    PercentileRank(),
    0.15,
    0.0,
    "orders",
)
LOYALTY = Criterion(
    "loyalty", "忠诚度 loyalty", measure_loyalty, MinMax(0.0, 100.0), 0.10, 0.0, "index"
)
POTENTIAL = Criterion(
    "potential", "客户潜力 potential", measure_potential, MinMax(1.0, 5.0), 0.10, 50.0, "rating"
)
CREDIT = Criterion(
    "credit", "信用状况 credit", measure_credit, MinMax(0.0, 100.0), 0.10, 50.0, "index"
)

BUILT_IN_CRITERIA: tuple[Criterion, ...] = (
    REVENUE,
    GROSS_PROFIT,
    FREQUENCY,
    LOYALTY,
    POTENTIAL,
    CREDIT,
)


class RegisterTierCriterion(Protocol):
    """Type of the ``register`` argument of ``register_tier_criteria``: ``register(criterion)``."""

    def __call__(self, criterion: Criterion) -> None: ...
