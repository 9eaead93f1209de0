"""The typed, frozen result of a portfolio review (组合评审)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

import attrs

from keyaccount.credit import CreditReport, RiskAlert
from keyaccount.kpi import KpiReport, Period
from keyaccount.models import CustomerId, Severity
from keyaccount.money import Money
from keyaccount.tiering import TieringResult, TierSet
from keyaccount.value import ValueReport


@attrs.frozen
class TierChange:
    """``direction``: ``up`` or ``down`` within the tier set, ``new`` for a first assignment."""

    customer_id: CustomerId
    name: str
    previous: str | None
    tier: str
    direction: str
    score: float
    reason: str


@attrs.frozen
class TierSection:
    tier_set: TierSet
    rule: str
    counts: Mapping[str, int] = attrs.field(hash=False)
    changes: tuple[TierChange, ...]
    applied: bool
    result: TieringResult


@attrs.frozen
class StageChange:
    customer_id: CustomerId
    name: str
    previous: str | None
    stage: str
    reason: str


@attrs.frozen
class ChurnWarningRow:
    """A customer at risk of churning: health 0–100, the signals that fired, what to do."""

    customer_id: CustomerId
    name: str
    owner_id: str | None
    tier: str | None
    health: float
    signals: tuple[str, ...]
    action: str
    details: tuple[str, ...] = ()
    stage: str | None = None


@attrs.frozen
class LifecycleSection:
    """Stage per customer, the stage moves of this run, health per customer and warnings."""

    stages: Mapping[CustomerId, str] = attrs.field(hash=False)
    health: Mapping[CustomerId, float] = attrs.field(hash=False)
    stage_counts: Mapping[str, int] = attrs.field(hash=False)
    changes: tuple[StageChange, ...]
    warnings: tuple[ChurnWarningRow, ...]
    applied: bool
    result: Any = attrs.field(default=None, eq=False, repr=False)


@attrs.frozen
class AccountRow:
    """One customer with the figures of every analysis side by side (churn and credit risk
    next to value), the row behind the top-accounts table and the per-customer CSV.

    Amounts are Decimals in ``currency`` (the reporting currency): revenue and gross profit
    over the value window, CLV over the CLV horizon, outstanding and overdue receivables and
    the credit limit on the review date.
    """

    customer_id: CustomerId
    name: str
    owner_id: str | None
    team: str | None
    currency: str
    tier: str | None
    previous_tier: str | None
    tier_score: float | None
    stage: str | None
    health: float | None
    revenue: Decimal
    gross_profit: Decimal
    revenue_share: float
    pyramid_layer: str | None
    rfm: str | None
    clv: Decimal | None
    p_alive: float | None
    outstanding: Decimal
    overdue: Decimal
    max_days_overdue: int
    credit_limit: Decimal | None
    worst_alert: Severity | None

    def money(self, field: str) -> Money | None:
        """One of the amounts as ``Money`` (None stays None)."""
        amount: Decimal | None = getattr(self, field)
        return None if amount is None else Money(amount, self.currency)


@attrs.frozen
class ReviewResult:
    """Everything a review found; ``notes`` are remarks a reader should see first."""

    as_of: datetime
    currency: str
    period: Period
    customer_count: int
    accounts: tuple[AccountRow, ...]
    tiering: TierSection
    lifecycle: LifecycleSection
    value: ValueReport
    credit: CreditReport
    kpis: KpiReport
    events: Mapping[str, int] = attrs.field(hash=False)
    notes: tuple[str, ...] = ()
    dry_run: bool = False
    # User id → name, so tables name account managers rather than print their ids.
    managers: Mapping[str, str] = attrs.field(factory=dict, hash=False)
    # Wall-clock and CPU seconds per section of this run; excluded from equality and exports.
    timings: Mapping[str, float] = attrs.field(factory=dict, eq=False, hash=False, repr=False)
    cpu_timings: Mapping[str, float] = attrs.field(factory=dict, eq=False, hash=False, repr=False)

    @property
    def alerts(self) -> tuple[RiskAlert, ...]:
        return self.credit.alerts

    def manager_name(self, user_id: str | None) -> str | None:
        """The manager's name, or the id itself for a user the store does not hold."""
        if user_id is None:
            return None
        return self.managers.get(user_id, user_id)

    def account(self, customer_id: str) -> AccountRow:
        for row in self.accounts:
            if row.customer_id == customer_id:
                return row
        raise KeyError(customer_id)
