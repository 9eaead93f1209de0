from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from keyaccount.clock import FixedClock
from keyaccount.errors import RecordNotFound, ValidationError
from keyaccount.events import RecordingSink
from keyaccount.fx import ExchangeRates, MissingRate
from keyaccount.loyalty import (
    EarnRules,
    InsufficientPoints,
    LoyaltyService,
    PointsEntry,
    PointsKind,
)
from keyaccount.models import Customer, Receivable, Transaction, TransactionKind
from keyaccount.money import Money
from keyaccount.storage import Store

T0 = datetime(2026, 6, 30, 9, tzinfo=UTC)


def cny(amount: str) -> Money:
    return Money(Decimal(amount), "CNY")


def order(tid: str, amount: str, customer: str = "c1") -> Transaction:
    return Transaction(
        id=tid, customer_id=customer, occurred_at=T0, amount=cny(amount), gross_profit=cny("0")
    )


@pytest.fixture
def svc(store: Store, clock: FixedClock, events: RecordingSink) -> LoyaltyService:
    store.put_many(
        [
            Customer(id="c1", name="One", created_at=T0, tier="A"),
            Customer(id="c2", name="Two", created_at=T0),
            Customer(id="c3", name="Three", created_at=T0),
        ]
    )
    rules = EarnRules(tier_multipliers={"A": "1.5"}, validity_days=30)
    return LoyaltyService(store, clock, events, rules)


# -- the ledger record ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "points", "extra", "message"),
    [
        ("earn", -5, {}, "earn entry is positive"),
        ("redeem", 5, {}, "redeem entry is negative"),
        ("redeem", -5, {"allocations": {"l1": 4}}, "add up to the 5"),
        ("expire", -5, {"allocations": {"l1": 2, "l2": 3}}, "exactly one lot"),
        ("earn", 0, {}, "non-zero whole number"),
        ("earn", True, {}, "non-zero whole number"),
        ("earn", 5, {"allocations": {"l1": 5}}, "only deductions"),
        ("redeem", -5, {"allocations": {"l1": 5}, "expires_on": date(2027, 1, 1)}, "only a lot"),
        ("redeem", -5, {"allocations": {"l1": -5}}, "positive whole points"),
        ("bonus", 5, {}, "PointsEntry.kind"),
    ],
)
def test_entry_validation(kind: str, points: int, extra: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        PointsEntry(
            id="e1",
            customer_id="c1",
            at=T0,
            kind=kind,
            points=points,
            reason="x",
            **extra,  # type: ignore[arg-type]
        )


# -- earning -------------------------------------------------------------------------------


def test_purchase_points_floor_and_tier_multiplier(svc: LoyaltyService) -> None:
    entry = svc.earn_for_purchase(order("t1", "12345.67"))
    assert entry is not None
    assert entry.points == 185  # 123.4567 * 1.5 = 185.18 → 185
    assert entry.expires_on == date(2026, 7, 30)
    assert entry.kind is PointsKind.EARN
    plain = svc.earn_for_purchase(order("t2", "199.99", customer="c2"))
    assert plain is not None
    assert plain.points == 1


def test_purchase_earns_once(svc: LoyaltyService, events: RecordingSink) -> None:
    first = svc.earn_for_purchase(order("t1", "1000"))
    again = svc.earn_for_purchase(order("t1", "1000"))
    assert first == again
    assert svc.balance("c1") == 15
    assert events.names() == ["points.earned"]


def test_refunds_and_small_orders_earn_nothing(svc: LoyaltyService) -> None:
    refund = Transaction(
        id="t9",
        customer_id="c1",
        occurred_at=T0,
        amount=cny("-500"),
        gross_profit=cny("0"),
        kind=TransactionKind.REFUND,
    )
    assert svc.earn_for_purchase(refund) is None
    assert svc.earn_for_purchase(order("t3", "50", customer="c2")) is None
    assert svc.balance("c1") == svc.balance("c2") == 0


def test_foreign_currency_needs_a_rate(
    store: Store, clock: FixedClock, events: RecordingSink, svc: LoyaltyService
) -> None:
    usd = Transaction(
        id="tu",
        customer_id="c2",
        occurred_at=T0,
        amount=Money(Decimal("100"), "USD"),
        gross_profit=Money(Decimal("0"), "USD"),
    )
    with pytest.raises(MissingRate):
        svc.earn_for_purchase(usd)
    rated = LoyaltyService(
        store, clock, events, EarnRules(rates=ExchangeRates("CNY", {"USD": "7.2"}))
    )
    entry = rated.earn_for_purchase(usd)
    assert entry is not None
    assert entry.points == 7


@pytest.mark.parametrize(
    ("paid_on", "paid", "points"),
    [
        (date(2026, 6, 1), "1000", 5),  # on the due date
        (date(2026, 5, 20), "1000", 5),
        (date(2026, 6, 2), "1000", None),  # a day late
        (date(2026, 5, 20), "400", None),  # not in full
        (None, None, None),
    ],
)
def test_on_time_payment(
    svc: LoyaltyService, paid_on: date | None, paid: str | None, points: int | None
) -> None:
    receivable = Receivable(
        id="r1",
        customer_id="c2",
        amount=cny("1000"),
        issued_on=date(2026, 5, 1),
        due_on=date(2026, 6, 1),
        paid_on=paid_on,
        paid_amount=cny(paid) if paid else None,
    )
    entry = svc.earn_for_payment(receivable)
    assert (entry.points if entry else None) == points


def test_referral_bonus_once_per_referred_customer(svc: LoyaltyService) -> None:
    entry = svc.earn_for_referral("c1", "c2")
    assert entry.points == 500
    assert svc.earn_for_referral("c1", "c2") == entry
    with pytest.raises(ValidationError, match="already credited to c1"):
        svc.earn_for_referral("c3", "c2")
    with pytest.raises(ValidationError, match="cannot refer itself"):
        svc.earn_for_referral("c1", "c1")
    with pytest.raises(RecordNotFound):
        svc.earn_for_referral("c1", "c404")
    assert svc.balance("c1") == 500


# -- redeeming, adjusting, expiring --------------------------------------------------------


def test_redeem_takes_soonest_expiring_points_first(svc: LoyaltyService, clock: FixedClock) -> None:
    first = svc.adjust("c2", 100, "welcome")  # expires in 30 days
    clock.advance(timedelta(days=10))
    second = svc.earn_for_referral("c2", "c3")  # 500, expires 10 days later
    entry = svc.redeem("c2", 150, "gift")
    assert entry.allocations == {first.id: 100, second.id: 50}
    assert [(lot.lot_id, lot.remaining) for lot in svc.lots("c2")] == [
        (first.id, 0),
        (second.id, 450),
    ]
    assert svc.balance("c2") == 450


def test_redeem_cannot_overdraw(svc: LoyaltyService, events: RecordingSink) -> None:
    svc.adjust("c2", 100, "welcome")
    before = svc.ledger("c2")
    with pytest.raises(InsufficientPoints, match="has 100 points; cannot deduct 101") as err:
        svc.redeem("c2", 101, "too much")
    assert (err.value.wanted, err.value.available) == (101, 100)
    assert svc.ledger("c2") == before
    with pytest.raises(InsufficientPoints):
        svc.adjust("c2", -101, "correction")
    with pytest.raises(ValidationError):
        svc.redeem("c2", 0, "nothing")
    assert events.names() == ["points.adjusted"]


def test_expiry_takes_only_what_is_left(svc: LoyaltyService, clock: FixedClock) -> None:
    lot = svc.adjust("c2", 100, "welcome")
    svc.redeem("c2", 30, "gift")
    assert svc.expire_due(date(2026, 7, 29)) == []
    expired = svc.expire_due(date(2026, 7, 30))
    assert [(e.kind, e.points, e.allocations) for e in expired] == [
        (PointsKind.EXPIRE, -70, {lot.id: 70})
    ]
    assert svc.balance("c2") == 0
    assert svc.expire_due(date(2026, 12, 31)) == []  # nothing twice


def test_redeem_expires_due_points_first(
    svc: LoyaltyService, clock: FixedClock, events: RecordingSink
) -> None:
    svc.adjust("c2", 100, "old points")
    clock.advance(timedelta(days=30))
    svc.adjust("c2", 20, "new points")
    with pytest.raises(InsufficientPoints):
        svc.redeem("c2", 50, "gift")  # the old hundred are gone
    svc.redeem("c2", 20, "gift")
    assert svc.balance("c2") == 0
    kinds = sorted(e.kind.value for e in svc.ledger("c2"))
    assert kinds == ["adjust", "adjust", "expire", "redeem"]
    # the refused redemption announced nothing; its expiry was rolled back with it
    assert events.names() == [
        "points.adjusted",
        "points.adjusted",
        "points.expired",
        "points.redeemed",
    ]


def test_points_that_never_expire(store: Store, clock: FixedClock, events: RecordingSink) -> None:
    store.put(Customer(id="c1", name="One", created_at=T0))
    svc = LoyaltyService(store, clock, events, EarnRules(validity_days=None))
    entry = svc.adjust("c1", 10, "forever")
    assert entry.expires_on is None
    assert svc.expire_due(date(2100, 1, 1)) == []


def test_adjust_needs_a_real_customer_and_points(svc: LoyaltyService) -> None:
    with pytest.raises(RecordNotFound):
        svc.adjust("c404", 10, "x")
    with pytest.raises(ValidationError):
        svc.adjust("c1", 0, "x")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"amount_per_point": "0"}, "must be positive"),
        ({"referral_points": -1}, "whole number >= 0"),
        ({"validity_days": -1}, "whole number >= 0"),
        ({"tier_multipliers": {"A": "-1"}}, "must not be negative"),
        ({"tier_multipliers": {"A": 1.5}}, "floats are inexact"),
    ],
)
def test_bad_rules(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        EarnRules(**kwargs)  # type: ignore[arg-type]


def test_award_pending_earns_once_for_everything_due(
    svc: LoyaltyService, store: Store, events: RecordingSink
) -> None:
    refund = Transaction(
        id="t9",
        customer_id="c2",
        occurred_at=T0,
        amount=cny("-500"),
        gross_profit=cny("0"),
        kind=TransactionKind.REFUND,
    )
    store.put_many(
        [
            order("t1", "1000"),  # tier A: 15
            order("t2", "1000", customer="c2"),  # 10
            refund,
            Receivable(
                id="r1",
                customer_id="c2",
                amount=cny("2000"),
                issued_on=date(2026, 5, 1),
                due_on=date(2026, 6, 1),
                paid_on=date(2026, 6, 1),
            ),  # 10
            Receivable(
                id="r2",
                customer_id="c2",
                amount=cny("2000"),
                issued_on=date(2026, 5, 1),
                due_on=date(2026, 6, 1),
                paid_on=date(2026, 6, 9),
            ),  # late
        ]
    )
    svc.earn_for_purchase(order("t1", "1000"))  # already earned by hand
    events.events.clear()
    new = svc.award_pending()
    assert sorted(e.source_ref or "" for e in new) == ["receivable:r1", "transaction:t2"]
    assert (svc.balance("c1"), svc.balance("c2")) == (15, 20)
    assert events.names() == ["points.earned", "points.earned"]
    assert svc.award_pending() == []
