from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from keyaccount.clock import FixedClock
from keyaccount.credit import (
    DEFAULT_BUCKETS,
    AgeingBucket,
    AgeingBuckets,
    RiskResponse,
    RiskRules,
    age_receivables,
    assess_credit,
    collection_timeliness,
    credit_review,
    days_overdue_on,
    dso,
    exposure,
    latest_profiles,
    outstanding_on,
)
from keyaccount.errors import ValidationError
from keyaccount.events import RecordingSink
from keyaccount.fx import ExchangeRates, MissingRate
from keyaccount.models import CreditProfile, CustomerId, Receivable, Severity
from keyaccount.money import Money
from keyaccount.storage import Store

CNY = ExchangeRates("CNY", {"USD": "7"})
ON = date(2026, 6, 30)
C1 = CustomerId("cus_1")


def rec(
    rid: str,
    amount: str,
    issued: date,
    due: date,
    paid: date | None = None,
    paid_amount: str | None = None,
    *,
    customer: str = "cus_1",
    currency: str = "CNY",
) -> Receivable:
    kw: dict[str, object] = {}
    if paid_amount is not None:
        kw["paid_amount"] = Money.of(paid_amount, currency)
    return Receivable(
        id=rid,
        customer_id=customer,
        amount=Money.of(amount, currency),
        issued_on=issued,
        due_on=due,
        paid_on=paid,
        **kw,
    )


def profile(limit: str, customer: str = "cus_1", **kw: object) -> CreditProfile:
    return CreditProfile(
        id=f"cp_{customer}", customer_id=customer, credit_limit=Money.of(limit, "CNY"), **kw
    )


# -- ageing -------------------------------------------------------------------------------------


def test_default_buckets_are_current_1_30_31_60_61_90_90_plus() -> None:
    assert DEFAULT_BUCKETS.labels == ("current", "1-30", "31-60", "61-90", "90+")
    assert [DEFAULT_BUCKETS.index_of(d) for d in (0, 1, 30, 31, 60, 61, 90, 91, 5000)] == [
        0,
        1,
        1,
        2,
        2,
        3,
        3,
        4,
        4,
    ]


def test_ageing_sums_outstanding_per_bucket_and_skips_settled() -> None:
    rs = [
        rec("r1", "100", date(2026, 6, 1), date(2026, 7, 1)),  # not yet due
        rec("r2", "200", date(2026, 5, 1), date(2026, 6, 30)),  # due today: current
        rec("r3", "300", date(2026, 5, 1), date(2026, 6, 29)),  # 1 day late
        rec("r4", "400", date(2026, 3, 1), date(2026, 4, 1)),  # 90 days late
        rec("r5", "500", date(2026, 1, 1), date(2026, 3, 31)),  # 91 days late
        rec("r6", "600", date(2026, 1, 1), date(2026, 2, 1), date(2026, 2, 5)),  # settled
        rec("r7", "700", date(2026, 1, 1), date(2026, 5, 1), date(2026, 5, 3), "200"),  # partial
    ]
    ageing = age_receivables(rs, on=ON, rates=CNY)
    amounts = {line.bucket.label: line.amount.amount for line in ageing.lines}
    counts = {line.bucket.label: line.count for line in ageing.lines}
    assert amounts == {
        "current": Decimal(300),
        "1-30": Decimal(300),
        "31-60": Decimal(500),  # r7: 500 left, 60 days late
        "61-90": Decimal(400),
        "90+": Decimal(500),
    }
    assert counts == {"current": 2, "1-30": 1, "31-60": 1, "61-90": 1, "90+": 1}
    assert ageing.total == Money.of(2000, "CNY")
    assert ageing.overdue == Money.of(1700, "CNY")


def test_payment_after_the_review_date_is_ignored() -> None:
    r = rec("r1", "100", date(2026, 5, 1), date(2026, 6, 1), date(2026, 7, 10))
    assert outstanding_on(r, ON) == Decimal(100)
    assert days_overdue_on(r, ON) == 29
    assert outstanding_on(r, date(2026, 7, 10)) == 0
    assert outstanding_on(r, date(2026, 4, 30)) == 0  # not yet issued


def test_leap_day_due_date_ages_by_calendar_days() -> None:
    r = rec("r1", "100", date(2024, 2, 1), date(2024, 2, 29))
    assert days_overdue_on(r, date(2024, 3, 30)) == 30
    assert days_overdue_on(r, date(2024, 3, 31)) == 31
    assert days_overdue_on(r, date(2025, 2, 28)) == 365
    ageing = age_receivables([r], on=date(2024, 3, 31), rates=CNY)
    assert ageing.amount_of("31-60") == Money.of(100, "CNY")
    assert ageing.amount_of("1-30") == Money.of(0, "CNY")


def test_other_currencies_are_converted_and_missing_rates_refused() -> None:
    r = rec("r1", "10", date(2026, 6, 1), date(2026, 7, 1), currency="USD")
    assert age_receivables([r], on=ON, rates=CNY).total == Money.of(70, "CNY")
    with pytest.raises(MissingRate):
        age_receivables([r], on=ON, rates=ExchangeRates.single("CNY"))


def test_custom_buckets() -> None:
    buckets = AgeingBuckets.from_bounds(15, 45)
    assert buckets.labels == ("current", "1-15", "16-45", "45+")
    r = rec("r1", "100", date(2026, 5, 1), date(2026, 6, 10))  # 20 days late
    assert age_receivables([r], on=ON, rates=CNY, buckets=buckets).amount_of("16-45").amount == 100


@pytest.mark.parametrize(
    ("buckets", "field"),
    [
        ((AgeingBucket("a", 1, None),), "buckets[0].min_days"),
        ((AgeingBucket("a", 0, 10), AgeingBucket("b", 12, None)), "buckets[1].min_days"),
        ((AgeingBucket("a", 0, 10), AgeingBucket("b", 5, None)), "buckets[1].min_days"),
        ((AgeingBucket("a", 0, None), AgeingBucket("b", 1, None)), "buckets[0].max_days"),
        ((AgeingBucket("a", 0, 10),), "open-ended"),
        ((), "at least one"),
    ],
)
def test_buckets_must_tile_all_days(buckets: tuple[AgeingBucket, ...], field: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(field)):
        AgeingBuckets(buckets)


def test_bucket_bounds_validated() -> None:
    with pytest.raises(ValidationError, match=r"AgeingBucket\.max_days"):
        AgeingBucket("x", 10, 5)


# -- exposure, DSO, timeliness -------------------------------------------------------------------


def test_exposure_against_limit() -> None:
    rs = [
        rec("r1", "600", date(2026, 6, 1), date(2026, 7, 1)),
        rec("r2", "300", date(2026, 5, 1), date(2026, 6, 1)),
    ]
    e = exposure(rs, profile("1000", rating="A"), on=ON, rates=CNY)
    assert e.outstanding == Money.of(900, "CNY")
    assert e.overdue == Money.of(300, "CNY")
    assert e.utilisation == pytest.approx(0.9)
    assert e.available == Money.of(100, "CNY")
    assert not e.over_limit
    assert e.rating == "A"
    none = exposure(rs, None, on=ON, rates=CNY)
    assert none.utilisation is None
    assert none.available is None
    assert not none.over_limit
    zero = exposure(rs, profile("0"), on=ON, rates=CNY)
    assert zero.utilisation == float("inf")
    assert zero.over_limit
    assert exposure([], profile("0"), on=ON, rates=CNY).utilisation == 0.0


def test_dso_formula() -> None:
    # 90-day window (Apr 1, Jun 30]: sales r1 + r2 = 900; outstanding 600 + 300 = 900.
    rs = [
        rec("r1", "600", date(2026, 6, 1), date(2026, 7, 1)),
        rec("r2", "300", date(2026, 4, 2), date(2026, 5, 2)),
        rec("r3", "1000", date(2026, 4, 1), date(2026, 5, 1), date(2026, 5, 1)),  # outside
    ]
    d = dso(rs, on=ON, rates=CNY)
    assert d.credit_sales == Money.of(900, "CNY")
    assert d.outstanding == Money.of(900, "CNY")
    assert d.value == pytest.approx(90.0)
    assert dso([], on=ON, rates=CNY).value is None
    with pytest.raises(ValidationError, match=r"dso\.days"):
        dso(rs, on=ON, rates=CNY, days=0)


def test_collection_timeliness_by_count_and_amount() -> None:
    rs = [
        rec("r1", "100", date(2026, 5, 1), date(2026, 6, 1), date(2026, 6, 1)),  # on time
        rec("r2", "300", date(2026, 5, 1), date(2026, 6, 2), date(2026, 6, 5)),  # late
        rec("r3", "200", date(2026, 5, 1), date(2026, 6, 3), date(2026, 6, 1), "50"),  # part
        rec("r4", "400", date(2026, 5, 1), date(2026, 6, 4)),  # unpaid
        rec("r5", "999", date(2026, 5, 1), date(2026, 6, 30)),  # due today: not judged
        rec("r6", "999", date(2026, 4, 1), date(2026, 5, 31), date(2026, 5, 1)),  # before period
    ]
    t = collection_timeliness(rs, start=date(2026, 6, 1), end=date(2026, 7, 1), on=ON, rates=CNY)
    assert t.due_count == 4
    assert t.on_time_count == 1
    assert t.by_count == pytest.approx(0.25)
    assert t.due_amount == Money.of(1000, "CNY")
    assert t.on_time_amount == Money.of(150, "CNY")
    assert t.by_amount == pytest.approx(0.15)
    empty = collection_timeliness([], start=ON, end=ON, on=ON, rates=CNY)
    assert empty.by_count is None
    assert empty.by_amount is None
    with pytest.raises(ValidationError, match="end"):
        collection_timeliness([], start=ON, end=date(2026, 1, 1), on=ON, rates=CNY)


def test_timeliness_on_leap_day_due_date() -> None:
    r = rec("r1", "100", date(2024, 2, 1), date(2024, 2, 29), date(2024, 2, 29))
    t = collection_timeliness(
        [r], start=date(2024, 2, 1), end=date(2024, 3, 1), on=date(2024, 3, 1), rates=CNY
    )
    assert (t.due_count, t.on_time_count) == (1, 1)


# -- alerts ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("due", "days", "severity", "response"),
    [
        (date(2026, 6, 29), 1, Severity.LOW, RiskResponse.PAYMENT_REMINDER),
        (date(2026, 5, 31), 30, Severity.LOW, RiskResponse.PAYMENT_REMINDER),
        (date(2026, 5, 30), 31, Severity.MEDIUM, RiskResponse.INSTALMENT_PLAN),
        (date(2026, 4, 30), 61, Severity.HIGH, RiskResponse.SUSPEND_SHIPMENTS),
        (date(2026, 4, 1), 90, Severity.HIGH, RiskResponse.SUSPEND_SHIPMENTS),
        (date(2026, 3, 31), 91, Severity.CRITICAL, RiskResponse.LEGAL_REVIEW),
    ],
)
def test_overdue_alert_steps(
    due: date, days: int, severity: Severity, response: RiskResponse
) -> None:
    report = assess_credit({C1: [rec("r1", "100", date(2026, 1, 1), due)]}, {}, on=ON, rates=CNY)
    (alert,) = report.alerts
    assert alert.code == "overdue"
    assert alert.severity is severity
    assert alert.response is response
    assert alert.facts["max_days_overdue"] == days


def test_settled_or_current_receivables_raise_no_alert() -> None:
    rs = [
        rec("r1", "100", date(2026, 1, 1), date(2026, 2, 1), date(2026, 2, 20)),
        rec("r2", "100", date(2026, 6, 1), date(2026, 6, 30)),
    ]
    assert assess_credit({C1: rs}, {}, on=ON, rates=CNY).alerts == ()


def test_over_limit_and_near_limit_alerts() -> None:
    current = [rec("r1", "950", date(2026, 6, 1), date(2026, 7, 1))]
    near = assess_credit({C1: current}, {C1: profile("1000")}, on=ON, rates=CNY)
    assert [(a.code, a.severity, a.response) for a in near.alerts] == [
        ("near_limit", Severity.LOW, RiskResponse.GUARANTEE)
    ]
    over = assess_credit({C1: current}, {C1: profile("900")}, on=ON, rates=CNY)
    assert [(a.code, a.severity, a.response) for a in over.alerts] == [
        ("over_limit", Severity.HIGH, RiskResponse.GUARANTEE)
    ]
    late = [*current, rec("r2", "10", date(2026, 1, 1), date(2026, 4, 30))]  # 61 days
    worst = assess_credit({C1: late}, {C1: profile("900")}, on=ON, rates=CNY)
    assert [(a.code, a.severity, a.response) for a in worst.alerts] == [
        ("over_limit", Severity.CRITICAL, RiskResponse.SUSPEND_SHIPMENTS),
        ("overdue", Severity.HIGH, RiskResponse.SUSPEND_SHIPMENTS),
    ]
    zero_limit = assess_credit({C1: current}, {C1: profile("0")}, on=ON, rates=CNY)
    assert zero_limit.alerts[0].facts["utilisation"] is None
    quiet = assess_credit({C1: current}, {C1: profile("5000")}, on=ON, rates=CNY)
    assert quiet.alerts == ()


def test_rules_are_configurable_and_validated() -> None:
    rs = [rec("r1", "100", date(2026, 1, 1), date(2026, 6, 20))]
    assert (
        assess_credit(
            {C1: rs}, {}, on=ON, rates=CNY, rules=RiskRules(min_overdue=Decimal(100))
        ).alerts
        == ()
    )
    with pytest.raises(ValidationError, match="near_limit_ratio"):
        RiskRules(near_limit_ratio=1.5)


# -- the report -------------------------------------------------------------------------------------


def test_report_totals_and_customer_with_only_a_profile() -> None:
    c2 = CustomerId("cus_2")
    report = assess_credit(
        {
            C1: [rec("r1", "100", date(2026, 6, 1), date(2026, 6, 10))],
            c2: [rec("r2", "50", date(2026, 6, 1), date(2026, 7, 10), customer="cus_2")],
        },
        {CustomerId("cus_3"): profile("10", customer="cus_3")},
        on=ON,
        rates=CNY,
    )
    assert sorted(report.customers) == ["cus_1", "cus_2", "cus_3"]
    assert report.outstanding == Money.of(150, "CNY")
    assert report.overdue == Money.of(100, "CNY")
    assert report.dso.value == pytest.approx(90.0)
    assert report.customers[CustomerId("cus_3")].exposure.outstanding.is_zero()
    assert report.customers[C1].max_days_overdue == 20


def test_empty_portfolio() -> None:
    report = assess_credit({}, {}, on=ON, rates=CNY)
    assert report.customers == {}
    assert report.outstanding == Money.of(0, "CNY")
    assert report.dso.value is None
    assert report.timeliness.by_count is None
    assert report.alerts == ()


def test_latest_profile_wins() -> None:
    old = profile("10", updated_at=datetime(2026, 1, 1, tzinfo=UTC))
    new = CreditProfile(
        id="cp_new",
        customer_id="cus_1",
        credit_limit=Money.of("20", "CNY"),
        updated_at=datetime(2026, 2, 1, tzinfo=UTC),
    )
    undated = CreditProfile(id="cp_z", customer_id="cus_1", credit_limit=Money.of("30", "CNY"))
    assert latest_profiles([new, old, undated])[C1] is new
    assert latest_profiles([undated, old])[C1] is old


def test_credit_review_loads_store_and_emits_events(
    store: Store, clock: FixedClock, events: RecordingSink
) -> None:
    store.put_many(
        [
            rec("r1", "100", date(2026, 1, 1), date(2026, 3, 1)),
            profile("50"),
            rec("r2", "10", date(2026, 6, 1), date(2026, 7, 1), customer="cus_2"),
        ]
    )
    report = credit_review(store, clock=clock, rates=CNY, events=events)
    assert report.on == ON
    assert events.names() == ["risk.alert", "risk.alert"]
    first = events.events[0]
    assert first.subject_id == "cus_1"
    assert first.data["code"] == "over_limit"
    assert first.data["severity"] == "critical"
    assert first.data["response"] == "suspend_shipments"
    assert first.occurred_at == clock.now()
    assert events.events[1].data["response"] == "legal_review"


def test_near_limit_fires_at_exactly_the_ratio() -> None:
    owed = [rec("r1", "900", date(2026, 6, 1), date(2026, 7, 1))]
    report = assess_credit({C1: owed}, {C1: profile("1000")}, on=ON, rates=CNY)
    assert [a.code for a in report.alerts] == ["near_limit"]
    below = [rec("r1", "899.99", date(2026, 6, 1), date(2026, 7, 1))]
    assert assess_credit({C1: below}, {C1: profile("1000")}, on=ON, rates=CNY).alerts == ()


# -- announcing only what changed ------------------------------------------------------------


def test_alerts_are_announced_once_then_on_escalation_and_after_clearing(
    store: Store, clock: FixedClock
) -> None:
    from datetime import timedelta

    from keyaccount.credit import RiskAlertState

    store.put_many([rec("r1", "100", date(2026, 1, 1), date(2026, 6, 20))])  # 10 days late
    first = RecordingSink()
    credit_review(store, clock=clock, rates=CNY, events=first)
    assert [(e.data["severity"], e.data["previous_severity"]) for e in first.events] == [
        ("low", None)
    ]
    (state,) = store.query(RiskAlertState)
    assert (state.id, state.severity, state.raised_at) == (
        "cus_1.overdue",
        Severity.LOW,
        clock.now(),
    )

    again = RecordingSink()
    credit_review(store, clock=clock, rates=CNY, events=again)
    assert again.events == []

    raised = clock.now()
    clock.advance(timedelta(days=30))  # now 40 days late: medium
    worse = RecordingSink()
    credit_review(store, clock=clock, rates=CNY, events=worse)
    assert [
        (e.data["severity"], e.data["previous_severity"], e.data["response"]) for e in worse.events
    ] == [("medium", "low", "instalment_plan")]
    state = store.get(RiskAlertState, "cus_1.overdue")
    assert (state.severity, state.raised_at, state.updated_at) == (
        Severity.MEDIUM,
        raised,
        clock.now(),
    )

    # paid: the alert clears and its state goes
    store.put(rec("r1", "100", date(2026, 1, 1), date(2026, 6, 20), date(2026, 7, 25)))
    cleared = RecordingSink()
    credit_review(store, clock=clock, rates=CNY, events=cleared)
    assert cleared.events == []
    assert store.count(RiskAlertState) == 0

    # a new debt going late is announced again
    store.put(rec("r2", "50", date(2026, 7, 1), date(2026, 7, 20)))
    back = RecordingSink()
    credit_review(store, clock=clock, rates=CNY, events=back)
    assert [e.data["severity"] for e in back.events] == ["low"]


def test_lower_severity_updates_the_state_silently(store: Store, clock: FixedClock) -> None:
    from keyaccount.credit import RiskAlertState

    store.put_many(
        [
            rec("r1", "100", date(2026, 1, 1), date(2026, 3, 1)),  # 121 days: critical
            rec("r2", "100", date(2026, 1, 1), date(2026, 6, 20)),
        ]
    )
    credit_review(store, clock=clock, rates=CNY, events=RecordingSink())
    store.put(rec("r1", "100", date(2026, 1, 1), date(2026, 3, 1), date(2026, 6, 29)))
    quieter = RecordingSink()
    credit_review(store, clock=clock, rates=CNY, events=quieter)
    assert quieter.events == []
    assert store.get(RiskAlertState, "cus_1.overdue").severity is Severity.LOW


def test_alert_state_validates_its_fields() -> None:
    from keyaccount.credit import RiskAlertState

    with pytest.raises(ValidationError, match=r"RiskAlertState\.severity"):
        RiskAlertState(
            id="cus_1.overdue",
            customer_id="cus_1",
            code="overdue",
            severity="dire",
            response="legal_review",
            raised_at=datetime(2026, 1, 1, tzinfo=UTC),
            updated_at=datetime(2026, 1, 1, tzinfo=UTC),
        )


@pytest.mark.parametrize(
    "buckets",
    [DEFAULT_BUCKETS, AgeingBuckets.from_bounds(), AgeingBuckets.from_bounds(7, 14, 45, 180)],
)
def test_bucket_starts_bisect_finds_the_same_bucket_as_index_of(buckets: AgeingBuckets) -> None:
    from bisect import bisect_right

    from keyaccount.credit.ageing import bucket_starts

    starts = bucket_starts(buckets)
    for days in range(400):
        assert bisect_right(starts, days) == buckets.index_of(days)
