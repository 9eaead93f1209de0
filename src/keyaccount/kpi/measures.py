"""KPI functions (绩效考核). Each takes the ``KpiFacts`` of a group of customers for one
period and returns a ``KpiValue`` with its numerator and denominator, so a figure can be
checked by hand. Facts are gathered once per customer (``customer_facts``) and summed per
manager, team or tier, which keeps every breakdown a single pass over the book.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time
from decimal import Decimal

import attrs

from keyaccount.credit.ageing import to_base
from keyaccount.fx import ExchangeRates
from keyaccount.kpi.period import Period
from keyaccount.models import (
    Customer,
    Receivable,
    SurveyResponse,
    Transaction,
    TransactionKind,
)

_ZERO = Decimal(0)
_ORDER = TransactionKind.ORDER  # hoisted: enum member lookups are slow in hot loops


@attrs.frozen
class KpiValue:
    """``value = numerator / denominator`` (× 100 for scores); None when the base is empty."""

    code: str
    value: float | None
    numerator: float
    denominator: float


@attrs.frozen
class KpiFacts:
    """Countable facts about customers in a period (``cur``) and the one before (``prev``)."""

    customers: int = 0
    buying_prev: int = 0
    buying_cur: int = 0
    retained: int = 0
    new_customers: int = 0
    revenue_prev: Decimal = _ZERO
    revenue_cur: Decimal = _ZERO
    due_count: int = 0
    on_time_count: int = 0
    due_amount: Decimal = _ZERO
    on_time_amount: Decimal = _ZERO
    csat_answers: int = 0
    csat_satisfied: int = 0
    nps_answers: int = 0
    promoters: int = 0
    detractors: int = 0

    def __add__(self, other: KpiFacts) -> KpiFacts:
        return sum_facts((self, other))


def sum_facts(items: Iterable[KpiFacts]) -> KpiFacts:
    """Field-by-field sum. Rows are read with one C-level getter and summed column-wise,
    which keeps per-group totals over 100k customers well under a second."""
    return sum_rows([row_of(f) for f in items])


# KpiFacts' fields as a plain tuple, in field order: what a report sums per group.
FactsRow = tuple[
    int, int, int, int, int, Decimal, Decimal, int, int, Decimal, Decimal, int, int, int, int, int
]


def sum_rows(rows: Sequence[FactsRow]) -> KpiFacts:
    """``sum_facts`` of the facts these rows (``facts_row``) stand for."""
    if not rows:
        return KpiFacts()
    return KpiFacts(*(sum(column) for column in zip(*rows, strict=True)))


@functools.lru_cache(maxsize=64)
def _bounds(period: Period) -> tuple[datetime, datetime, datetime]:
    """UTC midnights opening the previous period, this period and the next one."""
    return (
        datetime.combine(period.previous().start, time(0), UTC),
        datetime.combine(period.start, time(0), UTC),
        datetime.combine(period.end, time(0), UTC),
    )


row_of = operator.attrgetter(*(f.name for f in attrs.fields(KpiFacts)))


def customer_facts(
    customer: Customer,
    orders: Iterable[Transaction],
    receivables: Iterable[Receivable],
    responses: Iterable[SurveyResponse],
    *,
    period: Period,
    on: date,
    rates: ExchangeRates,
    time_ordered: bool = False,
) -> KpiFacts:
    """One customer's facts. Orders (not refunds) make a customer "buying" in a period;
    revenue counts refunds too. Receivables due in the period before ``on`` are judged for
    timeliness; survey answers in the period for CSAT and NPS.

    ``time_ordered=True`` promises ``orders`` is a sequence oldest first (as
    ``CustomerActivity.transactions`` is); only its tail inside the two periods is read.
    """
    return KpiFacts(
        *facts_row(
            customer,
            orders,
            receivables,
            responses,
            period=period,
            on=on,
            rates=rates,
            time_ordered=time_ordered,
        )
    )


def facts_row(
    customer: Customer,
    orders: Iterable[Transaction],
    receivables: Iterable[Receivable],
    responses: Iterable[SurveyResponse],
    *,
    period: Period,
    on: date,
    rates: ExchangeRates,
    time_ordered: bool = False,
) -> FactsRow:
    """``customer_facts`` as a tuple in field order. A report sums rows per group and needs
    no ``KpiFacts`` per customer: building one took a third of the time per customer."""
    q_start_at, p_start_at, p_end_at = _bounds(period)
    p_start, p_end = period.start, period.end
    bought_prev = bought_cur = False
    rev_prev = rev_cur = _ZERO
    base = rates.base
    # (A tuple is tested first: ``isinstance`` against the Sequence ABC is slow per customer.)
    candidates: Iterable[Transaction] = (
        reversed(orders)
        if time_ordered and (type(orders) is tuple or isinstance(orders, Sequence))
        else orders
    )
    for t in candidates:
        at = t.occurred_at
        if at >= p_end_at:
            continue
        if at < q_start_at:
            if time_ordered:
                break
            continue
        money = t.amount
        amount = (
            money.amount if money.currency == base else to_base(money.amount, money.currency, rates)
        )
        is_order = t.kind is _ORDER
        if at >= p_start_at:
            rev_cur += amount
            bought_cur = bought_cur or is_order
        else:
            rev_prev += amount
            bought_prev = bought_prev or is_order
    due_count = on_time_count = 0
    due_amount = on_time_amount = _ZERO
    for r in receivables:
        if p_start <= r.due_on < p_end and r.due_on < on:
            cur = r.amount.currency
            due_count += 1
            due_amount += to_base(r.amount.amount, cur, rates)
            if r.paid_on is not None and r.paid_on <= r.due_on and r.paid_amount is not None:
                on_time_amount += to_base(r.paid_amount.amount, cur, rates)
                if r.paid_amount.amount >= r.amount.amount:
                    on_time_count += 1
    csat_n = csat_ok = nps_n = promoters = detractors = 0
    for s in responses:
        if not p_start <= s.answered_at.date() < p_end:
            continue
        if s.csat is not None:
            csat_n += 1
            csat_ok += s.csat >= 4
        if s.nps is not None:
            nps_n += 1
            promoters += s.nps >= 9
            detractors += s.nps <= 6
    return (
        1,
        int(bought_prev),
        int(bought_cur),
        int(bought_prev and bought_cur),
        int(p_start <= customer.created_at.date() < p_end),
        rev_prev,
        rev_cur,
        due_count,
        on_time_count,
        due_amount,
        on_time_amount,
        csat_n,
        csat_ok,
        nps_n,
        promoters,
        detractors,
    )


def _ratio(code: str, num: float | Decimal, den: float | Decimal, scale: float = 1.0) -> KpiValue:
    value = float(num) / float(den) * scale if den > 0 else None
    return KpiValue(code, value, float(num), float(den))


def retention_rate(f: KpiFacts) -> KpiValue:
    """客户保留率 = retained / buying_prev, where retained customers bought in both periods."""
    return _ratio("retention_rate", f.retained, f.buying_prev)


def churn_rate(f: KpiFacts) -> KpiValue:
    """客户流失率 = (buying_prev − retained) / buying_prev = 1 − retention rate."""
    return _ratio("churn_rate", f.buying_prev - f.retained, f.buying_prev)


def customer_growth(f: KpiFacts) -> KpiValue:
    """客户增长率 = (buying_cur − buying_prev) / buying_prev."""
    return _ratio("customer_growth", f.buying_cur - f.buying_prev, f.buying_prev)


def new_customers(f: KpiFacts) -> KpiValue:
    """新增客户数 = customers whose ``created_at`` falls in the period (denominator: all)."""
    return KpiValue(
        "new_customers", float(f.new_customers), float(f.new_customers), float(f.customers)
    )


def revenue_growth(f: KpiFacts) -> KpiValue:
    """收入增长率 = (revenue_cur − revenue_prev) / revenue_prev; None unless revenue_prev > 0."""
    return _ratio("revenue_growth", f.revenue_cur - f.revenue_prev, f.revenue_prev)


def collection_timeliness(f: KpiFacts) -> KpiValue:
    """收款及时率 (by amount) = money paid by the due date / money due in the period."""
    return _ratio("collection_timeliness", f.on_time_amount, f.due_amount)


def collection_timeliness_count(f: KpiFacts) -> KpiValue:
    """收款及时率 (by count) = receivables settled in full by the due date / receivables due."""
    return _ratio("collection_timeliness_count", f.on_time_count, f.due_count)


def csat(f: KpiFacts) -> KpiValue:
    """客户满意度 CSAT = answers rating 4 or 5 (of 1–5) / answers with a rating."""
    return _ratio("csat", f.csat_satisfied, f.csat_answers)


def nps(f: KpiFacts) -> KpiValue:
    """净推荐值 NPS = (promoters (9–10) − detractors (0–6)) / answers × 100, in −100..100."""
    return _ratio("nps", f.promoters - f.detractors, f.nps_answers, 100.0)


KPI_FUNCTIONS = (
    retention_rate,
    churn_rate,
    customer_growth,
    new_customers,
    revenue_growth,
    collection_timeliness,
    collection_timeliness_count,
    csat,
    nps,
)
