"""A small hand-made book for review tests; every figure in the tests is computed from it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from keyaccount.models import (
    Complaint,
    CreditProfile,
    Customer,
    Interaction,
    Receivable,
    SurveyResponse,
    Transaction,
)
from keyaccount.money import Money
from keyaccount.storage import Store

NOW = datetime(2026, 6, 30, 9, 0, tzinfo=UTC)


def cny(x: str | int) -> Money:
    return Money.of(x, "CNY")


def orders(
    cid: str, start: datetime, count: int, every_days: int, amount: int, profit: int
) -> list[Transaction]:
    return [
        Transaction(
            id=f"t_{cid}_{i}",
            customer_id=cid,
            occurred_at=start + timedelta(days=i * every_days),
            amount=cny(amount),
            gross_profit=cny(profit),
            owner_id="u_li",
        )
        for i in range(count)
    ]


def load_book(store: Store) -> None:
    """Five customers:

    - 华东重工 (big, steady monthly buyer, paid on time, current 120k receivable);
    - 北方物流 (was monthly, stopped buying in February: churn signals; 95 days overdue);
    - 南方电子 (one order only, refund makes its profit negative);
    - 西部能源 (no orders at all, only a receivable due on Feb 29 2024, never paid);
    - 中原食品 (new this quarter, two orders, over its credit limit).
    """
    created = datetime(2024, 1, 10, tzinfo=UTC)
    customers = [
        Customer(id="c_hd", name="华东重工", created_at=created, owner_id="u_li", team="east"),
        Customer(id="c_bf", name="北方物流", created_at=created, owner_id="u_li", team="east"),
        Customer(id="c_nf", name="南方电子", created_at=created, owner_id="u_wang", team="south"),
        Customer(id="c_xb", name="西部能源", created_at=created, owner_id="u_wang", team="south"),
        Customer(
            id="c_zy", name="中原食品", created_at=datetime(2026, 4, 15, tzinfo=UTC), owner_id=None
        ),
    ]
    tx = [
        *orders("c_hd", datetime(2025, 7, 5, tzinfo=UTC), 12, 30, 100_000, 30_000),
        *orders("c_bf", datetime(2025, 3, 1, tzinfo=UTC), 12, 30, 40_000, 8_000),
        *orders("c_nf", datetime(2026, 3, 1, tzinfo=UTC), 1, 1, 20_000, 2_000),
        Transaction(
            id="t_nf_refund",
            customer_id="c_nf",
            occurred_at=datetime(2026, 3, 20, tzinfo=UTC),
            amount=cny(-20_000),
            gross_profit=cny(-5_000),
            kind="refund",
        ),
        *orders("c_zy", datetime(2026, 5, 1, tzinfo=UTC), 2, 20, 50_000, 10_000),
    ]
    receivables = [
        Receivable(
            id="r_hd_1",
            customer_id="c_hd",
            amount=cny(100_000),
            issued_on=date(2026, 4, 1),
            due_on=date(2026, 5, 1),
            paid_on=date(2026, 4, 28),
        ),
        Receivable(
            id="r_hd_2",
            customer_id="c_hd",
            amount=cny(120_000),
            issued_on=date(2026, 6, 1),
            due_on=date(2026, 7, 1),
        ),
        Receivable(
            id="r_bf_1",
            customer_id="c_bf",
            amount=cny(40_000),
            issued_on=date(2026, 2, 25),
            due_on=date(2026, 3, 27),
        ),
        Receivable(
            id="r_xb_1",
            customer_id="c_xb",
            amount=cny(8_000),
            issued_on=date(2024, 1, 30),
            due_on=date(2024, 2, 29),
        ),
        Receivable(
            id="r_zy_1",
            customer_id="c_zy",
            amount=cny(60_000),
            issued_on=date(2026, 5, 21),
            due_on=date(2026, 6, 20),
            paid_on=date(2026, 6, 25),
            paid_amount=cny(10_000),
        ),
    ]
    profiles = [
        CreditProfile(id="cp_hd", customer_id="c_hd", credit_limit=cny(500_000), rating="AA"),
        CreditProfile(id="cp_zy", customer_id="c_zy", credit_limit=cny(30_000), rating="B"),
    ]
    interactions = [
        Interaction(
            id="i_hd", customer_id="c_hd", channel="visit", occurred_at=NOW - timedelta(days=10)
        ),
        Interaction(
            id="i_bf", customer_id="c_bf", channel="phone", occurred_at=NOW - timedelta(days=150)
        ),
    ]
    complaints = [
        Complaint(
            id="cp_bf",
            customer_id="c_bf",
            received_at=NOW - timedelta(days=40),
            subject="延迟交货",
            severity="high",
        ),
    ]
    surveys = [
        SurveyResponse(
            id="s_hd",
            survey_id="q2",
            customer_id="c_hd",
            answered_at=NOW - timedelta(days=20),
            nps=9,
            csat=5,
        ),
        SurveyResponse(
            id="s_bf_old",
            survey_id="q1",
            customer_id="c_bf",
            answered_at=NOW - timedelta(days=200),
            nps=9,
            csat=5,
        ),
        SurveyResponse(
            id="s_bf",
            survey_id="q2",
            customer_id="c_bf",
            answered_at=NOW - timedelta(days=15),
            nps=3,
            csat=2,
        ),
    ]
    store.put_many([*customers, *tx, *receivables, *profiles, *interactions, *complaints, *surveys])


@pytest.fixture
def book_store(store: Store) -> Store:
    load_book(store)
    return store
