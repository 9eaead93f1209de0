"""The credit review: ageing, exposure, DSO, timeliness and risk alerts per customer and overall.

``assess_credit`` works on receivables already grouped by customer (the portfolio review loads
the store once and hands the groups in); ``credit_review`` loads them from a store itself.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal

import attrs

from keyaccount.clock import Clock
from keyaccount.credit.ageing import (
    DEFAULT_BUCKETS,
    Ageing,
    AgeingAccumulator,
    AgeingBuckets,
    outstanding_on,
    to_base,
)
from keyaccount.credit.alerts import RiskAlert, RiskRules, evaluate_risk
from keyaccount.credit.measures import Dso, Exposure, Timeliness, TimelinessAccumulator
from keyaccount.errors import ValidationError
from keyaccount.events import EventSink, NullSink
from keyaccount.fx import ExchangeRates
from keyaccount.models import CreditProfile, CustomerId, Receivable
from keyaccount.money import Money
from keyaccount.storage import Store

_ZERO = Decimal(0)


@attrs.frozen
class CustomerCredit:
    """One customer's credit position on the review date."""

    customer_id: CustomerId
    ageing: Ageing
    exposure: Exposure
    dso: Dso
    timeliness: Timeliness
    max_days_overdue: int
    alerts: tuple[RiskAlert, ...]


@attrs.frozen
class CreditReport:
    """The whole book: per-customer positions (only customers with receivables or a profile),
    portfolio ageing, DSO and timeliness, and every alert worst first."""

    on: date
    currency: str
    customers: Mapping[CustomerId, CustomerCredit] = attrs.field(hash=False)
    ageing: Ageing
    dso: Dso
    timeliness: Timeliness
    alerts: tuple[RiskAlert, ...]

    @property
    def outstanding(self) -> Money:
        return self.ageing.total

    @property
    def overdue(self) -> Money:
        return self.ageing.overdue


def _assess_one(
    customer_id: CustomerId,
    receivables: Sequence[Receivable],
    profile: CreditProfile | None,
    *,
    on: date,
    rates: ExchangeRates,
    buckets: AgeingBuckets,
    rules: RiskRules,
    dso_start: date,
    dso_days: int,
    timely_start: date,
) -> tuple[CustomerCredit, AgeingAccumulator, TimelinessAccumulator]:
    ageing = AgeingAccumulator(buckets, rates.base)
    timely = TimelinessAccumulator(rates.base)
    owed = overdue = sales = _ZERO
    worst = 0
    for r in receivables:
        currency = r.amount.currency
        amount = outstanding_on(r, on)
        if amount > 0:
            base = to_base(amount, currency, rates)
            late = (on - r.due_on).days
            if late > 0:
                overdue += base
                worst = max(worst, late)
            else:
                late = 0
            owed += base
            ageing.add(late, base)
        if dso_start < r.issued_on <= on:
            sales += to_base(r.amount.amount, currency, rates)
        if timely_start <= r.due_on < on:
            timely.add(r, rates)
    limit = None
    if profile is not None:
        limit = Money(
            to_base(profile.credit_limit.amount, profile.credit_limit.currency, rates), rates.base
        )
    exp = Exposure(
        Money(owed, rates.base),
        Money(overdue, rates.base),
        limit,
        profile.rating if profile is not None else None,
    )
    alerts = evaluate_risk(customer_id, exp, worst, rules)
    position = CustomerCredit(
        customer_id,
        ageing.result(),
        exp,
        Dso(exp.outstanding, Money(sales, rates.base), dso_days),
        timely.result(),
        worst,
        alerts,
    )
    return position, ageing, timely


def assess_credit(
    receivables_by_customer: Mapping[CustomerId, Sequence[Receivable]],
    profiles_by_customer: Mapping[CustomerId, CreditProfile],
    *,
    on: date,
    rates: ExchangeRates,
    buckets: AgeingBuckets = DEFAULT_BUCKETS,
    rules: RiskRules | None = None,
    dso_days: int = 90,
    timeliness_days: int = 90,
) -> CreditReport:
    """Assess every customer that has receivables or a credit profile, as of ``on``.

    DSO uses receivables issued in ``(on - dso_days, on]``; timeliness judges receivables due
    in ``[on - timeliness_days, on)``.
    """
    if dso_days <= 0:
        raise ValidationError("assess_credit.dso_days", dso_days, "must be positive")
    if timeliness_days <= 0:
        raise ValidationError("assess_credit.timeliness_days", timeliness_days, "must be positive")
    rules = rules or RiskRules()
    total_ageing = AgeingAccumulator(buckets, rates.base)
    total_timely = TimelinessAccumulator(rates.base)
    sales = _ZERO
    positions: dict[CustomerId, CustomerCredit] = {}
    alerts: list[RiskAlert] = []
    ids = sorted(set(receivables_by_customer) | set(profiles_by_customer))
    for customer_id in ids:
        position, ageing, timely = _assess_one(
            customer_id,
            receivables_by_customer.get(customer_id, ()),
            profiles_by_customer.get(customer_id),
            on=on,
            rates=rates,
            buckets=buckets,
            rules=rules,
            dso_start=on - timedelta(days=dso_days),
            dso_days=dso_days,
            timely_start=on - timedelta(days=timeliness_days),
        )
        positions[customer_id] = position
        total_ageing.merge(ageing)
        total_timely.merge(timely)
        sales += position.dso.credit_sales.amount
        alerts.extend(position.alerts)
    alerts.sort(key=lambda a: (-a.rank, a.customer_id, a.code))
    portfolio_ageing = total_ageing.result()
    return CreditReport(
        on=on,
        currency=rates.base,
        customers=positions,
        ageing=portfolio_ageing,
        dso=Dso(portfolio_ageing.total, Money(sales, rates.base), dso_days),
        timeliness=total_timely.result(),
        alerts=tuple(alerts),
    )


def group_by_customer(records: Iterable[Receivable]) -> dict[CustomerId, list[Receivable]]:
    grouped: dict[CustomerId, list[Receivable]] = defaultdict(list)
    for r in records:
        grouped[r.customer_id].append(r)
    return dict(grouped)


def latest_profiles(profiles: Iterable[CreditProfile]) -> dict[CustomerId, CreditProfile]:
    """One profile per customer; with several, the most recently updated one (then by id)."""
    chosen: dict[CustomerId, CreditProfile] = {}
    for p in profiles:
        current = chosen.get(p.customer_id)
        if current is None or _newer(p, current):
            chosen[p.customer_id] = p
    return chosen


def _newer(a: CreditProfile, b: CreditProfile) -> bool:
    if a.updated_at != b.updated_at:
        if a.updated_at is None:
            return False
        if b.updated_at is None:
            return True
        return a.updated_at > b.updated_at
    return a.id > b.id


def emit_alerts(alerts: Iterable[RiskAlert], events: EventSink, clock: Clock) -> int:
    """Announce each alert as a ``risk.alert`` DomainEvent; returns how many were sent."""
    at = clock.now()
    sent = 0
    for alert in alerts:
        events.emit(alert.to_event(at))
        sent += 1
    return sent


def credit_review(
    store: Store,
    *,
    clock: Clock,
    rates: ExchangeRates,
    events: EventSink | None = None,
    buckets: AgeingBuckets = DEFAULT_BUCKETS,
    rules: RiskRules | None = None,
    dso_days: int = 90,
    timeliness_days: int = 90,
) -> CreditReport:
    """Load receivables and credit profiles from ``store``, assess them on today's date and
    announce every alert through ``events``."""
    report = assess_credit(
        group_by_customer(store.query(Receivable)),
        latest_profiles(store.query(CreditProfile)),
        on=clock.now().date(),
        rates=rates,
        buckets=buckets,
        rules=rules,
        dso_days=dso_days,
        timeliness_days=timeliness_days,
    )
    emit_alerts(report.alerts, events or NullSink(), clock)
    return report
