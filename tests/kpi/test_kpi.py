from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from keyaccount.errors import ValidationError
from keyaccount.fx import ExchangeRates
from keyaccount.kpi import (
    KPI_CATALOGUE,
    KPI_FUNCTIONS,
    UNASSIGNED,
    KpiFacts,
    Period,
    churn_rate,
    customer_facts,
    kpi_report,
    nps,
)
from keyaccount.models import Customer, CustomerId, Receivable, SurveyResponse, Transaction
from keyaccount.money import Money

CNY = ExchangeRates("CNY", {"USD": "7"})
Q2 = Period.quarter(2026, 2)  # previous: the 91 days before Apr 1
ON = date(2026, 6, 30)
BEFORE = datetime(2025, 1, 1, 12, tzinfo=UTC)


def at(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 12, tzinfo=UTC)


def customer(
    cid: str,
    owner: str | None = "u1",
    team: str | None = "east",
    tier: str | None = "A",
    created: datetime = BEFORE,
) -> Customer:
    return Customer(id=cid, name=cid, created_at=created, owner_id=owner, team=team, tier=tier)


def order(tid: str, cid: str, when: datetime, amount: str, currency: str = "CNY") -> Transaction:
    return Transaction(
        id=tid,
        customer_id=cid,
        occurred_at=when,
        amount=Money.of(amount, currency),
        gross_profit=Money.of("0", currency),
    )


def refund(tid: str, cid: str, when: datetime, amount: str) -> Transaction:
    return Transaction(
        id=tid,
        customer_id=cid,
        occurred_at=when,
        kind="refund",
        amount=Money.of(amount, "CNY"),
        gross_profit=Money.of(amount, "CNY"),
    )


def survey(
    sid: str, cid: str, when: datetime, nps: int | None = None, csat: int | None = None
) -> SurveyResponse:
    return SurveyResponse(
        id=sid, survey_id="s1", customer_id=cid, answered_at=when, nps=nps, csat=csat
    )


def test_periods() -> None:
    assert Period.month(2024, 2).days == 29
    assert Period.month(2024, 2).end == date(2024, 3, 1)
    assert Period.month(2026, 12).end == date(2027, 1, 1)
    assert Period.quarter(2026, 4) == Period(date(2026, 10, 1), date(2027, 1, 1))
    assert Period.year(2024).days == 366
    assert Period.trailing(ON, 90) == Period(date(2026, 4, 2), date(2026, 7, 1))
    assert Q2.previous() == Period(date(2025, 12, 31), date(2026, 4, 1))
    assert date(2026, 6, 30) in Q2
    assert date(2026, 7, 1) not in Q2
    assert at(2026, 4, 1) in Q2
    assert Q2.label == "2026-04-01..2026-06-30"
    with pytest.raises(ValidationError, match=r"Period\.end"):
        Period(ON, ON)
    with pytest.raises(ValidationError, match=r"Period\.month"):
        Period.month(2026, 13)
    with pytest.raises(ValidationError, match=r"Period\.quarter"):
        Period.quarter(2026, 0)
    with pytest.raises(ValidationError, match=r"Period\.days"):
        Period.trailing(ON, 0)


def test_catalogue_covers_every_function_with_a_formula() -> None:
    codes = {fn(KpiFacts()).code for fn in KPI_FUNCTIONS}
    assert codes == set(KPI_CATALOGUE)
    for fn in KPI_FUNCTIONS:
        assert fn.__doc__
        assert "=" in fn.__doc__
    assert all(d.formula and d.zh and d.en for d in KPI_CATALOGUE.values())


def book() -> tuple[
    list[Customer],
    dict[CustomerId, list[Transaction]],
    dict[CustomerId, list[Receivable]],
    dict[CustomerId, list[SurveyResponse]],
]:
    customers = [
        customer("c1"),
        customer("c2"),
        customer("c3", owner="u2", team="west", tier="B"),
        customer("c4", owner=None, team=None, tier=None, created=at(2026, 5, 1)),
    ]
    orders = {
        # c1 bought in both periods: retained; revenue 100 → 300 (refund -50 counted)
        CustomerId("c1"): [
            order("t1", "c1", at(2026, 2, 1), "100"),
            order("t2", "c1", at(2026, 5, 1), "350"),
            refund("t3", "c1", at(2026, 6, 1), "-50"),
        ],
        # c2 bought only before: churned; a refund alone does not make it buying
        CustomerId("c2"): [
            order("t4", "c2", at(2026, 1, 15), "200"),
            refund("t5", "c2", at(2026, 4, 15), "-20"),
        ],
        # c3 bought only before, in USD (7 CNY each)
        CustomerId("c3"): [order("t6", "c3", at(2026, 3, 31), "10", "USD")],
        # c4 is new and bought this period
        CustomerId("c4"): [order("t7", "c4", at(2026, 5, 2), "500")],
    }
    receivables = {
        CustomerId("c1"): [
            Receivable(
                id="r1",
                customer_id="c1",
                amount=Money.of("100", "CNY"),
                issued_on=date(2026, 4, 1),
                due_on=date(2026, 5, 1),
                paid_on=date(2026, 4, 30),
            ),
            Receivable(
                id="r2",
                customer_id="c1",
                amount=Money.of("300", "CNY"),
                issued_on=date(2026, 4, 1),
                due_on=date(2026, 6, 1),
            ),
            # Feb 29 due date, before the period: ignored by this period's timeliness
            Receivable(
                id="r3",
                customer_id="c1",
                amount=Money.of("999", "CNY"),
                issued_on=date(2024, 2, 1),
                due_on=date(2024, 2, 29),
            ),
        ],
    }
    responses = {
        CustomerId("c1"): [
            survey("s1", "c1", at(2026, 5, 1), nps=10, csat=5),
            survey("s2", "c1", at(2026, 5, 2), nps=8, csat=3),
            survey("s3", "c1", at(2026, 1, 2), nps=0, csat=1),  # previous period: ignored
        ],
        CustomerId("c3"): [survey("s4", "c3", at(2026, 6, 2), nps=3, csat=4)],
    }
    return customers, orders, receivables, responses


def test_portfolio_kpis_hand_computed() -> None:
    customers, orders, receivables, responses = book()
    report = kpi_report(customers, orders, receivables, responses, period=Q2, on=ON, rates=CNY)
    p = report.portfolio
    # buying previous: c1, c2, c3 = 3; retained: c1; buying now: c1, c4 = 2
    assert p.value("retention_rate") == pytest.approx(1 / 3)
    assert p.value("churn_rate") == pytest.approx(2 / 3)
    assert p.value("customer_growth") == pytest.approx((2 - 3) / 3)
    assert p.value("new_customers") == 1
    # revenue prev 100 + 200 + 70 = 370; now 350 - 50 - 20 + 500 = 780
    assert p.values["revenue_growth"].numerator == pytest.approx(410)
    assert p.value("revenue_growth") == pytest.approx(410 / 370)
    # due in Q2 before ON: r1 (on time, 100), r2 (unpaid, 300)
    assert p.value("collection_timeliness") == pytest.approx(0.25)
    assert p.value("collection_timeliness_count") == pytest.approx(0.5)
    # CSAT answers in Q2: 5, 3, 4 → 2 of 3 satisfied; NPS: 10 (P), 8 (passive), 3 (D) → 0
    assert p.value("csat") == pytest.approx(2 / 3)
    assert p.value("nps") == pytest.approx(0.0)


def test_breakdowns_by_manager_team_tier() -> None:
    customers, orders, receivables, responses = book()
    report = kpi_report(customers, orders, receivables, responses, period=Q2, on=ON, rates=CNY)
    managers = {s.key: s for s in report.by_manager}
    assert list(managers) == [UNASSIGNED, "u1", "u2"]
    assert managers["u1"].value("retention_rate") == pytest.approx(0.5)
    assert managers["u2"].value("churn_rate") == pytest.approx(1.0)
    assert managers["u2"].value("nps") == pytest.approx(-100.0)
    assert managers[UNASSIGNED].value("retention_rate") is None  # nobody bought before
    assert managers[UNASSIGNED].value("revenue_growth") is None
    assert [s.key for s in report.by_team] == [UNASSIGNED, "east", "west"]
    tiers = {s.key: s for s in report.by_tier}
    assert tiers["A"].facts.customers == 2
    # the review's fresh tiers override the stored ones
    moved = kpi_report(
        customers,
        orders,
        receivables,
        responses,
        period=Q2,
        on=ON,
        rates=CNY,
        tiers={CustomerId("c1"): "B"},
    )
    assert {s.key: s.facts.customers for s in moved.by_tier} == {UNASSIGNED: 1, "A": 1, "B": 2}


def test_no_orders_one_order_and_empty_book() -> None:
    lonely = customer("c9")
    none = customer_facts(lonely, [], [], [], period=Q2, on=ON, rates=CNY)
    assert churn_rate(none).value is None
    assert nps(none).value is None
    one = customer_facts(
        lonely, [order("t", "c9", at(2026, 6, 1), "5")], [], [], period=Q2, on=ON, rates=CNY
    )
    assert (one.buying_prev, one.buying_cur, one.retained) == (0, 1, 0)
    empty = kpi_report([], {}, {}, {}, period=Q2, on=ON, rates=CNY)
    assert empty.portfolio.facts == KpiFacts()
    assert all(v.value is None or v.value == 0 for v in empty.portfolio.values.values())
    assert empty.by_manager == ()


def test_leap_day_period_boundaries() -> None:
    feb = Period.month(2024, 2)
    facts = customer_facts(
        customer("c1"),
        [order("t1", "c1", at(2024, 2, 29), "10"), order("t2", "c1", at(2024, 1, 31), "10")],
        [],
        [],
        period=feb,
        on=date(2024, 3, 1),
        rates=CNY,
    )
    assert facts.revenue_cur == 10  # Feb 29 is inside February 2024
    assert facts.revenue_prev == 10  # Jan 31 is inside the 29 days before
    assert facts.retained == 1


def test_facts_add_field_by_field() -> None:
    from decimal import Decimal

    from keyaccount.kpi import sum_facts

    a = KpiFacts(customers=1, retained=1, revenue_cur=Decimal("2.5"), promoters=2)
    b = KpiFacts(customers=2, revenue_cur=Decimal("1"), detractors=1)
    total = a + b
    assert total == KpiFacts(
        customers=3, retained=1, revenue_cur=Decimal("3.5"), promoters=2, detractors=1
    )
    assert sum_facts([a, b, b]).customers == 5
    assert sum_facts([]) == KpiFacts()


def test_time_ordered_fast_path_gives_the_same_facts() -> None:
    midnight = datetime(2026, 4, 1, tzinfo=UTC)  # first instant of Q2
    history = sorted(
        [
            order("a", "c1", at(2025, 6, 1), "1"),  # before both periods
            order("b", "c1", at(2025, 12, 31), "2"),  # first day of the previous period
            order("c", "c1", midnight, "4"),  # first instant of the period
            refund("d", "c1", at(2026, 6, 30), "-3"),  # last day of the period
            order("e", "c1", at(2026, 7, 1), "100"),  # after the period
        ],
        key=lambda t: t.occurred_at,
    )
    kw = {"period": Q2, "on": ON, "rates": CNY}
    fast = customer_facts(customer("c1"), history, [], [], time_ordered=True, **kw)  # type: ignore[arg-type]
    slow = customer_facts(customer("c1"), list(reversed(history)), [], [], **kw)  # type: ignore[arg-type]
    assert fast == slow
    assert (fast.revenue_prev, fast.revenue_cur) == (2, 1)
    assert (fast.buying_prev, fast.buying_cur, fast.retained) == (1, 1, 1)


def test_series_gives_one_report_per_period() -> None:
    from keyaccount.kpi import kpi_series

    customers, orders, receivables, responses = book()
    months = [Period.month(2026, m) for m in (4, 5, 6)]
    series = kpi_series(customers, orders, receivables, responses, periods=months, on=ON, rates=CNY)
    assert [r.period for r in series] == months
    # May: c1 (May 1) and c4 (May 2) order; the 31 days before (Mar 31 - Apr 30) only c3
    # (Mar 31), which does not come back
    may = series[1].portfolio
    assert (may.facts.buying_prev, may.facts.buying_cur, may.facts.retained) == (1, 2, 0)
    assert may.value("retention_rate") == pytest.approx(0.0)
    assert may.value("customer_growth") == pytest.approx(1.0)
    # June: nobody orders (c1's June entry is a refund); of the 30 days before (May 2-31)
    # only c4 bought, and it is lost
    june = series[2].portfolio
    assert (june.facts.buying_prev, june.facts.buying_cur) == (1, 0)
    assert june.value("churn_rate") == pytest.approx(1.0)
    assert june.facts.revenue_cur == -50


def test_report_from_rows_equals_the_sums_of_customer_facts() -> None:
    from keyaccount.kpi import gather_facts, group, scorecard, sum_facts
    from keyaccount.kpi.scorecard import Dimension

    customers, orders, receivables, responses = book()
    report = kpi_report(customers, orders, receivables, responses, period=Q2, on=ON, rates=CNY)
    facts = gather_facts(customers, orders, receivables, responses, period=Q2, on=ON, rates=CNY)
    total = sum_facts(facts.values())
    assert report.portfolio == scorecard(Dimension.PORTFOLIO, "all", Q2, total)
    assert repr(report.portfolio.facts) == repr(total)  # same Decimals, digit for digit
    teams = {c.id: c.team for c in customers}
    assert report.by_team == group(facts, teams.__getitem__, Dimension.TEAM, Q2)
