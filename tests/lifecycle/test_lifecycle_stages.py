from datetime import datetime, timedelta

import attrs
import pytest
from lifekit import NOW, activity, ago, cust, on, order, refund

from keyaccount.errors import ValidationError
from keyaccount.lifecycle import LifecycleRules, Stage, StageChange, derive_stages
from keyaccount.lifecycle.churn import HealthAssessment, RecommendedAction

RULES = LifecycleRules()


def stages(*records: object, as_of=NOW, health=None, customer=None):  # type: ignore[no-untyped-def]
    changes = derive_stages(activity(customer or cust("c1"), *records), RULES, as_of, health)
    return [(c.to_stage, c.at) for c in changes]


def test_no_orders_is_a_prospect_since_creation() -> None:
    assert stages() == [(Stage.PROSPECT, ago(2000))]


def test_one_order_is_a_first_purchase() -> None:
    assert stages(order("c1", 10)) == [(Stage.PROSPECT, ago(2000)), (Stage.FIRST_PURCHASE, ago(10))]


def test_one_order_goes_at_risk_then_churned_on_the_minimum_limits() -> None:
    got = stages(order("c1", 200))
    assert got[1:] == [
        (Stage.FIRST_PURCHASE, ago(200)),
        (Stage.AT_RISK, ago(200) + timedelta(days=90)),
        (Stage.CHURNED, ago(200) + timedelta(days=180)),
    ]


def test_repeat_then_loyal_after_six_orders_and_a_year() -> None:
    orders = [order("c1", 400 - 73 * k) for k in range(6)]  # days 0, 73 ... 365 of tenure
    got = stages(*orders)
    assert [s for s, _ in got] == [Stage.PROSPECT, Stage.FIRST_PURCHASE, Stage.REPEAT, Stage.LOYAL]
    assert got[-1][1] == ago(35)  # the sixth order, 365 days after the first


def test_six_orders_within_a_year_stay_repeat() -> None:
    orders = [order("c1", 100 - 10 * k) for k in range(7)]
    assert stages(*orders)[-1][0] is Stage.REPEAT


def test_limits_follow_the_customers_own_rhythm() -> None:
    # gaps of 60 days: at risk after 2 x 60 = 120 days, churned after 4 x 60 = 240
    orders = [order("c1", 300), order("c1", 240), order("c1", 180)]
    got = stages(*orders)
    assert got[-1] == (Stage.AT_RISK, ago(180) + timedelta(days=120))
    later = stages(*orders, as_of=NOW + timedelta(days=61))
    assert later[-1] == (Stage.CHURNED, ago(180) + timedelta(days=240))


def test_limits_are_capped() -> None:
    assert RULES.limits([timedelta(days=1000)]) == (365.0, 730.0)
    assert RULES.limits([]) == (90.0, 180.0)
    assert RULES.limits([timedelta(days=d) for d in (10, 20, 30, 100)]) == (
        90.0,
        180.0,
    )  # median 25


def test_at_risk_then_ordering_again_recovers() -> None:
    got = stages(order("c1", 300), order("c1", 280), order("c1", 150))
    assert [s for s, _ in got] == [
        Stage.PROSPECT,
        Stage.FIRST_PURCHASE,
        Stage.REPEAT,
        Stage.AT_RISK,
        Stage.REPEAT,
    ]


def test_churned_customer_ordering_again_is_won_back_until_three_orders() -> None:
    orders = [order("c1", 500), order("c1", 470), order("c1", 100)]
    got = stages(*orders)
    assert [s for s, _ in got][-3:] == [Stage.AT_RISK, Stage.CHURNED, Stage.WON_BACK]
    assert got[-2][1] == ago(470) + timedelta(days=180)
    assert got[-1] == (Stage.WON_BACK, ago(100))
    assert stages(*orders, order("c1", 80))[-1][0] is Stage.WON_BACK
    settled = stages(*orders, order("c1", 80), order("c1", 60))
    assert settled[-1] == (Stage.REPEAT, ago(60))


def test_refunds_and_future_orders_do_not_count() -> None:
    assert stages(refund("c1", 5)) == [(Stage.PROSPECT, ago(2000))]
    assert stages(order("c1", -3)) == [(Stage.PROSPECT, ago(2000))]


def test_low_health_puts_an_active_customer_at_risk_now() -> None:
    health = HealthAssessment("c1", 30.0, "at_risk", (), RecommendedAction("x", "x", "x"))  # type: ignore[arg-type]
    changes = derive_stages(activity(cust("c1"), order("c1", 5)), RULES, NOW, health)
    assert (changes[-1].to_stage, changes[-1].at) == (Stage.AT_RISK, NOW)
    assert "health 30" in changes[-1].reason
    # a prospect is not put at risk by health
    assert derive_stages(activity(cust("c1")), RULES, NOW, health)[-1].to_stage is Stage.PROSPECT


def test_silence_across_a_leap_day() -> None:
    last = on(2028, 2, 28)
    changes = derive_stages(activity(cust("c1"), order("c1", last)), RULES, on(2028, 6, 1))
    at_risk = changes[-1]
    assert at_risk.to_stage is Stage.AT_RISK
    assert at_risk.at == on(2028, 5, 28)  # 90 days: Feb 29 counts


def test_orders_older_than_the_customer_record() -> None:
    c = cust("c1", created_days_ago=10)
    got = stages(order("c1", 50), customer=c)
    assert got == [(Stage.PROSPECT, ago(50)), (Stage.FIRST_PURCHASE, ago(50))]


def test_every_change_has_a_reason_and_from_stage() -> None:
    changes = derive_stages(activity(cust("c1"), order("c1", 200)), RULES, NOW)
    assert changes[0].from_stage is None
    assert [c.from_stage for c in changes[1:]] == [c.to_stage for c in changes[:-1]]
    assert all(c.reason for c in changes)


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"at_risk_factor": 0}, r"LifecycleRules\.at_risk_factor"),
        ({"churn_min_days": 80.0}, r"LifecycleRules\.churn_min_days"),
        ({"at_risk_max_days": 10.0}, r"LifecycleRules\.at_risk_max_days"),
        ({"loyal_min_orders": 1}, r"LifecycleRules\.loyal_min_orders"),
    ],
)
def test_rules_are_validated(kw: dict[str, float], field: str) -> None:
    with pytest.raises(ValidationError, match=field):
        LifecycleRules(**kw)  # type: ignore[arg-type]


def test_as_of_in_another_zone_is_converted_and_naive_is_refused() -> None:
    from datetime import datetime, timezone

    shanghai = NOW.astimezone(timezone(timedelta(hours=8)))
    a = activity(cust("c1"), order("c1", 200))
    assert derive_stages(a, RULES, shanghai) == derive_stages(a, RULES, NOW)
    with pytest.raises(ValidationError, match="as_of"):
        derive_stages(a, RULES, datetime(2026, 6, 30))


def test_each_silence_is_judged_by_the_median_of_the_gaps_before_it() -> None:
    # Gaps (days) 30, 30, 100, 200, 95, 300, 120: several silences over 90 days, each after
    # gaps that arrive out of order, so the replay's running median must match the median of
    # exactly the gaps before that silence (no look-ahead).
    gaps = [30, 30, 100, 200, 95, 300, 120]
    days_ago = [1000.0]
    for g in gaps:
        days_ago.append(days_ago[-1] - g)
    orders = [order("c1", d) for d in days_ago]
    changes = derive_stages(activity(cust("c1"), *orders), RULES, NOW)
    expected = []
    for k, g in enumerate(gaps):
        if g <= 90:
            continue
        at_risk, churn = RULES.limits([timedelta(days=x) for x in gaps[:k]])
        last = ago(days_ago[k])
        if g > at_risk:
            expected.append((Stage.AT_RISK, last + timedelta(days=at_risk)))
        if g > churn:
            expected.append((Stage.CHURNED, last + timedelta(days=churn)))
    silences = [(c.to_stage, c.at) for c in changes if c.to_stage in (Stage.AT_RISK, Stage.CHURNED)]
    # The last order was days_ago[-1] = 125 days ago: one more silence, judged by all gaps.
    at_risk, churn = RULES.limits([timedelta(days=x) for x in gaps])
    tail = (
        [(Stage.AT_RISK, ago(days_ago[-1]) + timedelta(days=at_risk))]
        if days_ago[-1] > at_risk
        else []
    )
    assert len(expected) >= 4
    assert silences == expected + tail


def test_replay_builds_stage_changes_equal_to_the_constructor() -> None:
    orders = [order("c1", 900 - 73 * k) for k in range(7)] + [order("c1", 100)]
    changes = derive_stages(activity(cust("c1"), *orders), RULES, NOW)
    assert len(changes) >= 5
    for made in changes:
        built = StageChange(made.from_stage, made.to_stage, made.at, made.reason)
        assert made == built
        assert hash(made) == hash(built)
        assert repr(made) == repr(built)
        assert attrs.asdict(made) == attrs.asdict(built)
    assert changes[0].from_stage is None


def test_limits_equal_the_clamp_formula_on_ties_and_edges() -> None:
    def formula(rules: LifecycleRules, gaps: list[timedelta]) -> tuple[float, float]:
        ordered = sorted(gaps)
        n, mid = len(ordered), len(ordered) // 2
        if not n:
            median = 0.0
        else:
            middle = ordered[mid] if n % 2 else (ordered[mid - 1] + ordered[mid]) / 2
            median = middle.total_seconds() / 86400
        at_risk = min(
            max(rules.at_risk_factor * median, rules.at_risk_min_days), rules.at_risk_max_days
        )
        churn = min(max(rules.churn_factor * median, rules.churn_min_days), rules.churn_max_days)
        return at_risk, max(churn, at_risk + 1.0)

    all_rules = [
        RULES,
        LifecycleRules(
            at_risk_min_days=90, at_risk_max_days=90, churn_min_days=91, churn_max_days=91
        ),
        LifecycleRules(at_risk_factor=1, churn_factor=1, churn_min_days=100, churn_max_days=100),
    ]
    days = [0, 1, 22.5, 45, 90, 91, 182.5, 365, 400, 1000]
    for rules in all_rules:
        for k in range(len(days)):
            gaps = [timedelta(days=d) for d in days[: k + 1]]
            for sample in (gaps, gaps[::2], gaps[-2:], []):
                got = rules.limits(sample)
                want = formula(rules, sample)
                assert got == want
                assert [type(x) for x in got] == [type(x) for x in want]


def _reference_replay(
    orders: list[float], rules: LifecycleRules, created: float
) -> list[tuple[Stage, object, str]]:
    """The stage rules applied at every order (days before NOW, oldest first), the plain
    way: the replay only visits the orders where something can happen, and must agree."""
    changes: list[tuple[Stage, object, str]] = []
    stage: Stage | None = None

    def move(to: Stage, at: object, reason: str) -> None:
        nonlocal stage
        if to is not stage:
            changes.append((to, at, reason))
            stage = to

    times = [ago(d) for d in orders]
    move(Stage.PROSPECT, min([ago(created), *times[:1]]), "customer created")
    gaps: list[timedelta] = []
    since_return = 0

    def progress(count: int, at: datetime, why: str) -> None:
        days = (at - times[0]).days
        if count >= rules.loyal_min_orders and days >= rules.loyal_min_tenure_days:
            move(Stage.LOYAL, at, f"{why}; {count} orders over {days} days")
        else:
            move(Stage.REPEAT, at, why)

    def silence(last: datetime, until: datetime) -> bool:
        at_risk, churn = rules.limits(gaps)
        gap = (until - last).total_seconds() / 86400
        since = f"{last:%Y-%m-%d}"
        if gap > at_risk:
            move(
                Stage.AT_RISK,
                last + timedelta(days=at_risk),
                f"no order for {at_risk:.0f} days since {since}",
            )
        if gap > churn:
            move(
                Stage.CHURNED,
                last + timedelta(days=churn),
                f"no order for {churn:.0f} days since {since}",
            )
            return True
        return False

    for k, at in enumerate(times):
        count = k + 1
        if k == 0:
            move(Stage.FIRST_PURCHASE, at, "first order")
            continue
        last = times[k - 1]
        returned = silence(last, at)
        resumed = stage is Stage.AT_RISK
        gaps.append(at - last)
        if returned:
            since_return = 1
            move(Stage.WON_BACK, at, f"ordered again after {(at - last).days} days (was churned)")
        elif stage is Stage.WON_BACK:
            since_return += 1
            if since_return == max(rules.won_back_orders, 2):
                progress(count, at, f"{since_return} orders since winning back")
        elif resumed:
            progress(count, at, f"ordered again after {(at - last).days} days")
        elif stage is not Stage.LOYAL:
            progress(count, at, f"order #{count}")
    if times:
        silence(times[-1], NOW)
    return changes


@pytest.mark.parametrize("seed", range(40))
def test_replay_agrees_with_visiting_every_order(seed: int) -> None:
    import random

    rng = random.Random(seed)
    rules = LifecycleRules(
        loyal_min_orders=rng.choice((2, 3, 6)),
        loyal_min_tenure_days=rng.choice((0, 100, 365)),
        won_back_orders=rng.choice((1, 2, 3, 4)),
        at_risk_factor=rng.choice((1.5, 2.0, 3.0)),
    )
    for _ in range(25):
        days = rng.uniform(0, 1500)
        orders = []
        for _ in range(rng.randrange(0, 30)):
            orders.append(days)
            days -= rng.choice((rng.uniform(0, 60), rng.uniform(60, 400), rng.uniform(0, 5)))
            if days < 0:
                break
        created = rng.uniform(0, 2000)
        got = derive_stages(
            activity(cust("c1", created_days_ago=created), *(order("c1", d) for d in orders)),
            rules,
            NOW,
        )
        assert [(c.to_stage, c.at, c.reason) for c in got] == _reference_replay(
            orders, rules, created
        )
