"""Credit measures: exposure against the credit limit, DSO and collection timeliness (收款及时率)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal

import attrs

from keyaccount.credit.ageing import outstanding_on, to_base
from keyaccount.errors import ValidationError
from keyaccount.fx import ExchangeRates
from keyaccount.models import CreditProfile, Receivable
from keyaccount.money import Money

_ZERO = Decimal(0)


@attrs.frozen
class Exposure:
    """敞口: what a customer owes against its credit limit, in the reporting currency.

    ``utilisation = outstanding / credit_limit`` (None without a profile; ``inf`` when the limit
    is zero and something is owed). ``available = credit_limit - outstanding`` (may be negative).
    """

    outstanding: Money
    overdue: Money
    credit_limit: Money | None
    rating: str | None = None

    @property
    def utilisation(self) -> float | None:
        if self.credit_limit is None:
            return None
        if self.credit_limit.is_zero():
            return float("inf") if self.outstanding.amount > 0 else 0.0
        return float(self.outstanding.amount / self.credit_limit.amount)

    @property
    def available(self) -> Money | None:
        if self.credit_limit is None:
            return None
        return self.credit_limit - self.outstanding

    @property
    def over_limit(self) -> bool:
        return self.credit_limit is not None and self.outstanding > self.credit_limit


def exposure(
    receivables: Iterable[Receivable],
    profile: CreditProfile | None,
    *,
    on: date,
    rates: ExchangeRates,
) -> Exposure:
    """Outstanding and overdue (past ``due_on``) amounts on ``on`` against the profile's limit."""
    owed = _ZERO
    overdue = _ZERO
    for r in receivables:
        amount = outstanding_on(r, on)
        if amount > 0:
            base = to_base(amount, r.amount.currency, rates)
            owed += base
            if on > r.due_on:
                overdue += base
    limit = None
    if profile is not None:
        limit = Money(
            to_base(profile.credit_limit.amount, profile.credit_limit.currency, rates), rates.base
        )
    return Exposure(
        Money(owed, rates.base),
        Money(overdue, rates.base),
        limit,
        profile.rating if profile is not None else None,
    )


@attrs.frozen
class Dso:
    """Days sales outstanding over a trailing window ending on ``on``.

    ``DSO = receivables outstanding on `on` / credit sales in the window × window days``,
    where credit sales are the receivables *issued* in the window ``(on - days, on]``.
    ``value`` is None when there were no credit sales in the window (DSO is undefined then).
    """

    outstanding: Money
    credit_sales: Money
    days: int

    @property
    def value(self) -> float | None:
        if self.credit_sales.amount <= 0:
            return None
        return float(self.outstanding.amount / self.credit_sales.amount * self.days)


def dso(
    receivables: Iterable[Receivable], *, on: date, rates: ExchangeRates, days: int = 90
) -> Dso:
    if days <= 0:
        raise ValidationError("dso.days", days, "must be a positive number of days")
    start = on - timedelta(days=days)
    owed = _ZERO
    sales = _ZERO
    for r in receivables:
        amount = outstanding_on(r, on)
        if amount > 0:
            owed += to_base(amount, r.amount.currency, rates)
        if start < r.issued_on <= on:
            sales += to_base(r.amount.amount, r.amount.currency, rates)
    return Dso(Money(owed, rates.base), Money(sales, rates.base), days)


@attrs.frozen
class Timeliness:
    """收款及时率 over the receivables that fell due in a period, as of ``on``.

    By count: ``receivables settled in full on or before due_on / receivables due``.
    By amount: ``money paid on or before due_on / money due`` (a partial payment made by the
    due date counts for what was paid). Receivables not yet due are left out: they cannot be
    late yet. Ratios are None when nothing fell due.
    """

    due_count: int
    on_time_count: int
    due_amount: Money
    on_time_amount: Money

    @property
    def by_count(self) -> float | None:
        return self.on_time_count / self.due_count if self.due_count else None

    @property
    def by_amount(self) -> float | None:
        if self.due_amount.amount <= 0:
            return None
        return float(self.on_time_amount.amount / self.due_amount.amount)


class TimelinessAccumulator:
    def __init__(self, currency: str) -> None:
        self.currency = currency
        self.due_count = 0
        self.on_time_count = 0
        self.due_amount = _ZERO
        self.on_time_amount = _ZERO

    def add(self, r: Receivable, rates: ExchangeRates) -> None:
        self.due_count += 1
        cur = r.amount.currency
        self.due_amount += to_base(r.amount.amount, cur, rates)
        if r.paid_on is not None and r.paid_on <= r.due_on and r.paid_amount is not None:
            self.on_time_amount += to_base(r.paid_amount.amount, cur, rates)
            if r.paid_amount.amount >= r.amount.amount:
                self.on_time_count += 1

    def merge(self, other: TimelinessAccumulator) -> None:
        self.due_count += other.due_count
        self.on_time_count += other.on_time_count
        self.due_amount += other.due_amount
        self.on_time_amount += other.on_time_amount

    def result(self) -> Timeliness:
        return Timeliness(
            self.due_count,
            self.on_time_count,
            Money(self.due_amount, self.currency),
            Money(self.on_time_amount, self.currency),
        )


def collection_timeliness(
    receivables: Iterable[Receivable],
    *,
    start: date,
    end: date,
    on: date,
    rates: ExchangeRates,
) -> Timeliness:
    """Timeliness of the receivables with ``start <= due_on < end`` and ``due_on < on``.

    A receivable due exactly on ``on`` may still be paid today, so it is judged from tomorrow.
    """
    if end < start:
        raise ValidationError("collection_timeliness.end", end, "is before start")
    acc = TimelinessAccumulator(rates.base)
    for r in receivables:
        if start <= r.due_on < end and r.due_on < on:
            acc.add(r, rates)
    return acc.result()
