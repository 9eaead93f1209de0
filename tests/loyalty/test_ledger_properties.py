"""Whatever happens, the balance is the sum of the ledger, equals what the lots hold, and
never goes below zero; no lot is overdrawn and no expired lot keeps points."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from keyaccount.clock import FixedClock
from keyaccount.events import RecordingSink
from keyaccount.host import PluginHost
from keyaccount.loyalty import EarnRules, InsufficientPoints, LoyaltyService
from keyaccount.models import Customer

T0 = datetime(2026, 1, 1, tzinfo=UTC)

operations = st.lists(
    st.one_of(
        st.tuples(st.just("add"), st.integers(1, 500)),
        st.tuples(st.just("redeem"), st.integers(1, 800)),
        st.tuples(st.just("deduct"), st.integers(1, 300)),
        st.tuples(st.just("wait"), st.integers(0, 40)),
        st.tuples(st.just("expire"), st.just(0)),
    ),
    max_size=25,
)


@settings(max_examples=60, deadline=None)
@given(ops=operations, validity=st.one_of(st.none(), st.integers(0, 60)))
def test_ledger_invariants(ops: list[tuple[str, int]], validity: int | None) -> None:
    host = PluginHost(load_entry_points=False)
    store = host.open_store("memory://")
    clock = FixedClock(T0)
    store.put(Customer(id="c1", name="One", created_at=T0))
    svc = LoyaltyService(store, clock, RecordingSink(), EarnRules(validity_days=validity))
    for op, n in ops:
        before = svc.ledger("c1")
        refused: InsufficientPoints | None = None
        try:
            if op == "add":
                svc.adjust("c1", n, "add")
            elif op == "redeem":
                svc.redeem("c1", n, "redeem")
            elif op == "deduct":
                svc.adjust("c1", -n, "deduct")
            elif op == "wait":
                clock.advance(timedelta(days=n))
            else:
                svc.expire_due()
        except InsufficientPoints as err:
            refused = err
        if refused is not None:
            assert refused.wanted > refused.available
            assert svc.ledger("c1") == before  # a refused deduction changes nothing
        ledger = svc.ledger("c1")
        lots = svc.lots("c1")
        balance = svc.balance("c1")
        assert balance == sum(e.points for e in ledger)
        assert balance == sum(lot.remaining for lot in lots)
        assert balance >= 0
        assert all(0 <= lot.remaining <= lot.points for lot in lots)
        if op == "expire":
            today = clock.now().date()
            assert all(
                lot.remaining == 0
                for lot in lots
                if lot.expires_on is not None and lot.expires_on <= today
            )
    store.close()
