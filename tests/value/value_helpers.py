"""Builders shared by the value tests."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from keyaccount.models import Transaction, TransactionKind
from keyaccount.money import Money

_ids = itertools.count(1)


def make_txn(
    customer: str,
    when: datetime | str,
    amount: str | int,
    profit: str | int | None = None,
    currency: str = "CNY",
) -> Transaction:
    """An order (amount >= 0) or a refund (amount < 0); profit defaults to 20 % of amount."""
    at = when if isinstance(when, datetime) else datetime.fromisoformat(when).replace(tzinfo=UTC)
    money = Money(amount, currency)
    gp = Money(profit, currency) if profit is not None else Money(money.amount / 5, currency)
    kind = TransactionKind.REFUND if money.is_negative() else TransactionKind.ORDER
    return Transaction(
        id=f"txn{next(_ids)}",
        customer_id=customer,
        occurred_at=at,
        amount=money,
        gross_profit=gp,
        kind=kind,
    )
