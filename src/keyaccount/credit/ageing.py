"""Ageing of receivables (账龄分析): how long what is still owed has been past due."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import attrs

from keyaccount import validation as v
from keyaccount.errors import ValidationError
from keyaccount.fx import ExchangeRates
from keyaccount.models import Receivable
from keyaccount.money import Money

_ZERO = Decimal(0)


@attrs.frozen
class AgeingBucket:
    """Receivables ``min_days``..``max_days`` days past due (inclusive); ``max_days=None`` is open.

    A bucket with ``min_days == max_days == 0`` holds what is not yet due ("current").
    """

    label: str = attrs.field(validator=v.non_empty_text)
    min_days: int = attrs.field(validator=v.int_between(0, None))
    max_days: int | None = attrs.field(
        default=None, validator=v.int_between(0, None, optional=True)
    )

    def __attrs_post_init__(self) -> None:
        if self.max_days is not None and self.max_days < self.min_days:
            raise ValidationError("AgeingBucket.max_days", self.max_days, "is below min_days")

    def holds(self, days_overdue: int) -> bool:
        return days_overdue >= self.min_days and (
            self.max_days is None or days_overdue <= self.max_days
        )


def _bucket_tuple(value: Any) -> tuple[AgeingBucket, ...]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise ValidationError("AgeingBuckets.buckets", value, "must be a sequence of AgeingBucket")
    return tuple(value)


def _contiguous(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    # Gaps or overlaps would drop or double-count money, so the buckets must tile 0..∞ exactly.
    if not value:
        raise ValidationError("AgeingBuckets.buckets", value, "needs at least one bucket")
    expected = 0
    for i, bucket in enumerate(value):
        if not isinstance(bucket, AgeingBucket):
            raise ValidationError(f"AgeingBuckets.buckets[{i}]", bucket, "must be an AgeingBucket")
        if bucket.min_days != expected:
            raise ValidationError(
                f"AgeingBuckets.buckets[{i}].min_days",
                bucket.min_days,
                f"must be {expected} so buckets neither overlap nor leave a gap",
            )
        if bucket.max_days is None:
            if i != len(value) - 1:
                raise ValidationError(
                    f"AgeingBuckets.buckets[{i}].max_days", None, "only the last bucket is open"
                )
            return
        expected = bucket.max_days + 1
    raise ValidationError("AgeingBuckets.buckets", value, "the last bucket must be open-ended")


@attrs.frozen
class AgeingBuckets:
    """An ordered, gap-free set of buckets covering every number of days past due."""

    buckets: tuple[AgeingBucket, ...] = attrs.field(converter=_bucket_tuple, validator=_contiguous)

    @classmethod
    def from_bounds(cls, *upper_days: int) -> AgeingBuckets:
        """``from_bounds(30, 60, 90)`` → current, 1–30, 31–60, 61–90, 90+."""
        buckets = [AgeingBucket("current", 0, 0)]
        low = 1
        for high in upper_days:
            buckets.append(AgeingBucket(f"{low}-{high}", low, high))
            low = high + 1
        buckets.append(AgeingBucket(f"{low - 1}+", low, None))
        return cls(tuple(buckets))

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(b.label for b in self.buckets)

    def index_of(self, days_overdue: int) -> int:
        for i, bucket in enumerate(self.buckets):
            if bucket.holds(days_overdue):
                return i
        raise AssertionError("contiguous buckets always hold a non-negative day count")


DEFAULT_BUCKETS = AgeingBuckets.from_bounds(30, 60, 90)


def bucket_starts(buckets: AgeingBuckets) -> tuple[int, ...]:
    """The first day of every bucket after the first: ``bisect_right(starts, days)`` is
    ``buckets.index_of(days)`` (the buckets tile 0..∞, as their validator ensures) without
    a method call per bucket, for loops over every receivable of a book."""
    return tuple(b.min_days for b in buckets.buckets[1:])


def outstanding_on(receivable: Receivable, on: date) -> Decimal:
    """What was still owed on ``on`` (in the receivable's currency), ignoring later payments.

    Not yet issued: nothing. Paid on or before ``on``: the unpaid remainder (partial payment).
    Otherwise the whole amount, so an as-of report never uses knowledge from after ``on``.
    """
    if receivable.issued_on > on:
        return _ZERO
    if receivable.paid_on is not None and receivable.paid_on <= on:
        paid = receivable.paid_amount.amount if receivable.paid_amount is not None else _ZERO
        return receivable.amount.amount - paid
    return receivable.amount.amount


def days_overdue_on(receivable: Receivable, on: date) -> int:
    """Calendar days past ``due_on`` on ``on`` while anything is owed; 0 if current or settled."""
    if outstanding_on(receivable, on) <= 0:
        return 0
    return max(0, (on - receivable.due_on).days)


def to_base(amount: Decimal, currency: str, rates: ExchangeRates) -> Decimal:
    """``amount`` of ``currency`` in the reporting currency (MissingRate if no rate is given)."""
    if currency == rates.base:
        return amount
    return rates.convert(Money(amount, currency)).amount


@attrs.frozen
class AgeingLine:
    bucket: AgeingBucket
    count: int
    amount: Money


@attrs.frozen
class Ageing:
    """Outstanding money by bucket, in the reporting currency."""

    lines: tuple[AgeingLine, ...]

    @property
    def total(self) -> Money:
        return _money_sum([line.amount for line in self.lines], self.currency)

    @property
    def overdue(self) -> Money:
        """Everything past due (every bucket after the first, "current")."""
        return _money_sum([line.amount for line in self.lines[1:]], self.currency)

    @property
    def currency(self) -> str:
        return self.lines[0].amount.currency

    def amount_of(self, label: str) -> Money:
        for line in self.lines:
            if line.bucket.label == label:
                return line.amount
        raise ValidationError("Ageing.label", label, "is not one of the buckets")


def _money_sum(items: Sequence[Money], currency: str) -> Money:
    return Money(sum((m.amount for m in items), _ZERO), currency)


class AgeingAccumulator:
    """Adds receivables into bucket totals; also merges per-customer totals into a portfolio."""

    def __init__(self, buckets: AgeingBuckets, currency: str) -> None:
        self.buckets = buckets
        self.currency = currency
        self.counts = [0] * len(buckets.buckets)
        self.amounts = [_ZERO] * len(buckets.buckets)

    def add(self, days_overdue: int, amount: Decimal) -> None:
        i = self.buckets.index_of(days_overdue)
        self.counts[i] += 1
        self.amounts[i] += amount

    def merge(self, other: AgeingAccumulator) -> None:
        for i in range(len(self.counts)):
            self.counts[i] += other.counts[i]
            self.amounts[i] += other.amounts[i]

    def result(self) -> Ageing:
        return Ageing(
            tuple(
                AgeingLine(bucket, count, Money(amount, self.currency))
                for bucket, count, amount in zip(
                    self.buckets.buckets, self.counts, self.amounts, strict=True
                )
            )
        )


def age_receivables(
    receivables: Iterable[Receivable],
    *,
    on: date,
    rates: ExchangeRates,
    buckets: AgeingBuckets = DEFAULT_BUCKETS,
) -> Ageing:
    """Bucket what is outstanding on ``on`` by days past due. Settled receivables are left out."""
    acc = AgeingAccumulator(buckets, rates.base)
    for r in receivables:
        owed = outstanding_on(r, on)
        if owed > 0:
            acc.add(days_overdue_on(r, on), to_base(owed, r.amount.currency, rates))
    return acc.result()
