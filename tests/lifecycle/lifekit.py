"""Builders for lifecycle and churn tests: records dated in days before NOW."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from keyaccount.activity import CustomerActivity, group_activity
from keyaccount.models import (
    Channel,
    Complaint,
    ComplaintStatus,
    Customer,
    CustomerId,
    Interaction,
    Receivable,
    SurveyResponse,
    Transaction,
    TransactionKind,
)
from keyaccount.money import Money

NOW = datetime(2026, 6, 30, 9, 0, tzinfo=UTC)
_seq = iter(range(1, 10**9))


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def cust(cid: str, *, tier: str | None = None, created_days_ago: float = 2000) -> Customer:
    return Customer(CustomerId(cid), f"Customer {cid}", ago(created_days_ago), tier=tier)


def order(cid: str, at: datetime | float, amount: str = "100", profit: str = "10") -> Transaction:
    when = at if isinstance(at, datetime) else ago(at)
    return Transaction(f"t{next(_seq)}", cid, when, Money(amount, "CNY"), Money(profit, "CNY"))


def refund(cid: str, days_ago: float, amount: str = "-100", profit: str = "-10") -> Transaction:
    return Transaction(
        f"t{next(_seq)}",
        cid,
        ago(days_ago),
        Money(amount, "CNY"),
        Money(profit, "CNY"),
        kind=TransactionKind.REFUND,
    )


def contact(cid: str, days_ago: float) -> Interaction:
    return Interaction(f"i{next(_seq)}", cid, Channel.VISIT, ago(days_ago))


def complaint(
    cid: str,
    days_ago: float,
    *,
    closed_days_ago: float | None = None,
    deadline_days_ago: float | None = None,
) -> Complaint:
    return Complaint(
        f"k{next(_seq)}",
        cid,
        ago(days_ago),
        "late delivery",
        status=ComplaintStatus.CLOSED if closed_days_ago is not None else ComplaintStatus.LOGGED,
        closed_at=None if closed_days_ago is None else ago(closed_days_ago),
        deadline_at=None if deadline_days_ago is None else ago(deadline_days_ago),
    )


def survey(
    cid: str, days_ago: float, *, nps: int | None = None, csat: int | None = None
) -> SurveyResponse:
    return SurveyResponse(f"s{next(_seq)}", "sv1", cid, ago(days_ago), nps=nps, csat=csat)


def receivable(
    cid: str, amount: str, due_days_ago: int, paid_days_ago: int | None = None
) -> Receivable:
    today = NOW.date()
    due = today - timedelta(days=due_days_ago)
    paid = None if paid_days_ago is None else today - timedelta(days=paid_days_ago)
    issued = min(due, paid or due) - timedelta(days=30)
    return Receivable(f"r{next(_seq)}", cid, Money(amount, "CNY"), issued, due, paid)


def book(customers: list[Customer], *records: object) -> dict[CustomerId, CustomerActivity]:
    return group_activity(
        customers,
        transactions=[r for r in records if isinstance(r, Transaction)],
        interactions=[r for r in records if isinstance(r, Interaction)],
        complaints=[r for r in records if isinstance(r, Complaint)],
        receivables=[r for r in records if isinstance(r, Receivable)],
        surveys=[r for r in records if isinstance(r, SurveyResponse)],
    )


def activity(customer: Customer, *records: object) -> CustomerActivity:
    return book([customer], *records)[customer.id]


def on(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 9, 0, tzinfo=UTC)


__all__ = ["date"]
