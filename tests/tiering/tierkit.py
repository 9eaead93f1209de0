"""Small builders for tiering tests (names kept short so hand-computed cases stay readable)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from keyaccount.activity import CustomerActivity, group_activity
from keyaccount.models import Customer, CustomerId, Receivable, Transaction, TransactionKind
from keyaccount.money import Money

NOW = datetime(2026, 6, 30, 9, 0, tzinfo=UTC)
_seq = iter(range(1, 10**9))


def cust(cid: str, *, tier: str | None = None, created: datetime | None = None) -> Customer:
    return Customer(
        CustomerId(cid), f"Customer {cid}", created or NOW - timedelta(days=2000), tier=tier
    )


def order(
    cid: str, days_ago: float, amount: str, profit: str = "0", cur: str = "CNY"
) -> Transaction:
    return Transaction(
        f"t{next(_seq)}",
        cid,
        NOW - timedelta(days=days_ago),
        Money(amount, cur),
        Money(profit, cur),
    )


def refund(
    cid: str, days_ago: float, amount: str, profit: str = "0", cur: str = "CNY"
) -> Transaction:
    return Transaction(
        f"t{next(_seq)}",
        cid,
        NOW - timedelta(days=days_ago),
        Money(amount, cur),
        Money(profit, cur),
        kind=TransactionKind.REFUND,
    )


def receivable(
    cid: str, amount: str, issued: date, due: date, paid: date | None = None
) -> Receivable:
    return Receivable(f"r{next(_seq)}", cid, Money(amount, "CNY"), issued, due, paid)


def activity(customer: Customer, *records: object) -> CustomerActivity:
    return book([customer], *records)[customer.id]


def book(customers: list[Customer], *records: object) -> dict[CustomerId, CustomerActivity]:
    return group_activity(
        customers,
        transactions=[r for r in records if isinstance(r, Transaction)],
        receivables=[r for r in records if isinstance(r, Receivable)],
    )
