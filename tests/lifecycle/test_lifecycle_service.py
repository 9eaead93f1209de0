from datetime import timedelta
from decimal import Decimal

import attrs
import pytest
from lifekit import NOW, ago, book, contact, cust, order, receivable

from keyaccount import hookimpl
from keyaccount.activity import CustomerActivity
from keyaccount.clock import FixedClock
from keyaccount.errors import DuplicateRegistration
from keyaccount.events import RecordingSink
from keyaccount.fx import ExchangeRates
from keyaccount.host import PluginHost
from keyaccount.lifecycle import (
    Action,
    ChurnContext,
    ChurnModel,
    ChurnSignal,
    LifecycleService,
    LifecycleState,
    RegisterChurnSignal,
    SignalHit,
    Stage,
    StageTransition,
    evaluate_lifecycle,
    win_back_list,
)
from keyaccount.models import CustomerId
from keyaccount.storage import Store, eq

CNY = ExchangeRates.single("CNY")


def test_win_back_list_ranks_churned_customers_by_profit() -> None:
    b = book(
        [cust("big", tier="A"), cust("small"), cust("loss"), cust("active"), cust("never")],
        order("big", 600, "4000", "700"),
        order("big", 620, "3000", "500"),
        order("big", 640, "2000", "300"),
        order("big", 700, "1000", "200"),
        order("big", 1500, "9999", "9999"),  # more than 730 days before the last order
        order("small", 400, "800", "100"),
        order("loss", 400, "800", "-5"),
        order("active", 5, "99999", "9999"),
    )
    result = evaluate_lifecycle(b, as_of=NOW, rates=CNY)
    assert result.customers[CustomerId("big")].stage is Stage.CHURNED
    got = win_back_list(b, result.stages(), rates=CNY)
    assert [c.customer_id for c in got] == ["big", "small"]
    top = got[0]
    assert (top.gross_profit.amount, top.revenue.amount, top.orders) == (
        Decimal(1700),
        Decimal(10000),
        4,
    )
    assert top.last_order_at == ago(600)
    assert top.action == Action.CARE_PLAN
    assert got[1].action == Action.WIN_BACK
    assert win_back_list(b, result.stages(), rates=CNY, limit=1) == got[:1]
    assert win_back_list({}, {}, rates=CNY) == []


def test_first_run_records_history_and_warns_but_does_not_announce_stages(
    store: Store, clock: FixedClock, events: RecordingSink
) -> None:
    store.put_many(
        [
            cust("c1", tier="A", created_days_ago=200),
            order("c1", 150, "100"),
            receivable("c1", "300", 120),
            cust("c2"),
        ]
    )
    svc = LifecycleService(store, clock, events, CNY)
    result = svc.run()
    assert result.customers[CustomerId("c1")].stage is Stage.AT_RISK
    rows = list(store.query(StageTransition, eq("customer_id", "c1"), order_by="occurred_at"))
    assert [r.to_stage for r in rows] == [Stage.PROSPECT, Stage.FIRST_PURCHASE, Stage.AT_RISK]
    assert [r.from_stage for r in rows] == [None, Stage.PROSPECT, Stage.FIRST_PURCHASE]
    state = store.get(LifecycleState, "c1")
    assert (state.stage, state.since, state.evaluated_at) == (
        Stage.AT_RISK,
        ago(60),
        NOW,
    )
    assert state.warning
    assert events.names() == ["churn.warning"]
    warn = events.events[0]
    assert warn.subject_id == "c1"
    assert warn.data["stage"] == "at_risk"
    assert store.get(LifecycleState, "c2").stage is Stage.PROSPECT


def test_later_runs_store_only_new_transitions_and_announce_them(
    store: Store, clock: FixedClock, events: RecordingSink
) -> None:
    store.put_many([cust("c1", tier="B"), order("c1", 30, "100")])
    svc = LifecycleService(store, clock, events, CNY)
    svc.run()
    assert events.names() == []
    clock.advance(timedelta(days=1))
    svc.run()  # nothing new
    assert store.count(StageTransition) == 2
    assert events.names() == []
    store.put(order("c1", -1.5, "100"))
    clock.advance(timedelta(days=1))
    svc.run()
    assert store.count(StageTransition) == 3
    assert events.names() == ["lifecycle.stage_changed"]
    assert events.events[0].data == {
        "from": "first_purchase",
        "to": "repeat",
        "changed_at": (NOW + timedelta(days=1.5)).isoformat(),
        "reason": "order #2",
    }


def test_warning_is_announced_once_until_it_clears(
    store: Store, clock: FixedClock, events: RecordingSink
) -> None:
    overdue = receivable("c1", "300", 120)
    store.put_many([cust("c1", tier="A", created_days_ago=100), order("c1", 20, "100"), overdue])
    svc = LifecycleService(store, clock, events, CNY)
    svc.run()
    svc.run()
    # overdue 120 days (20) + no contact for 100 days against A's 30-day cadence (15)
    assert events.names() == ["churn.warning"]
    state = store.get(LifecycleState, "c1")
    assert (state.health, state.warning, state.action) == (Decimal("65.00"), True, "collection")
    store.put(attrs.evolve(overdue, paid_on=NOW.date(), paid_amount=overdue.amount))
    svc.run()
    assert not store.get(LifecycleState, "c1").warning
    store.put(receivable("c1", "50", 100))
    svc.run()
    assert events.names() == ["churn.warning", "churn.warning"]


def test_empty_portfolio(store: Store, clock: FixedClock, events: RecordingSink) -> None:
    result = LifecycleService(store, clock, events, CNY).run()
    assert result.customers == {}
    assert result.warnings() == []
    assert set(result.counts().values()) == {0}


def test_evaluate_is_reproducible(store: Store, clock: FixedClock, events: RecordingSink) -> None:
    b = book([cust("c1"), cust("c2")], order("c1", 10), order("c1", 300), order("c2", 3))
    svc = LifecycleService(store, clock, events, CNY)
    assert svc.evaluate(b) == svc.evaluate(b)
    assert store.count(LifecycleState) == 0


def late_payer(activity: CustomerActivity, ctx: ChurnContext) -> SignalHit | None:
    if "late" not in activity.customer.tags:
        return None
    return SignalHit(
        "late_payer", "迟付标记 late payer", 35.0, 1.0, 0.0, "tagged late", Action.COLLECTION
    )


class LatePayerPlugin:
    @hookimpl
    def register_churn_signals(self, register: RegisterChurnSignal) -> None:
        register(ChurnSignal("late_payer", "迟付标记 late payer", late_payer))


class ShadowPlugin:
    @hookimpl
    def register_churn_signals(self, register: RegisterChurnSignal) -> None:
        register(ChurnSignal("complaints", "fake", late_payer))


def test_hook_register_churn_signals(host: PluginHost) -> None:
    host.register(LatePayerPlugin(), name="latepay")
    assert list(host.churn_signals()) == ["late_payer"]
    info = next(p for p in host.plugins() if p.name == "latepay")
    assert info.registers == ("churn-signal late_payer",)
    model = ChurnModel.from_host(host)
    customer = cust("c1", tier="B", created_days_ago=10)
    tagged = book([attrs.evolve(customer, tags=("late",))])
    h = model.assess_book(tagged, as_of=NOW, rates=CNY)[CustomerId("c1")]
    assert h.signal_names() == ("late_payer",)
    assert h.health == 65.0
    assert h.action.code == Action.COLLECTION
    with pytest.raises(DuplicateRegistration):
        host.register(LatePayerPlugin(), name="again")
    host.register(ShadowPlugin(), name="shadow")
    with pytest.raises(DuplicateRegistration):
        ChurnModel.from_host(host)
    host.unregister("shadow")
    host.unregister("latepay")
    assert host.churn_signals() == {}


def test_run_accepts_states_already_read(
    store: Store, clock: FixedClock, events: RecordingSink
) -> None:
    store.put_many([cust("c1"), order("c1", 30, "100")])
    svc = LifecycleService(store, clock, events, CNY)
    svc.run()
    store.put(order("c1", -1.5, "100"))
    clock.advance(timedelta(days=2))
    svc.run(previous=svc.states())
    assert events.names() == ["lifecycle.stage_changed"]
    assert store.get(LifecycleState, "c1").stage is Stage.REPEAT


def test_silent_customer_gets_a_follow_up_even_when_healthy() -> None:
    b = book([cust("c1", tier="B", created_days_ago=200)], order("c1", 100), contact("c1", 5))
    c = evaluate_lifecycle(b, as_of=NOW, rates=CNY).customers[CustomerId("c1")]
    assert c.stage is Stage.AT_RISK
    assert c.health.level == "healthy"
    assert not c.warned  # warnings follow the health score
    assert c.health.action.code == Action.FOLLOW_UP
    assert c.health.action.reason.startswith("no order for 90 days")
