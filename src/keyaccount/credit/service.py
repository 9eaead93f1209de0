"""The credit review: ageing, exposure, DSO, timeliness and risk alerts per customer and overall.

``assess_credit`` works on receivables already grouped by customer (the portfolio review loads
the store once and hands the groups in); ``credit_review`` loads them from a store itself.
"""

from __future__ import annotations

from bisect import bisect_right
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
    AgeingLine,
    bucket_starts,
    to_base,
)
from keyaccount.credit.alerts import SEVERITY_RANK, RiskAlert, RiskRules, evaluate_risk
from keyaccount.credit.measures import Dso, Exposure, Timeliness, TimelinessAccumulator
from keyaccount.credit.records import RiskAlertState, alert_state_id
from keyaccount.errors import ValidationError
from keyaccount.events import EventSink, NullSink
from keyaccount.fx import ExchangeRates
from keyaccount.models import CreditProfile, CustomerId, Receivable, Severity
from keyaccount.money import Money
from keyaccount.storage import Store

_ZERO = Decimal(0)


@attrs.frozen
class CustomerCredit:
    """One customer's credit position on the review date, in the reporting ``currency``.

    Figures are kept as Decimals and turned into ``Money`` and result objects on access, so a
    book of 100k customers does not build a million ``Money`` values nobody reads.
    """

    customer_id: CustomerId
    currency: str
    buckets: AgeingBuckets = attrs.field(repr=False)
    bucket_counts: tuple[int, ...]
    bucket_amounts: tuple[Decimal, ...]
    outstanding_amount: Decimal
    overdue_amount: Decimal
    credit_limit_amount: Decimal | None
    rating: str | None
    credit_sales_amount: Decimal
    dso_days: int
    due_count: int
    on_time_count: int
    due_amount: Decimal
    on_time_amount: Decimal
    max_days_overdue: int
    alerts: tuple[RiskAlert, ...]

    @property
    def ageing(self) -> Ageing:
        return Ageing(
            tuple(
                AgeingLine(bucket, count, Money(amount, self.currency))
                for bucket, count, amount in zip(
                    self.buckets.buckets, self.bucket_counts, self.bucket_amounts, strict=True
                )
            )
        )

    @property
    def exposure(self) -> Exposure:
        return _exposure(
            self.outstanding_amount,
            self.overdue_amount,
            self.credit_limit_amount,
            self.rating,
            self.currency,
        )

    @property
    def dso(self) -> Dso:
        return Dso(
            Money(self.outstanding_amount, self.currency),
            Money(self.credit_sales_amount, self.currency),
            self.dso_days,
        )

    @property
    def timeliness(self) -> Timeliness:
        return Timeliness(
            self.due_count,
            self.on_time_count,
            Money(self.due_amount, self.currency),
            Money(self.on_time_amount, self.currency),
        )


def _exposure(
    owed: Decimal, overdue: Decimal, limit: Decimal | None, rating: str | None, currency: str
) -> Exposure:
    return Exposure(
        Money(owed, currency),
        Money(overdue, currency),
        Money(limit, currency) if limit is not None else None,
        rating,
    )


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
    on: date,
    rates: ExchangeRates,
    buckets: AgeingBuckets,
    upper: Sequence[int],
    rules: RiskRules,
    near_limit: Decimal,
    dso_start: date,
    dso_days: int,
    timely_start: date,
) -> CustomerCredit:
    # One pass over the receivables with plain locals: this runs once per customer of the
    # book, so it avoids per-customer helper objects and keyword calls (see
    # benchmarks/bench_review.py). ``upper`` is ``bucket_starts(buckets)``: a bisect finds
    # the bucket, not a call per bucket; ``outstanding_on`` is inlined (the same rule).
    base = rates.base
    counts = [0] * len(buckets.buckets)
    amounts = [_ZERO] * len(buckets.buckets)
    owed = overdue = sales = due_amount = on_time_amount = _ZERO
    worst = due_count = on_time_count = 0
    for r in receivables:
        total = r.amount
        currency = total.currency
        paid_on = r.paid_on
        if r.issued_on > on:
            amount = _ZERO
        elif paid_on is not None and paid_on <= on:
            paid = r.paid_amount
            amount = total.amount - (paid.amount if paid is not None else _ZERO)
        else:
            amount = total.amount
        due_on = r.due_on
        if amount > _ZERO:  # against a Decimal, not the int 0: half the cost
            value = amount if currency == base else to_base(amount, currency, rates)
            late = (on - due_on).days
            if late > 0:
                overdue += value
                if late > worst:
                    worst = late
            else:
                late = 0
            owed += value
            i = bisect_right(upper, late)
            counts[i] += 1
            amounts[i] += value
        if dso_start < r.issued_on <= on:
            sales += total.amount if currency == base else to_base(total.amount, currency, rates)
        if timely_start <= due_on < on:
            due_count += 1
            due_amount += (
                total.amount if currency == base else to_base(total.amount, currency, rates)
            )
            paid = r.paid_amount
            if paid_on is not None and paid_on <= due_on and paid is not None:
                on_time_amount += (
                    paid.amount if currency == base else to_base(paid.amount, currency, rates)
                )
                if paid.amount >= total.amount:
                    on_time_count += 1
    limit = None
    rating = None
    if profile is not None:
        cap = profile.credit_limit
        limit = cap.amount if cap.currency == base else to_base(cap.amount, cap.currency, rates)
        rating = profile.rating
    alerts: tuple[RiskAlert, ...] = ()
    # Only a customer that is late or near its limit can trigger a rule; skip the rest
    # without building result objects.
    if (overdue > rules.min_overdue and worst > 0) or (
        limit is not None and owed > _ZERO and owed >= limit * near_limit
    ):
        exp = _exposure(owed, overdue, limit, rating, base)
        alerts = evaluate_risk(customer_id, exp, worst, rules)
    # Positional, in field order: keywords cost a fifth of the record's construction, and
    # this runs once per customer.
    return CustomerCredit(
        customer_id,
        base,
        buckets,
        tuple(counts),
        tuple(amounts),
        owed,  # outstanding_amount
        overdue,  # overdue_amount
        limit,  # credit_limit_amount
        rating,
        sales,  # credit_sales_amount
        dso_days,
        due_count,
        on_time_count,
        due_amount,
        on_time_amount,
        worst,  # max_days_overdue
        alerts,
    )


def _ratio(value: float) -> Decimal:
    return Decimal(str(value))


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
    near_limit = _ratio(rules.near_limit_ratio)
    dso_start = on - timedelta(days=dso_days)
    timely_start = on - timedelta(days=timeliness_days)
    no_receivables: tuple[Receivable, ...] = ()
    upper = bucket_starts(buckets)
    positions: dict[CustomerId, CustomerCredit] = {}
    alerts: list[RiskAlert] = []
    for customer_id in sorted(set(receivables_by_customer) | set(profiles_by_customer)):
        position = _assess_one(
            customer_id,
            receivables_by_customer.get(customer_id, no_receivables),
            profiles_by_customer.get(customer_id),
            on,
            rates,
            buckets,
            upper,
            rules,
            near_limit,
            dso_start,
            dso_days,
            timely_start,
        )
        positions[customer_id] = position
        if position.alerts:
            alerts.extend(position.alerts)
    alerts.sort(key=lambda a: (-a.rank, a.customer_id, a.code))
    # Portfolio totals are column sums over the customers (exact: Decimal and int sums).
    every = positions.values()
    total_ageing = AgeingAccumulator(buckets, rates.base)
    if positions:
        total_ageing.counts = [sum(c) for c in zip(*(p.bucket_counts for p in every), strict=True)]
        total_ageing.amounts = [
            sum(c, _ZERO) for c in zip(*(p.bucket_amounts for p in every), strict=True)
        ]
    sales = sum((p.credit_sales_amount for p in every), _ZERO)
    total_timely = TimelinessAccumulator(rates.base)
    total_timely.due_count = sum(p.due_count for p in every)
    total_timely.on_time_count = sum(p.on_time_count for p in every)
    total_timely.due_amount = sum((p.due_amount for p in every), _ZERO)
    total_timely.on_time_amount = sum((p.on_time_amount for p in every), _ZERO)
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
    """Announce every alert as a ``risk.alert`` DomainEvent (no memory of earlier runs);
    returns how many were sent. ``announce_alerts`` announces only what changed."""
    at = clock.now()
    sent = 0
    for alert in alerts:
        events.emit(alert.to_event(at))
        sent += 1
    return sent


def announce_alerts(
    store: Store, alerts: Iterable[RiskAlert], events: EventSink, clock: Clock
) -> tuple[RiskAlert, ...]:
    """Announce the alerts that are new or have escalated since the last run, and remember
    what holds (``RiskAlertState``) so a scheduled review does not repeat itself.

    One query reads the known states; in one transaction new and changed states are
    written and the states of alerts that no longer hold are deleted (a recurrence is then
    announced again). A lower severity updates the state silently. Events follow the commit.
    Returns the announced alerts.
    """
    now = clock.now()
    known = {s.id: s for s in store.query(RiskAlertState)}
    holding: set[str] = set()
    writes: list[RiskAlertState] = []
    announce: list[tuple[RiskAlert, Severity | None]] = []
    for alert in alerts:
        sid = alert_state_id(alert.customer_id, alert.code)
        holding.add(sid)
        before = known.get(sid)
        if before is None:
            announce.append((alert, None))
        elif SEVERITY_RANK[alert.severity] > SEVERITY_RANK[before.severity]:
            announce.append((alert, before.severity))
        elif before.severity is alert.severity and before.response is alert.response:
            continue
        writes.append(
            RiskAlertState(
                id=sid,
                customer_id=alert.customer_id,
                code=alert.code,
                severity=alert.severity,
                response=alert.response,
                raised_at=before.raised_at if before is not None else now,
                updated_at=now,
            )
        )
    cleared = [sid for sid in known if sid not in holding]
    with store.transaction():
        store.put_many(writes)
        for sid in cleared:
            store.delete(RiskAlertState, sid)
    for alert, previous in announce:
        events.emit(alert.to_event(now, previous))
    return tuple(a for a, _ in announce)


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
    announce new and escalated alerts through ``events`` (see ``announce_alerts``)."""
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
    announce_alerts(store, report.alerts, events or NullSink(), clock)
    return report
