"""Win-back list (挽回 / 服务补救): churned customers worth winning back, by value.

Value is what the customer brought in the ``window_days`` (default 730) up to its last
order: net gross profit first (ties: net revenue, then id). Customers whose profit in that
window is not above ``min_profit`` (default 0) are not worth a win-back campaign and are
left out. The suggested action is a care plan for customers whose last tier has a dedicated
manager, a win-back offer for the others.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal

import attrs

from keyaccount.activity import Book, convert_totals, gc_paused
from keyaccount.fx import ExchangeRates
from keyaccount.lifecycle.signals import ACTION_LABELS, Action
from keyaccount.lifecycle.stages import Stage
from keyaccount.models import CustomerId, TransactionKind, UserId
from keyaccount.money import Money
from keyaccount.tiering.policy import PolicyBook, default_policy_book

_ORDER = TransactionKind.ORDER  # hoisted: enum member lookups are slow in hot loops
_CHURNED = Stage.CHURNED


@attrs.frozen
class WinBackCandidate:
    customer_id: CustomerId
    name: str
    owner_id: UserId | None
    tier: str | None
    churned_since: datetime
    last_order_at: datetime
    orders: int
    revenue: Money
    gross_profit: Money
    action: str
    action_label: str


def win_back_list(
    book: Book,
    stages: Mapping[CustomerId, tuple[Stage, datetime]],
    *,
    rates: ExchangeRates,
    window_days: int = 730,
    min_profit: Decimal = Decimal(0),
    policies: PolicyBook | None = None,
    limit: int | None = None,
) -> list[WinBackCandidate]:
    """Rank churned customers by the value they brought; ``stages`` maps id → (stage, since)."""
    with gc_paused():
        return _win_back(book, stages, rates, window_days, min_profit, policies, limit)


def _win_back(
    book: Book,
    stages: Mapping[CustomerId, tuple[Stage, datetime]],
    rates: ExchangeRates,
    window_days: int,
    min_profit: Decimal,
    policies: PolicyBook | None,
    limit: int | None,
) -> list[WinBackCandidate]:
    policies = policies or default_policy_book()
    out: list[WinBackCandidate] = []
    window = timedelta(days=window_days)
    zero = Decimal(0)
    for cid, (stage, since) in stages.items():
        if stage is not _CHURNED:
            continue
        activity = book.get(cid)
        if activity is None:
            continue
        txs = activity.transactions
        last = next((t.occurred_at for t in reversed(txs) if t.kind is _ORDER), None)
        if last is None:
            continue
        times = activity.transaction_times
        lo = bisect.bisect_right(times, last - window)
        hi = bisect.bisect_right(times, last)
        revenue: dict[str, Decimal] = {}
        profit: dict[str, Decimal] = {}
        count = 0
        for t in txs[lo:hi]:
            amount, gross = t.amount, t.gross_profit
            revenue[amount.currency] = revenue.get(amount.currency, zero) + amount.amount
            profit[gross.currency] = profit.get(gross.currency, zero) + gross.amount
            count += t.kind is _ORDER
        gp = convert_totals(profit, rates)
        if gp <= min_profit:
            continue
        customer = activity.customer
        code = (
            Action.CARE_PLAN
            if policies.for_tier(customer.tier).dedicated_manager
            else Action.WIN_BACK
        )
        out.append(
            WinBackCandidate(
                cid,
                customer.name,
                customer.owner_id,
                customer.tier,
                since,
                last,
                count,
                Money(convert_totals(revenue, rates), rates.base),
                Money(gp, rates.base),
                code,
                ACTION_LABELS[code],
            )
        )
    out.sort(key=lambda c: (-c.gross_profit.amount, -c.revenue.amount, c.customer_id))
    return out if limit is None else out[:limit]
