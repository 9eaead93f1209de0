from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import attrs
import pytest
from tierkit import NOW, cust, order

from keyaccount.activity import CustomerActivity, group_activity, load_activity
from keyaccount.clock import FixedClock
from keyaccount.errors import RecordNotFound, ValidationError
from keyaccount.events import RecordingSink
from keyaccount.fx import ExchangeRates
from keyaccount.host import PluginHost
from keyaccount.models import Customer, CustomerId
from keyaccount.storage import Store, eq
from keyaccount.tiering import (
    STRATEGIC_KEY_ORDINARY,
    Criterion,
    Hysteresis,
    MinMax,
    PotentialRating,
    ScoreThresholds,
    ScoringModel,
    TierAssignment,
    TieringService,
    TierOverride,
    TierRun,
    default_policy_book,
)

CNY = ExchangeRates.single("CNY")
ZERO_BUILT_INS = dict.fromkeys(
    ["revenue", "gross_profit", "frequency", "loyalty", "potential", "credit"], 0.0
)


def manual_model(values: dict[str, float]) -> ScoringModel:
    """A model whose only criterion reads the score from ``values`` (so tests set scores)."""

    def measure(a: CustomerActivity, ctx: object) -> float:
        return values[a.customer_id]

    manual = Criterion("manual", "manual", measure, MinMax(0.0, 100.0), 1.0)
    return ScoringModel.default(ZERO_BUILT_INS, extra=[manual])


def service(
    store: Store, clock: FixedClock, events: RecordingSink, values: dict[str, float]
) -> TieringService:
    return TieringService(
        store,
        clock,
        events,
        CNY,
        model=manual_model(values),
        rule=ScoreThresholds({"A": 70, "B": 40}),
        hysteresis=Hysteresis(5.0),
    )


def test_run_stores_history_updates_customers_and_announces(
    store: Store, clock: FixedClock, events: RecordingSink
) -> None:
    store.put_many([cust("c1"), cust("c2", tier="B")])
    result = service(store, clock, events, {"c1": 80.0, "c2": 50.0}).run()
    assert result.counts() == {"A": 1, "B": 1, "C": 0}
    assert store.get(Customer, "c1").tier == "A"
    assert events.names() == ["tier.changed"]  # c2 was already B
    ev = events.events[0]
    assert (ev.subject_id, ev.data["from"], ev.data["to"]) == ("c1", None, "A")
    run = store.get(TierRun, result.run_id or "")
    assert (run.customers, run.changed, run.as_of) == (2, 1, NOW)
    rows = {a.customer_id: a for a in store.query(TierAssignment, eq("run_id", run.id))}
    assert rows["c1"].score == Decimal("80.00")
    manual = next(e for e in rows["c1"].explanation if e["criterion"] == "manual")
    assert manual["raw"] == 80.0
    assert manual["contribution"] == 80.0
    assert rows["c2"].previous_tier == "B"
    assert [d.customer_id for d in result.ordered] == ["c1", "c2"]
    assert [d.customer_id for d in result.changed] == ["c1"]


def test_hysteresis_across_runs(store: Store, clock: FixedClock, events: RecordingSink) -> None:
    store.put(cust("c1"))
    values = {"c1": 72.0}
    svc = service(store, clock, events, values)
    assert svc.run().decisions[CustomerId("c1")].tier == "A"
    values["c1"] = 67.0  # below 70, inside the 5-point margin
    clock.advance(timedelta(days=30))
    assert svc.run().decisions[CustomerId("c1")].tier == "A"
    values["c1"] = 64.0
    clock.advance(timedelta(days=30))
    assert svc.run().decisions[CustomerId("c1")].tier == "B"
    assert events.names() == ["tier.changed", "tier.changed"]
    assert store.get(Customer, "c1").tier == "B"
    assert store.count(TierAssignment, eq("customer_id", "c1")) == 3
    assert store.count(TierRun) == 3


def test_override_applies_at_once_and_expires(
    store: Store, clock: FixedClock, events: RecordingSink
) -> None:
    store.put(cust("c1"))
    values = {"c1": 90.0}
    svc = service(store, clock, events, values)
    svc.run()
    o = svc.override(
        CustomerId("c1"),
        "C",
        reason="under review",
        author="li",
        expires_at=NOW + timedelta(days=10),
    )
    assert store.get(Customer, "c1").tier == "C"
    assert store.get(TierOverride, o.id).author == "li"
    assert events.events[-1].data["to"] == "C"
    clock.advance(timedelta(days=1))
    d = svc.run().decisions[CustomerId("c1")]
    assert (d.tier, d.computed_tier, d.override_id) == ("C", "A", o.id)
    clock.advance(timedelta(days=10))
    d = svc.run().decisions[CustomerId("c1")]
    assert (d.tier, d.override_id, d.previous_tier) == ("A", None, "C")
    assert events.events[-1].data == {
        "from": "C",
        "to": "A",
        "score": 90.0,
        "reason": d.reason,
        "run_id": events.events[-1].data["run_id"],
    }


def test_override_is_validated_and_leaves_nothing_on_failure(
    store: Store, clock: FixedClock, events: RecordingSink
) -> None:
    svc = service(store, clock, events, {})
    with pytest.raises(ValidationError, match=r"TierOverride\.tier"):
        svc.override(CustomerId("c1"), "Z", reason="r", author="a", expires_at=NOW + timedelta(1))
    with pytest.raises(RecordNotFound):
        svc.override(
            CustomerId("nobody"), "A", reason="r", author="a", expires_at=NOW + timedelta(1)
        )
    assert store.count(TierOverride) == 0
    assert events.events == []


def test_empty_portfolio(store: Store, clock: FixedClock, events: RecordingSink) -> None:
    result = TieringService(store, clock, events, CNY).run()
    assert result.decisions == {}
    assert store.get(TierRun, result.run_id or "").customers == 0
    assert events.events == []


def test_failed_write_rolls_everything_back(
    store: Store, clock: FixedClock, events: RecordingSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.put_many([cust("c1"), cust("c2")])
    real: Callable[..., int] = store.put_many
    calls = {"n": 0}

    def failing(records: object) -> int:
        calls["n"] += 1
        if calls["n"] == 2:  # the customers, after the run and its assignments
            raise OSError("disk full")
        return real(records)

    monkeypatch.setattr(store, "put_many", failing)
    with pytest.raises(OSError, match="disk full"):
        service(store, clock, events, {"c1": 90.0, "c2": 10.0}).run()
    assert store.count(TierRun) == 0
    assert store.count(TierAssignment) == 0
    assert store.get(Customer, "c1").tier is None
    assert events.events == []


def test_potential_ratings_latest_before_as_of(
    store: Store, clock: FixedClock, events: RecordingSink
) -> None:
    store.put_many(
        [
            cust("c1"),
            PotentialRating("p1", CustomerId("c1"), 2, "li", NOW - timedelta(days=9)),
            PotentialRating("p2", CustomerId("c1"), 5, "li", NOW - timedelta(days=1)),
            PotentialRating("p3", CustomerId("c1"), 1, "li", NOW + timedelta(days=1)),
        ]
    )
    svc = TieringService(store, clock, events, CNY)
    assert svc.potential_ratings(NOW) == {"c1": 5}
    with pytest.raises(ValidationError, match=r"PotentialRating\.rating"):
        PotentialRating("p4", CustomerId("c1"), 6, "li", NOW)


def test_evaluate_is_pure_and_reproducible(
    store: Store, clock: FixedClock, events: RecordingSink
) -> None:
    customers = [cust(f"c{i}") for i in range(5)]
    txs = [order(f"c{i}", 10 + i, str(100 * (i + 1)), str(10 * i)) for i in range(5)]
    store.put_many([*customers, *txs])
    svc = TieringService(store, clock, events, CNY, tier_set=STRATEGIC_KEY_ORDINARY)
    book = load_activity(store)
    first = svc.evaluate(book)
    assert first == svc.evaluate(group_activity(customers, transactions=txs))
    assert store.count(TierRun) == 0
    assert first.counts() == {"A": 1, "B": 2, "C": 2}  # round(1.0) A, round(2.5) = 3 up to B
    top = first.decisions[CustomerId("c4")]
    assert top.tier == "A"
    assert STRATEGIC_KEY_ORDINARY.display_name(top.tier) == "战略客户 (strategic)"
    assert default_policy_book().for_tier(top.tier).dedicated_manager


def test_assignment_round_trips_through_the_schema(host: PluginHost) -> None:
    schema = host.record_types().for_class(TierAssignment)
    a = TierAssignment(
        "x1",
        "run1",
        CustomerId("c1"),
        NOW,
        "A",
        "A",
        "B",
        Decimal("71.50"),
        "ABC",
        "why",
        ({"criterion": "revenue", "raw": 1.5, "score": 50.0},),
        "B",
    )
    assert schema.decode(schema.encode(a)) == a
    with pytest.raises(ValidationError, match=r"TierAssignment\.score"):
        attrs.evolve(a, score=Decimal("100.01"))
