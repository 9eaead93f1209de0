from datetime import timedelta
from decimal import Decimal

import attrs
import pytest
from lifekit import NOW, activity, ago, complaint, contact, cust, order, receivable, refund, survey

from keyaccount.activity import CustomerActivity, add_to_totals, convert_totals
from keyaccount.errors import ValidationError
from keyaccount.fx import ExchangeRates
from keyaccount.lifecycle import Action, ChurnContext, ChurnModel, SignalHit, warnings
from keyaccount.lifecycle.signals import (
    _compute_windows,
    _hit,
    complaints,
    contact_overdue,
    detractor,
    order_frequency_drop,
    overdue_receivables,
    revenue_drop,
    satisfaction_drop,
)
from keyaccount.models import Transaction, TransactionKind
from keyaccount.money import Money

CNY = ExchangeRates.single("CNY")
CTX = ChurnContext(NOW, CNY)


def steady(cid: str, recent: int) -> list[object]:
    """8 orders of 100 in the baseline year (days 91..455 ago), ``recent`` in the last 90 days."""
    base = [order(cid, 100 + 45 * k) for k in range(8)]
    base.append(order(cid, 455, "0", "0"))  # first order: baseline spans the full 365 days
    return [*base, *[order(cid, 10 + k) for k in range(recent)]]


def test_order_frequency_drop_against_own_baseline() -> None:
    # 9 baseline orders in 365 d -> 9 x 90 / 365 = 2.219 expected
    expected = 9 * 90 / 365
    none = order_frequency_drop(activity(cust("c1"), *steady("c1", 0)), CTX)
    assert none is not None
    assert none.penalty == 25.0
    one = order_frequency_drop(activity(cust("c1"), *steady("c1", 1)), CTX)
    assert one is not None
    assert one.value == pytest.approx(1 - 1 / expected)
    assert one.penalty == pytest.approx(25 * (1 - 1 / expected))
    assert order_frequency_drop(activity(cust("c1"), *steady("c1", 2)), CTX) is None  # 10 % drop


def test_no_baseline_no_frequency_signal() -> None:
    assert order_frequency_drop(activity(cust("c1")), CTX) is None
    assert order_frequency_drop(activity(cust("c1"), order("c1", 150)), CTX) is None  # 60 d history
    assert revenue_drop(activity(cust("c1"), order("c1", 150)), CTX) is None


def test_revenue_drop_counts_refunds() -> None:
    records = [*steady("c1", 2)]  # baseline 800 -> 197.26 expected; recent 200
    assert revenue_drop(activity(cust("c1"), *records), CTX) is None
    hit = revenue_drop(activity(cust("c1"), *records, refund("c1", 3, "-150", "0")), CTX)
    assert hit is not None
    expected = 800 * 90 / 365
    assert hit.value == pytest.approx(1 - 50 / expected)
    assert hit.penalty == pytest.approx(20 * (1 - 50 / expected))


def test_contact_overdue_uses_the_tier_cadence() -> None:
    a_tier = activity(cust("c1", tier="A"), contact("c1", 45), contact("c1", 400))
    hit = contact_overdue(a_tier, CTX)  # A: 30 days
    assert hit is not None
    assert (hit.value, hit.threshold, hit.penalty) == (45.0, 30.0, 7.5)
    assert contact_overdue(activity(cust("c1", tier="B"), contact("c1", 45)), CTX) is None
    untiered = contact_overdue(activity(cust("c1", created_days_ago=200)), CTX)  # C: 180 days
    assert untiered is not None
    assert untiered.penalty == pytest.approx(15 * 20 / 180)
    assert contact_overdue(activity(cust("c1", tier="A"), contact("c1", -5)), CTX) is not None


def test_satisfaction_drop_and_detractor() -> None:
    a = activity(
        cust("c1"), survey("c1", 300, nps=9), survey("c1", 200, nps=9), survey("c1", 10, nps=5)
    )
    drop = satisfaction_drop(a, CTX)
    assert drop is not None
    assert (drop.value, drop.penalty) == (4.0, 12.0)
    det = detractor(a, CTX)
    assert det is not None
    assert det.penalty == 10.0
    # CSAT 5 -> 10, CSAT 3 -> 5 on the 0-10 scale; no NPS, so no detractor
    csat = activity(cust("c1"), survey("c1", 100, csat=5), survey("c1", 5, csat=3))
    hit = satisfaction_drop(csat, CTX)
    assert hit is not None
    assert hit.value == 5.0
    assert hit.penalty == 15.0
    assert detractor(csat, CTX) is None
    assert satisfaction_drop(activity(cust("c1"), survey("c1", 5, nps=2)), CTX) is None
    assert detractor(activity(cust("c1"), survey("c1", 400, nps=2)), CTX) is None  # too old


def test_complaints_open_and_breached() -> None:
    def penalty(*records: object) -> float | None:
        hit = complaints(activity(cust("c1"), *records), CTX)
        return None if hit is None else hit.penalty

    assert penalty() is None
    assert penalty(complaint("c1", 5, deadline_days_ago=-2)) == 5.0
    assert penalty(complaint("c1", 5, deadline_days_ago=1)) == 15.0
    assert penalty(complaint("c1", 50, closed_days_ago=20, deadline_days_ago=30)) == 10.0
    assert penalty(complaint("c1", 400, closed_days_ago=20, deadline_days_ago=300)) is None
    assert penalty(complaint("c1", 50, closed_days_ago=40, deadline_days_ago=30)) is None
    many = [complaint("c1", 5, deadline_days_ago=1) for _ in range(3)]
    assert penalty(*many) == 20.0


def test_overdue_receivables() -> None:
    hit = overdue_receivables(activity(cust("c1"), receivable("c1", "500", 45)), CTX)
    assert hit is not None
    assert (hit.value, hit.penalty) == (45.0, 10.0)
    assert "500.00 CNY" in hit.detail
    worst = overdue_receivables(activity(cust("c1"), receivable("c1", "5", 120)), CTX)
    assert worst is not None
    assert worst.penalty == 20.0
    assert overdue_receivables(activity(cust("c1"), receivable("c1", "5", 120, 100)), CTX) is None
    assert overdue_receivables(activity(cust("c1"), receivable("c1", "5", -10)), CTX) is None


def test_customer_with_only_receivables_gets_health_from_them() -> None:
    model = ChurnModel()
    a = activity(cust("c1", tier="B", created_days_ago=10), receivable("c1", "500", 45))
    h = model.assess(a, model.context(NOW, CNY))
    assert h.signal_names() == ("overdue_receivables",)
    assert h.health == 90.0
    assert h.level == "healthy"
    assert h.action.code == Action.NONE


def test_health_levels_and_recommended_action() -> None:
    model = ChurnModel()
    ctx = model.context(NOW, CNY)
    # C tier: frequency drop 25 + revenue drop 20 = 45 -> health 55, watch
    c = model.assess(activity(cust("c1", tier="C", created_days_ago=10), *steady("c1", 0)), ctx)
    assert c.health == pytest.approx(55.0)
    assert c.level == "watch"
    assert c.warning
    assert c.action.code == Action.SPECIAL_OFFER
    # A tier, same plus 30+ days without contact (15) and an open breached complaint (15)
    records = [*steady("c2", 0), complaint("c2", 5, deadline_days_ago=1)]
    a = model.assess(activity(cust("c2", tier="A", created_days_ago=100), *records), ctx)
    assert a.health == pytest.approx(100 - 25 - 20 - 15 - 15)
    assert a.level == "at_risk"
    assert a.action.code == Action.CARE_PLAN
    assert "关怀计划" in a.action.label


def test_healthy_customer_has_no_action_and_book_ordering() -> None:
    model = ChurnModel()
    b = {
        "ok": activity(cust("ok", tier="B", created_days_ago=10)),
    }
    result = model.assess_book(b, as_of=NOW, rates=CNY)  # type: ignore[arg-type]
    assert result["ok"].health == 100.0  # type: ignore[index]
    assert result["ok"].action.code == Action.NONE  # type: ignore[index]
    assert warnings(result) == []
    assert model.assess_book({}, as_of=NOW, rates=CNY) == {}


def test_model_thresholds_are_validated() -> None:
    with pytest.raises(ValidationError, match=r"ChurnModel\.at_risk_below"):
        ChurnModel(watch_below=30.0, at_risk_below=40.0)


def test_partly_paid_receivable_is_still_overdue_for_the_rest() -> None:
    from keyaccount.models import Receivable
    from keyaccount.money import Money

    today = NOW.date()
    r = Receivable(
        "rp",
        "c1",
        Money("500", "CNY"),
        today.replace(month=3),
        today.replace(month=4),
        today.replace(month=5),
        Money("200", "CNY"),
    )
    hit = overdue_receivables(activity(cust("c1"), r), CTX)
    assert hit is not None
    assert hit.value == float((today - today.replace(month=4)).days)
    assert "300.00 CNY" in hit.detail


def test_with_extra_keeps_settings_and_refuses_duplicate_names() -> None:
    from keyaccount.errors import DuplicateRegistration
    from keyaccount.lifecycle import ChurnSignal

    def never(activity: object, ctx: object) -> None:
        return None

    model = ChurnModel(watch_below=80.0).with_extra([ChurnSignal("never", "never", never)])
    assert model.watch_below == 80.0
    assert [s.name for s in model.signals][-1] == "never"
    with pytest.raises(DuplicateRegistration):
        model.with_extra([ChurnSignal("complaints", "again", never)])


def test_built_in_hit_shortcut_equals_the_constructor() -> None:
    args = ("revenue_drop", "label", 12.5, 0.625, 0.3, "detail", Action.SPECIAL_OFFER)
    made, built = _hit(*args), SignalHit(*args)
    assert made == built
    assert hash(made) == hash(built)
    assert repr(made) == repr(built)
    assert attrs.asdict(made) == attrs.asdict(built)


@pytest.mark.parametrize("penalty", [-0.5, 100.5, float("nan")])
def test_built_in_hit_shortcut_still_checks_the_penalty(penalty: float) -> None:
    with pytest.raises(ValidationError):
        _hit("x", "x", penalty, 0.0, 0.0, "x", Action.FOLLOW_UP)


def _plain_windows(a: CustomerActivity, ctx: ChurnContext) -> tuple[object, ...] | None:
    """The window figures by the rule, one transaction at a time."""
    orders = a.orders()
    if not orders:
        return None
    start = max(ctx.recent_start - timedelta(days=ctx.baseline_days), orders[0].occurred_at)
    days = (ctx.recent_start - start).total_seconds() / 86400
    if days < ctx.recent_days:
        return None
    counts = [0, 0]
    totals: list[dict[str, Decimal]] = [{}, {}]
    for t in a.transactions:
        if start <= t.occurred_at <= ctx.as_of:
            recent = t.occurred_at > ctx.recent_start
            counts[recent] += t.kind is TransactionKind.ORDER
            add_to_totals(totals[recent], t.amount)
    revenue = [convert_totals(t, ctx.rates) for t in totals]
    return counts[1], counts[0], revenue[1], revenue[0], days


def test_window_figures_match_the_rule_at_the_edges_and_across_currencies() -> None:
    ctx = ChurnContext(NOW, ExchangeRates("CNY", {"USD": "7.1"}))
    usd = Transaction("tu", "c1", ago(30), Money("10.5", "USD"), Money("1", "USD"))
    cases = [
        steady("c1", 2),
        [*steady("c1", 1), refund("c1", 3, "-150", "0"), order("c1", 90), order("c1", 0)],
        [*steady("c1", 3), usd, order("c1", 455 + 365), order("c1", -1)],
        [order("c1", 200), refund("c1", 100, "-0", "0")],
        [order("c1", 120)],
        [],
    ]
    for records in cases:
        a = activity(cust("c1"), *records)
        windows = _compute_windows(a, ctx)
        got = None if windows is None else tuple(windows)
        assert got == _plain_windows(a, ctx)
        # The very same Decimals, exponents included.
        assert repr(got) == repr(_plain_windows(a, ctx))
