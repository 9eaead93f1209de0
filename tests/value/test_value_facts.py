from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from value_helpers import make_txn as txn

from keyaccount.clock import FixedClock
from keyaccount.errors import ValidationError
from keyaccount.fx import ExchangeRates, MissingRate
from keyaccount.models import Customer, CustomerId, Transaction, TransactionKind
from keyaccount.storage import Store
from keyaccount.value import collect_facts, facts_from_store, group_transactions, summarise_customer

AS_OF = datetime(2026, 6, 30, 9, 0, tzinfo=UTC)
CNY = ExchangeRates.single("CNY")


def test_customer_without_orders_has_empty_facts() -> None:
    book = collect_facts({}, as_of=AS_OF, rates=CNY, customer_ids=["c1"])
    (f,) = book.customers
    assert f.customer_id == "c1"
    assert (f.orders, f.order_days, f.refunds, f.repeat_occasions) == (0, 0, 0, 0)
    assert f.first_order_on is None
    assert f.last_order_at is None
    assert f.revenue == 0
    assert f.gross_profit == 0
    assert not f.has_orders


def test_one_order() -> None:
    f = summarise_customer("c1", [txn("c1", "2026-03-01T10:00", 1000, 300)], as_of=AS_OF, rates=CNY)
    assert (f.orders, f.order_days, f.repeat_occasions, f.window_orders) == (1, 1, 0, 1)
    assert f.first_order_on == f.last_order_on == date(2026, 3, 1)
    assert f.revenue == Decimal(1000)
    assert f.gross_profit == Decimal(300)
    assert f.repeat_revenue == 0
    assert f.revenue_money.currency == "CNY"


def test_refund_is_netted_and_can_make_profit_negative() -> None:
    f = summarise_customer(
        "c1",
        [txn("c1", "2026-01-10T10:00", 1000, 100), txn("c1", "2026-02-01T10:00", -500, -300)],
        as_of=AS_OF,
        rates=CNY,
    )
    assert f.orders == 1
    assert f.refunds == 1
    assert f.order_days == 1  # a refund is not a purchase occasion
    assert f.revenue == Decimal(500)
    assert f.gross_profit == Decimal(-200)
    assert f.gross_profit_money.is_negative()
    # The refund falls after the first order day, so it reduces repeat spend.
    assert f.repeat_revenue == Decimal(-500)
    assert f.last_order_on == date(2026, 1, 10)


def test_same_day_orders_are_one_occasion_and_utc_days_split() -> None:
    f = summarise_customer(
        "c1",
        [
            txn("c1", "2026-05-01T08:00", 100),
            txn("c1", "2026-05-01T23:30", 200),
            txn("c1", "2026-05-02T00:30", 400),
        ],
        as_of=AS_OF,
        rates=CNY,
    )
    assert f.orders == 3
    assert f.order_days == 2
    assert f.repeat_occasions == 1
    assert f.repeat_revenue == Decimal(400)
    assert f.last_order_at == datetime(2026, 5, 2, 0, 30, tzinfo=UTC)


def test_future_transactions_are_ignored() -> None:
    f = summarise_customer(
        "c1",
        [txn("c1", "2026-06-01T00:00", 100), txn("c1", "2026-06-30T09:00:01", 999)],
        as_of=AS_OF,
        rates=CNY,
    )
    assert f.orders == 1
    assert f.revenue == Decimal(100)


def test_window_is_closed_at_both_ends() -> None:
    start = AS_OF - timedelta(days=30)
    f = summarise_customer(
        "c1",
        [
            txn("c1", start, 10),
            txn("c1", start - timedelta(seconds=1), 20),
            txn("c1", AS_OF, 40),
        ],
        as_of=AS_OF,
        rates=CNY,
        window_days=30,
    )
    assert f.window_orders == 2
    assert f.window_revenue == Decimal(50)
    assert f.revenue == Decimal(70)


def test_window_across_a_leap_day() -> None:
    as_of = datetime(2024, 12, 31, 12, 0, tzinfo=UTC)
    # 2024 has 366 days, so 365 days back from 31 Dec is 1 Jan of the same year.
    f = summarise_customer(
        "c1",
        [
            txn("c1", "2024-01-01T12:00", 10),
            txn("c1", "2023-12-31T12:00", 20),
            txn("c1", "2024-02-29T12:00", 40),
        ],
        as_of=as_of,
        rates=CNY,
    )
    assert f.window_orders == 2
    assert f.window_revenue == Decimal(50)


def test_amounts_are_converted_to_the_reporting_currency() -> None:
    rates = ExchangeRates("CNY", {"USD": "7.1"})
    f = summarise_customer(
        "c1",
        [txn("c1", "2026-01-01T00:00", 100, 30, currency="USD"), txn("c1", "2026-02-01", 50)],
        as_of=AS_OF,
        rates=rates,
    )
    assert f.currency == "CNY"
    assert f.revenue == Decimal("760.0")
    assert f.gross_profit == Decimal("223.0")


def test_missing_rate_is_reported() -> None:
    with pytest.raises(MissingRate, match="EUR"):
        summarise_customer(
            "c1", [txn("c1", "2026-01-01", 100, currency="EUR")], as_of=AS_OF, rates=CNY
        )


@pytest.mark.parametrize("bad", [0, -5, True, 1.5])
def test_window_must_be_positive_days(bad: object) -> None:
    with pytest.raises(ValidationError, match="window_days"):
        collect_facts({}, as_of=AS_OF, rates=CNY, window_days=bad)  # type: ignore[arg-type]


def test_naive_as_of_is_refused() -> None:
    with pytest.raises(ValidationError, match="as_of"):
        collect_facts({}, as_of=datetime(2026, 1, 1), rates=CNY)


def test_empty_book() -> None:
    book = collect_facts({}, as_of=AS_OF, rates=CNY)
    assert len(book) == 0
    assert book.currency == "CNY"


def test_group_transactions_keeps_every_transaction() -> None:
    txns = [txn("b", "2026-01-01", 1), txn("a", "2026-01-02", 2), txn("b", "2026-01-03", 3)]
    grouped = group_transactions(txns)
    assert {k: [t.amount.amount for t in v] for k, v in grouped.items()} == {
        "b": [1, 3],
        "a": [2],
    }


def test_facts_from_store_reads_each_kind_once(store: Store) -> None:
    for cid in ("c1", "c2", "c3"):
        store.put(Customer(id=cid, name=f"Customer {cid}", created_at=AS_OF - timedelta(days=400)))
    store.put_many([txn("c1", "2026-01-01", 100), txn("c2", "2026-02-01", 50)])
    queries: list[str] = []
    original = store.query

    def counting(kind: type, *args: object, **kwargs: object) -> object:
        queries.append(kind.__name__)
        return original(kind, *args, **kwargs)  # type: ignore[arg-type]

    store.query = counting  # type: ignore[method-assign]
    book = facts_from_store(store, FixedClock(AS_OF), CNY)
    assert sorted(queries) == ["Customer", "Transaction"]
    assert [f.customer_id for f in book.customers] == ["c1", "c2", "c3"]
    assert book.by_id()["c3"].orders == 0
    assert book.as_of == AS_OF


def _plain_repeat_revenue(txns: list[Transaction], as_of: datetime) -> Decimal:
    # The definition: net revenue of every transaction after the first order day, in order.
    rates = ExchangeRates("CNY", {"USD": Decimal("7.1")})
    seen = [t for t in txns if t.occurred_at <= as_of]
    order_days = [t.occurred_at.date() for t in seen if t.kind is TransactionKind.ORDER]
    if not order_days:
        return Decimal(0)
    first = min(order_days)
    return sum(
        (rates.convert(t.amount).amount for t in seen if t.occurred_at.date() > first),
        Decimal(0),
    )


def test_repeat_revenue_is_the_same_in_any_order_of_transactions() -> None:
    import random

    rates = ExchangeRates("CNY", {"USD": Decimal("7.1")})
    as_of = datetime(2026, 6, 30, 12, tzinfo=UTC)
    rng = random.Random(11)
    for _ in range(300):
        txns = [
            txn(
                "c1",
                as_of - timedelta(days=rng.randrange(-3, 12), hours=rng.randrange(24)),
                rng.choice(["10.5", "3", "0.25", "-2.5", "-0.50", "7.125"]),
                currency=rng.choice(["CNY", "CNY", "USD"]),
            )
            for _ in range(rng.randrange(0, 8))
        ]
        ordered = sorted(txns, key=lambda t: t.occurred_at)
        want = _plain_repeat_revenue(txns, as_of)
        for variant in (txns, ordered, ordered[::-1]):
            got = summarise_customer(CustomerId("c1"), variant, as_of=as_of, rates=rates)
            assert repr(got.repeat_revenue) == repr(want)
        facts = summarise_customer(CustomerId("c1"), ordered, as_of=as_of, rates=rates)
        assert facts == summarise_customer(CustomerId("c1"), txns, as_of=as_of, rates=rates)


def test_new_facts_equals_the_constructor() -> None:
    import attrs

    from keyaccount.value.facts import CustomerFacts, _new_facts

    at = datetime(2026, 1, 2, 3, tzinfo=UTC)
    fields = {
        "customer_id": "c1",
        "currency": "CNY",
        "orders": 3,
        "order_days": 2,
        "refunds": 1,
        "window_orders": 2,
        "first_order_on": date(2025, 1, 1),
        "last_order_on": at.date(),
        "last_order_at": at,
        "revenue": Decimal("10.50"),
        "gross_profit": Decimal("2.10"),
        "window_revenue": Decimal("8.00"),
        "window_gross_profit": Decimal("1.60"),
        "repeat_revenue": Decimal("4.00"),
    }
    assert list(fields) == [f.name for f in attrs.fields(CustomerFacts)]
    built = _new_facts(*fields.values())
    assert built == CustomerFacts(**fields)  # type: ignore[arg-type]
    assert repr(built) == repr(CustomerFacts(**fields))  # type: ignore[arg-type]
