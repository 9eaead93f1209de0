"""Predicted customer lifetime value (生命周期价值): BG/NBD + Gamma-Gamma, or a cohort average.

From the book facts at ``as_of`` each customer with at least one order is described by

- ``x``: repeat purchase occasions (order days after the first),
- ``t_x``: days from the first to the last order day, ``T``: days from the first order day to
  ``as_of``'s day, both divided by ``time_unit_days`` (default 7: weeks, the unit of the
  published CDNOW parameters),
- ``zbar``: net revenue after the first order day divided by ``x`` (the first purchase is
  left out, as in Fader & Hardie), for customers with ``x > 0``.

**Method.** ``auto`` fits BG/NBD (purchases, P(alive)) and Gamma-Gamma (spend per purchase) by
maximum likelihood when the book has at least ``min_customers`` customers with an order, at
least ``min_repeat_customers`` of them with a positive repeat spend, and numpy/scipy are
installed; otherwise, or if a fit fails, it uses the **cohort average**, and the result says
which method ran and why. ``model`` insists on the fit (raising ``ClvExtraMissing``,
``ValidationError`` or ``FitFailed``); ``cohort`` always uses the average.

**Cohort average.** The whole book is the cohort: purchase rate ``λ = Σx / ΣT`` (repeat
occasions per day of observed customer life), spend per purchase ``Σ net revenue / Σ order
days``; every customer is expected to buy ``λ`` per day of the horizon at that spend.
P(alive) is not estimated (``None``).

**Discounting.** The horizon is cut into steps of ``step_days`` (default a twelfth of a year;
the last step may be shorter). Purchases expected in step k, ``E[Y(t_k)] - E[Y(t_{k-1})]``, are
discounted to ``as_of`` at the end of the step with the annual effective rate ``d``:
``(1 + d) ** -(t_k / 365.25 days)``. ``clv_revenue = expected spend × Σ discounted purchases``.

**Profit.** ``clv = clv_revenue × margin`` where the margin is the customer's gross profit to
date over revenue to date (the book's margin when the customer's revenue is not positive); a
loss-making customer therefore has a negative CLV.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import attrs

from keyaccount.errors import ValidationError
from keyaccount.models.ids import CustomerId
from keyaccount.money import Money
from keyaccount.slots import slot_builder
from keyaccount.value.clv_models import (
    BgNbdParams,
    ClvExtraMissing,
    FitFailed,
    GammaGammaParams,
    bgnbd_expected_purchases,
    bgnbd_p_alive,
    clv_extra_available,
    fit_bgnbd,
    fit_gamma_gamma,
    gamma_gamma_expected_spend,
)
from keyaccount.value.facts import BookFacts, CustomerFacts

DAYS_PER_YEAR = 365.25


class ClvMethod(StrEnum):
    AUTO = "auto"
    MODEL = "bgnbd_gamma_gamma"
    COHORT = "cohort_average"


def _positive_int(name: str) -> Any:
    def check(instance: object, attribute: Any, value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValidationError(f"ClvConfig.{name}", value, "must be a positive whole number")

    return check


def _positive_number(name: str) -> Any:
    def check(instance: object, attribute: Any, value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
            raise ValidationError(f"ClvConfig.{name}", value, "must be a positive number")

    return check


def _rate(instance: object, attribute: Any, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 10:
        raise ValidationError("ClvConfig.annual_discount_rate", value, "must be in [0, 10)")


def to_clv_method(value: Any) -> ClvMethod:
    try:
        return ClvMethod(value)
    except ValueError:
        raise ValidationError(
            "ClvConfig.method", value, f"must be one of {[m.value for m in ClvMethod]}"
        ) from None


@attrs.frozen
class ClvConfig:
    """How lifetime value is predicted; defaults: one year ahead at 10 % a year, in weeks."""

    horizon_days: int = attrs.field(default=365, validator=_positive_int("horizon_days"))
    annual_discount_rate: float = attrs.field(default=0.10, validator=_rate)
    step_days: float = attrs.field(
        default=DAYS_PER_YEAR / 12, validator=_positive_number("step_days")
    )
    time_unit_days: float = attrs.field(default=7.0, validator=_positive_number("time_unit_days"))
    min_customers: int = attrs.field(default=100, validator=_positive_int("min_customers"))
    min_repeat_customers: int = attrs.field(
        default=20, validator=_positive_int("min_repeat_customers")
    )
    method: ClvMethod = attrs.field(default=ClvMethod.AUTO, converter=to_clv_method)


@attrs.frozen
class CohortAverages:
    """The figures the cohort-average method applies to everyone."""

    customers: int
    purchases_per_day: float
    spend_per_purchase: Money


@attrs.frozen
class CustomerLifetimeValue:
    """One customer's prediction over the horizon; money is discounted to ``as_of``.

    Amounts are ``Decimal`` (2 places) in ``currency``; the ``Money`` properties wrap them
    (kept as plain fields because a large book has hundreds of thousands of them).
    """

    customer_id: CustomerId
    currency: str
    p_alive: float | None
    expected_purchases: float
    margin: float
    expected_spend_amount: Decimal
    clv_revenue_amount: Decimal
    clv_amount: Decimal

    @property
    def expected_spend(self) -> Money:
        """Expected net revenue per future purchase occasion."""
        return Money(self.expected_spend_amount, self.currency)

    @property
    def clv_revenue(self) -> Money:
        """Discounted expected revenue over the horizon."""
        return Money(self.clv_revenue_amount, self.currency)

    @property
    def clv(self) -> Money:
        """Discounted expected gross profit over the horizon (``clv_revenue × margin``)."""
        return Money(self.clv_amount, self.currency)


@attrs.frozen
class LifetimeValueResult:
    as_of: datetime
    currency: str
    config: ClvConfig
    method: ClvMethod
    reason: str
    predictions: tuple[CustomerLifetimeValue, ...]
    without_orders: tuple[CustomerId, ...]
    bgnbd: BgNbdParams | None = None
    gamma_gamma: GammaGammaParams | None = None
    cohort: CohortAverages | None = None

    def by_id(self) -> dict[CustomerId, CustomerLifetimeValue]:
        return {p.customer_id: p for p in self.predictions}

    @property
    def total_clv(self) -> Money:
        return Money(sum((p.clv_amount for p in self.predictions), Decimal(0)), self.currency)


@attrs.frozen
class _Inputs:
    customers: tuple[CustomerFacts, ...]
    x: list[float]
    t_x: list[float]
    T: list[float]
    zbar: list[float]


def _inputs(facts: BookFacts, unit: float) -> _Inputs:
    # Once per customer: day ordinals instead of date subtractions (no timedelta per
    # difference) and ``repeat_occasions`` inlined (a property call per customer).
    as_of_ordinal = facts.as_of.date().toordinal()
    buyers: list[CustomerFacts] = []
    x: list[float] = []
    t_x: list[float] = []
    T: list[float] = []
    zbar: list[float] = []
    for f in facts.customers:
        first, last = f.first_order_on, f.last_order_on
        if first is None or last is None:
            continue
        buyers.append(f)
        repeat = f.order_days - 1
        if repeat < 0:
            repeat = 0
        first_ordinal = first.toordinal()
        x.append(float(repeat))
        t_x.append((last.toordinal() - first_ordinal) / unit)
        T.append((as_of_ordinal - first_ordinal) / unit)
        zbar.append(float(f.repeat_revenue) / repeat if repeat else 0.0)
    return _Inputs(tuple(buyers), x, t_x, T, zbar)


def _steps(config: ClvConfig) -> list[tuple[float, float]]:
    """(end of step in days, discount factor at that end) for each step of the horizon."""
    out = []
    k = 1
    while True:
        end = min(k * config.step_days, float(config.horizon_days))
        factor = (1 + config.annual_discount_rate) ** -(end / DAYS_PER_YEAR)
        out.append((end, factor))
        if end >= config.horizon_days:
            return out
        k += 1


def _cents(value: float) -> Decimal:
    if not math.isfinite(value):
        raise FitFailed(f"a predicted amount is not finite ({value})")
    return Decimal(f"{value:.2f}")


def _margins(customers: Sequence[CustomerFacts]) -> list[float]:
    # One pass for the book's sums and each customer's ratio, where three passes took
    # 0.35 s at 100k; the sums add the same values in the same order.
    revenue = profit = zero = Decimal(0)  # (Decimal against Decimal: faster than against 0)
    margins: list[float | None] = []
    for f in customers:
        customer_revenue = f.revenue
        if customer_revenue > zero:
            customer_profit = f.gross_profit
            revenue += customer_revenue
            profit += customer_profit
            margins.append(float(customer_profit / customer_revenue))
        else:
            margins.append(None)
    book = float(profit / revenue) if revenue > 0 else 0.0
    return [book if m is None else m for m in margins]


def predict_lifetime_value(
    facts: BookFacts, config: ClvConfig | None = None
) -> LifetimeValueResult:
    """Predicted purchases, P(alive) and discounted CLV of every customer with an order."""
    config = config or ClvConfig()
    data = _inputs(facts, config.time_unit_days)
    without = tuple(f.customer_id for f in facts.customers if f.first_order_on is None)
    repeaters = sum(1 for x, z in zip(data.x, data.zbar, strict=True) if x > 0 and z > 0)
    if config.method is ClvMethod.COHORT:
        return _cohort(facts, config, data, without, "cohort average requested")
    shortfall = None
    if len(data.customers) < config.min_customers:
        shortfall = (
            f"{len(data.customers)} customers with orders, fewer than the "
            f"{config.min_customers} needed to fit BG/NBD"
        )
    elif repeaters < config.min_repeat_customers:
        shortfall = (
            f"{repeaters} repeat customers with positive spend, fewer than the "
            f"{config.min_repeat_customers} needed to fit Gamma-Gamma"
        )
    elif not clv_extra_available():
        shortfall = "numpy/scipy not installed (pip install 'keyaccount[clv]')"
    if shortfall is not None:
        if config.method is ClvMethod.MODEL:
            if not clv_extra_available():
                raise ClvExtraMissing("numpy or scipy")
            raise ValidationError("facts", len(data.customers), shortfall)
        return _cohort(facts, config, data, without, shortfall)
    try:
        return _model(facts, config, data, without)
    except FitFailed as exc:
        if config.method is ClvMethod.MODEL:
            raise
        return _cohort(facts, config, data, without, f"model fit failed: {exc}")


def _model(
    facts: BookFacts, config: ClvConfig, data: _Inputs, without: tuple[CustomerId, ...]
) -> LifetimeValueResult:
    import numpy as np

    x, t_x, T, zbar = (
        np.asarray(c, dtype=np.float64) for c in (data.x, data.t_x, data.T, data.zbar)
    )
    # Customers are summarised to days, so many share (x, t_x, T): fit each distinct one once.
    keys, inverse, counts = _distinct_rows(x, t_x, T)
    ux, ut_x, uT = keys[:, 0], keys[:, 1], keys[:, 2]
    bg = fit_bgnbd(ux, ut_x, uT, weights=counts)
    spenders = (x > 0) & (zbar > 0)
    gg = fit_gamma_gamma(x[spenders], zbar[spenders])
    spend = gamma_gamma_expected_spend(gg, x, zbar)
    p_alive = bgnbd_p_alive(bg, ux, ut_x, uT)[inverse]
    unit = config.time_unit_days
    previous = np.zeros_like(ux)
    discounted = np.zeros_like(ux)
    for end, factor in _steps(config):
        cumulative = bgnbd_expected_purchases(bg, end / unit, ux, ut_x, uT)
        discounted += (cumulative - previous) * factor
        previous = cumulative
    expected = previous[inverse]
    discounted_all = discounted[inverse]
    predictions = _predictions(
        facts.currency,
        data.customers,
        p_alive=p_alive.tolist(),
        expected=expected.tolist(),
        discounted=discounted_all.tolist(),
        spend=spend.tolist(),
    )
    return LifetimeValueResult(
        as_of=facts.as_of,
        currency=facts.currency,
        config=config,
        method=ClvMethod.MODEL,
        reason=(
            f"BG/NBD fitted on {bg.customers} customers, Gamma-Gamma on {gg.customers} "
            "repeat customers"
        ),
        predictions=predictions,
        without_orders=without,
        bgnbd=bg,
        gamma_gamma=gg,
    )


def _distinct_rows(x: Any, t_x: Any, T: Any) -> tuple[Any, Any, Any]:
    """``np.unique(np.stack([x, t_x, T], axis=1), axis=0, return_inverse=True,
    return_counts=True)`` (with a flat inverse): the distinct rows in lexicographic order,
    each row's index among them, and how often each occurs. Through ``np.lexsort`` over
    the three columns rather than the row-wise unique's sort of a structured view:
    measured 0.25 → 0.04 s at 100k customers. A test checks it against ``np.unique``."""
    import numpy as np

    n = len(x)
    order = np.lexsort((T, t_x, x))  # the last key sorts first
    sx, st_x, sT = x[order], t_x[order], T[order]
    first = np.empty(n, dtype=bool)
    first[:1] = True
    first[1:] = (sx[1:] != sx[:-1]) | (st_x[1:] != st_x[:-1]) | (sT[1:] != sT[:-1])
    keys = np.stack([sx[first], st_x[first], sT[first]], axis=1)
    inverse = np.empty(n, dtype=np.intp)
    inverse[order] = np.cumsum(first) - 1
    counts = np.diff(np.append(np.flatnonzero(first), n))
    return keys, inverse, counts


def _cohort(
    facts: BookFacts,
    config: ClvConfig,
    data: _Inputs,
    without: tuple[CustomerId, ...],
    reason: str,
) -> LifetimeValueResult:
    unit = config.time_unit_days
    exposure_days = sum(data.T) * unit
    rate = sum(data.x) / exposure_days if exposure_days > 0 else 0.0
    occasions = sum(f.order_days for f in data.customers)
    revenue = sum((f.revenue for f in data.customers), Decimal(0))
    spend = max(revenue / occasions, Decimal(0)) if occasions else Decimal(0)
    horizon = float(config.horizon_days)
    discounted = 0.0
    start = 0.0
    for end, factor in _steps(config):
        discounted += rate * (end - start) * factor
        start = end
    n = len(data.customers)
    predictions = _predictions(
        facts.currency,
        data.customers,
        p_alive=[None] * n,
        expected=[rate * horizon] * n,
        discounted=[discounted] * n,
        spend=[float(spend)] * n,
    )
    return LifetimeValueResult(
        as_of=facts.as_of,
        currency=facts.currency,
        config=config,
        method=ClvMethod.COHORT,
        reason=reason,
        predictions=predictions,
        without_orders=without,
        cohort=CohortAverages(
            customers=n,
            purchases_per_day=rate,
            spend_per_purchase=Money(spend.quantize(Decimal("0.01")), facts.currency),
        ),
    )


def _predictions(
    currency: str,
    customers: Sequence[CustomerFacts],
    *,
    p_alive: Sequence[float | None],
    expected: Sequence[float],
    discounted: Sequence[float],
    spend: Sequence[float],
) -> tuple[CustomerLifetimeValue, ...]:
    margins = _margins(customers)
    revenue = [disc * sp for disc, sp in zip(discounted, spend, strict=True)]
    profit = [rev * margin for rev, margin in zip(revenue, margins, strict=True)]
    if not all(map(math.isfinite, itertools.chain(spend, revenue, profit))):
        _cents_in_order(spend, revenue, profit)  # raises FitFailed for the first one
    # Column by column with C-level maps, not three _cents calls per customer (a third of
    # the predictions at 100k); the same format, so the same Decimals.
    spend_cents, revenue_cents, profit_cents = (
        list(map(Decimal, map(_TWO_PLACES, column))) for column in (spend, revenue, profit)
    )
    return tuple(
        _prediction(f.customer_id, currency, alive, exp, margin, sp, rev, clv)
        for f, alive, exp, margin, sp, rev, clv in zip(
            customers,
            p_alive,
            expected,
            margins,
            spend_cents,
            revenue_cents,
            profit_cents,
            strict=True,
        )
    )


_TWO_PLACES = "{:.2f}".format  # what _cents formats with


# ``CustomerLifetimeValue(...)`` with every field in field order, its slots set directly: the
# record has no converters or validators to skip, only attrs' per-field setup (one record
# per customer with an order; ~2.6 → ~1.8 µs). A test checks it equals the constructor.
_prediction: Callable[..., CustomerLifetimeValue] = slot_builder(CustomerLifetimeValue)


def _cents_in_order(
    spend: Sequence[float], revenue: Sequence[float], profit: Sequence[float]
) -> None:
    """``_cents`` of every amount in the order a customer-by-customer pass takes them, so
    the first amount that is not finite is the one reported."""
    for amounts in zip(spend, revenue, profit, strict=True):
        for amount in amounts:
            _cents(amount)
