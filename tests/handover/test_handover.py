from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import attrs
import pytest

from keyaccount.clock import FixedClock
from keyaccount.errors import RecordNotFound, StorageError, ValidationError
from keyaccount.events import RecordingSink
from keyaccount.followups import FollowUp, FollowUpStatus
from keyaccount.handover import Handover, HandoverConflict, HandoverService
from keyaccount.host import PluginHost
from keyaccount.models import (
    Channel,
    Complaint,
    ComplaintStatus,
    Customer,
    CustomerStatus,
    Interaction,
    Role,
    Transaction,
    User,
)
from keyaccount.money import Money
from keyaccount.plugins.memory import MemoryStore
from keyaccount.storage import Store
from keyaccount.visits import PlannedVisit, VisitStatus

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)


class FailingStore(MemoryStore):
    """Raises on the ``fail_at``-th record written, like a disk filling up mid-way."""

    def __init__(self, *args: Any, fail_at: int) -> None:
        super().__init__(*args)
        self.fail_at = fail_at
        self.written = 0
        self.armed = False

    def put_many(self, records: Iterable[object]) -> int:
        items = list(records)
        if self.armed:
            self.written += len(items)
            if self.written >= self.fail_at:
                raise StorageError("disk full")
        return super().put_many(items)


def populate(store: Store) -> None:
    store.put_many(
        [
            User(id="am1", name="Leaving", role=Role.ACCOUNT_MANAGER, team="east"),
            User(id="am2", name="Stays", role=Role.ACCOUNT_MANAGER, team="east"),
            User(id="am3", name="Also stays", role=Role.ACCOUNT_MANAGER, team="east"),
            User(id="gone", name="Left last year", active=False),
        ]
    )
    for cid, owner in [("c1", "am1"), ("c2", "am1"), ("c3", "am1"), ("c4", "am2")]:
        store.put(Customer(id=cid, name=cid.upper(), created_at=T0, owner_id=owner))
    store.put(
        Customer(
            id="c5",
            name="merged away",
            created_at=T0,
            owner_id="am1",
            status=CustomerStatus.MERGED,
            merged_into="c1",
        )
    )
    store.put_many(
        [
            Complaint(id="k1", customer_id="c1", received_at=T0, subject="late", assignee_id="am1"),
            Complaint(
                id="k2",
                customer_id="c1",
                received_at=T0,
                subject="old",
                assignee_id="am1",
                status=ComplaintStatus.CLOSED,
                closed_at=T0,
            ),
            Complaint(id="k3", customer_id="c4", received_at=T0, subject="x", assignee_id="am1"),
            Interaction(
                id="i1", customer_id="c2", channel=Channel.VISIT, occurred_at=T0, owner_id="am1"
            ),
            PlannedVisit(
                id="v1", customer_id="c2", owner_id="am1", due_on=date(2026, 7, 1), created_at=T0
            ),
            PlannedVisit(
                id="v2",
                customer_id="c2",
                owner_id="am1",
                due_on=date(2026, 1, 5),
                created_at=T0,
                status=VisitStatus.DONE,
                interaction_id="i1",
                completed_at=T0,
            ),
            FollowUp(
                id="f1", customer_id="c3", owner_id="am1", due_at=T0, reason="call", created_at=T0
            ),
            FollowUp(
                id="f2",
                customer_id="c3",
                owner_id="am1",
                due_at=T0,
                reason="done one",
                created_at=T0,
                status=FollowUpStatus.DONE,
                closed_at=T0,
            ),
            Transaction(
                id="t1",
                customer_id="c1",
                occurred_at=T0,
                amount=Money(Decimal("100"), "CNY"),
                gross_profit=Money(Decimal("20"), "CNY"),
                owner_id="am1",
            ),
        ]
    )


def snapshot(store: Store) -> dict[str, dict[str, object]]:
    return {s.kind: {r.id: r for r in store.query(s.cls)} for s in store.schemas}


@pytest.fixture
def populated(store: Store) -> Store:
    populate(store)
    return store


def service(store: Store, clock: FixedClock, events: RecordingSink) -> HandoverService:
    return HandoverService(store, clock, events)


def test_preview_lists_every_open_item_and_changes_nothing(
    populated: Store, clock: FixedClock, events: RecordingSink
) -> None:
    before = snapshot(populated)
    plan = service(populated, clock, events).preview(
        "am1", successor_id="am3", by_customer={"c1": "am2"}
    )
    assert plan.lines() == [
        "customer c1 (c1) -> am2",
        "customer c2 (c2) -> am3",
        "customer c3 (c3) -> am3",
        "complaint k1 (c1) -> am2",
        "complaint k3 (c4) -> am3",
        "planned_visit v1 (c2) -> am3",
        "follow_up f1 (c3) -> am3",
    ]
    assert plan.counts() == {
        "am2": {"complaint": 1, "customer": 1},
        "am3": {"complaint": 1, "customer": 2, "follow_up": 1, "planned_visit": 1},
    }
    assert snapshot(populated) == before
    assert events.events == []


def test_work_on_someone_elses_account_goes_to_its_owner(
    populated: Store, clock: FixedClock, events: RecordingSink
) -> None:
    plan = service(populated, clock, events).preview(
        "am1", by_customer={"c1": "am2", "c2": "am3", "c3": "am3"}
    )
    assert "complaint k3 (c4) -> am2" in plan.lines()


def test_execute_moves_open_work_and_keeps_history(
    populated: Store, clock: FixedClock, events: RecordingSink
) -> None:
    svc = service(populated, clock, events)
    plan = svc.preview("am1", successor_id="am3", by_customer={"c1": "am2"})
    handover = svc.execute(plan, by_id="am2", note="resigned")

    assert populated.get(Customer, "c1").owner_id == "am2"
    assert populated.get(Customer, "c2").owner_id == "am3"
    assert populated.get(Complaint, "k1").assignee_id == "am2"
    assert populated.get(PlannedVisit, "v1").owner_id == "am3"
    assert populated.get(FollowUp, "f1").owner_id == "am3"
    # history and merged accounts keep the departing manager's name
    assert populated.get(Complaint, "k2").assignee_id == "am1"
    assert populated.get(PlannedVisit, "v2").owner_id == "am1"
    assert populated.get(FollowUp, "f2").owner_id == "am1"
    assert populated.get(Interaction, "i1").owner_id == "am1"
    assert populated.get(Transaction, "t1").owner_id == "am1"
    assert populated.get(Customer, "c5").owner_id == "am1"
    assert populated.get(User, "am1").active is False

    stored = populated.get(Handover, handover.id)
    assert stored == handover
    assert stored.moves["customer:c1"] == "am2"
    assert len(stored.moves) == 7
    assert (stored.at, stored.by_id, stored.note) == (clock.now(), "am2", "resigned")
    assert events.names() == ["handover.completed"]
    assert events.events[0].data["moved"]["am3"]["customer"] == 2


def test_keep_departing_user_active(
    populated: Store, clock: FixedClock, events: RecordingSink
) -> None:
    svc = service(populated, clock, events)
    svc.execute(svc.preview("am1", successor_id="am2"), deactivate=False)
    assert populated.get(User, "am1").active is True
    assert populated.get(Customer, "c2").owner_id == "am2"


def test_unmapped_customers_are_named(
    populated: Store, clock: FixedClock, events: RecordingSink
) -> None:
    with pytest.raises(ValidationError, match="no successor named") as err:
        service(populated, clock, events).preview("am1", by_customer={"c1": "am2"})
    assert err.value.value == ["c2", "c3"]


@pytest.mark.parametrize(
    ("successor", "reason"),
    [("am1", "departing"), ("nobody", "no such user"), ("gone", "not active")],
)
def test_invalid_successor_is_refused(
    populated: Store, clock: FixedClock, events: RecordingSink, successor: str, reason: str
) -> None:
    before = snapshot(populated)
    with pytest.raises(ValidationError, match=reason):
        service(populated, clock, events).preview(
            "am1", successor_id="am2", by_customer={"c2": successor}
        )
    assert snapshot(populated) == before


def test_unknown_departing_or_customer(
    populated: Store, clock: FixedClock, events: RecordingSink
) -> None:
    svc = service(populated, clock, events)
    with pytest.raises(RecordNotFound):
        svc.preview("ghost", successor_id="am2")
    with pytest.raises(ValidationError, match="no such customers"):
        svc.preview("am1", successor_id="am2", by_customer={"c404": "am3"})


@pytest.mark.parametrize("fail_at", [1, 2, 4, 7, 8, 9])
def test_failure_half_way_leaves_nothing_changed(
    host: PluginHost, clock: FixedClock, events: RecordingSink, fail_at: int
) -> None:
    store = FailingStore(host.record_types(), fail_at=fail_at)
    populate(store)
    svc = service(store, clock, events)
    plan = svc.preview("am1", successor_id="am3", by_customer={"c1": "am2"})
    before = snapshot(store)
    store.armed = True
    with pytest.raises(StorageError, match="disk full"):
        svc.execute(plan)
    assert store.written == fail_at  # it really failed at that write, not before
    assert snapshot(store) == before
    assert events.events == []


def test_stale_preview_is_refused(
    populated: Store, clock: FixedClock, events: RecordingSink
) -> None:
    svc = service(populated, clock, events)
    plan = svc.preview("am1", successor_id="am3")
    populated.put(attrs.evolve(populated.get(Complaint, "k1"), status=ComplaintStatus.CLOSED))
    before = snapshot(populated)
    with pytest.raises(HandoverConflict, match="preview the handover again"):
        svc.execute(plan)
    assert snapshot(populated) == before


def test_nothing_to_move(populated: Store, clock: FixedClock, events: RecordingSink) -> None:
    svc = service(populated, clock, events)
    plan = svc.preview("am3", successor_id="am2")
    assert plan.moves == ()
    handover = svc.execute(plan)
    assert handover.moves == {}


def test_handover_through_a_secured_store_is_audited_and_checked(
    populated: Store, clock: FixedClock, events: RecordingSink
) -> None:
    from keyaccount.access import (
        AccessDenied,
        Action,
        SecuredStore,
        StoreAuditLog,
        default_access_policy,
    )

    audit = StoreAuditLog(populated)
    director = User(id="dir", name="Director", role=Role.DIRECTOR)
    manager = populated.get(User, "am2")
    before = snapshot(populated)
    as_manager = SecuredStore(populated, manager, default_access_policy(), audit, clock)
    svc = service(as_manager, clock, events)
    with pytest.raises(AccessDenied, match="may not write"):
        svc.execute(svc.preview("am1", successor_id="am3"))
    assert {k: v for k, v in snapshot(populated).items() if k != "audit_entry"} == {
        k: v for k, v in before.items() if k != "audit_entry"
    }

    as_director = SecuredStore(populated, director, default_access_policy(), audit, clock)
    svc = service(as_director, clock, events)
    svc.execute(svc.preview("am1", successor_id="am3"))
    assert populated.get(Customer, "c1").owner_id == "am3"
    writes = [e for e in audit.entries() if e.actor_id == "dir" and e.action is Action.WRITE]
    assert {e.kind for e in writes} == {
        "customer",
        "complaint",
        "planned_visit",
        "follow_up",
        "user",
        "handover",
    }
    assert all(e.outcome == "allowed" for e in writes)
