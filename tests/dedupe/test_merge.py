from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace

import attrs
import pytest

from keyaccount import hookimpl
from keyaccount.clock import FixedClock
from keyaccount.credit_code import check_character
from keyaccount.dedupe import MergeRecord, MergeService, Rule, Survivorship, UndoConflict
from keyaccount.errors import RecordNotFound, ValidationError
from keyaccount.events import RecordingSink
from keyaccount.followups import FollowUp
from keyaccount.host import PluginHost
from keyaccount.models import (
    Channel,
    Complaint,
    Contact,
    CreditProfile,
    Customer,
    CustomerStatus,
    Interaction,
    Receivable,
    SurveyResponse,
    Transaction,
)
from keyaccount.money import Money
from keyaccount.schema import RegisterRecordType
from keyaccount.storage import Store
from keyaccount.visits import PlannedVisit


def code(org: str) -> str:
    first17 = "91440300" + org
    return first17 + check_character(first17)


@attrs.frozen
class Warranty:
    """A record type from an outside plugin; merge must find it by its customer_id."""

    id: str
    customer_id: str
    months: int


CNY = "CNY"


@pytest.fixture
def book(host: PluginHost, store: Store) -> Store:
    @hookimpl
    def register_record_types(register: RegisterRecordType) -> None:
        register(Warranty, kind="warranty", indexes=("customer_id",))

    host.register(SimpleNamespace(register_record_types=register_record_types), name="warranty")
    t = datetime(2025, 3, 1, tzinfo=UTC)
    store.put_many(
        [
            Customer(
                id="c1",
                name="华为技术有限公司",
                created_at=datetime(2024, 1, 1, tzinfo=UTC),
                credit_code=code("192203821"),
                industry="电信",
                owner_id="am1",
                tags=("vip",),
                external_refs={"zoho": "z1"},
                reviewed_at=datetime(2025, 6, 1, tzinfo=UTC),
            ),
            Customer(
                id="c2",
                name="华为技术股份有限公司",
                created_at=datetime(2023, 5, 1, tzinfo=UTC),
                legal_name="华为技术股份有限公司",
                industry="通信设备",
                region="深圳",
                owner_id="am2",
                tags=("strategic", "vip"),
                external_refs={"fxiaoke": "f1", "zoho": "z2"},
                reviewed_at=datetime(2026, 1, 1, tzinfo=UTC),
            ),
            Customer(id="c3", name="华为", created_at=t, employees=190000),
            Customer(
                id="c9",
                name="old duplicate",
                created_at=t,
                status=CustomerStatus.MERGED,
                merged_into="c2",
            ),
            Customer(id="cx", name="Other", created_at=t, credit_code=code("MA5D12345")),
        ]
    )
    money = Money(Decimal("100.00"), CNY)
    store.put_many(
        [
            Contact(id="p1", customer_id="c1", name="A", phone="13812341234"),
            Contact(id="p2", customer_id="c2", name="B", email="b@huawei.com"),
            Transaction(id="t2", customer_id="c2", occurred_at=t, amount=money, gross_profit=money),
            Receivable(
                id="r2",
                customer_id="c2",
                amount=money,
                issued_on=date(2025, 3, 1),
                due_on=date(2025, 4, 1),
            ),
            Interaction(id="i2", customer_id="c2", channel=Channel.PHONE, occurred_at=t),
            Complaint(id="k2", customer_id="c2", received_at=t, subject="late"),
            SurveyResponse(id="s2", survey_id="sv", customer_id="c2", answered_at=t, nps=9),
            CreditProfile(id="cp2", customer_id="c2", credit_limit=money),
            FollowUp(id="f2", customer_id="c2", owner_id="am2", due_at=t, reason="x", created_at=t),
            PlannedVisit(
                id="v3", customer_id="c3", owner_id="am2", due_on=date(2025, 5, 1), created_at=t
            ),
            Warranty(id="w2", customer_id="c2", months=24),
        ]
    )
    return store


def rows(store: Store) -> dict[str, dict[str, object]]:
    """Every stored record as its stored row: what 'byte for byte' compares."""
    return {
        s.kind: {r.id: s.encode(r) for r in store.query(s.cls)}
        for s in store.schemas
        if s.cls is not MergeRecord
    }


def service(store: Store, clock: FixedClock, events: RecordingSink) -> MergeService:
    return MergeService(store, clock, events)


def test_preview_applies_rules_and_writes_nothing(
    book: Store, clock: FixedClock, events: RecordingSink
) -> None:
    before = rows(book)
    plan = service(book, clock, events).preview(
        "c1", ["c2"], Survivorship(source_priority=("fxiaoke", "zoho"))
    )
    choice = {c.field: c for c in plan.choices}
    assert (choice["name"].after, choice["name"].sources) == ("华为技术股份有限公司", ("c2",))
    assert choice["industry"].after == "通信设备"  # c2 was reviewed more recently
    assert choice["region"].after == "深圳"
    assert choice["legal_name"].after == "华为技术股份有限公司"
    assert choice["credit_code"].after == code("192203821")
    assert choice["owner_id"].after == "am1"
    assert choice["tags"].after == ("vip", "strategic")
    assert choice["external_refs"].after == {"zoho": "z1", "fxiaoke": "f1"}
    assert choice["created_at"].after == datetime(2023, 5, 1, tzinfo=UTC)
    assert plan.repoints["contact"] == ("p2",)
    assert plan.repoints["customer"] == ("c9",)
    assert plan.repoints["warranty"] == ("w2",)
    assert "mark c2 merged into c1" in plan.lines()
    assert rows(book) == before
    assert events.events == []


def test_merge_repoints_every_reference(
    book: Store, clock: FixedClock, events: RecordingSink
) -> None:
    merge = service(book, clock, events).merge("c1", ["c2", "c3"], by_id="admin")
    for cls, rid in [
        (Contact, "p2"),
        (Transaction, "t2"),
        (Receivable, "r2"),
        (Interaction, "i2"),
        (Complaint, "k2"),
        (SurveyResponse, "s2"),
        (CreditProfile, "cp2"),
        (FollowUp, "f2"),
        (PlannedVisit, "v3"),
        (Warranty, "w2"),
    ]:
        assert book.get(cls, rid).customer_id == "c1", cls
    assert book.get(Contact, "p1").customer_id == "c1"
    for loser in ("c2", "c3"):
        merged = book.get(Customer, loser)
        assert (merged.status, merged.merged_into) == (CustomerStatus.MERGED, "c1")
    assert book.get(Customer, "c9").merged_into == "c1"  # no chain through a merged record
    survivor = book.get(Customer, "c1")
    assert survivor.employees == 190000
    assert survivor.status is CustomerStatus.ACTIVE
    stored = book.get(MergeRecord, merge.id)
    assert stored.loser_ids == ("c2", "c3")
    assert stored.provenance["employees"] == "c3"
    assert stored.rules["employees"] == "most_recent"
    assert stored.provenance["tags"] == "c1+c2"
    assert (stored.by_id, stored.at, stored.status) == ("admin", clock.now(), "applied")
    assert events.names() == ["customer.merged"]


def test_undo_restores_the_exact_prior_state(
    book: Store, clock: FixedClock, events: RecordingSink
) -> None:
    before = rows(book)
    svc = service(book, clock, events)
    merge = svc.merge("c1", ["c2", "c3"])
    assert rows(book) != before
    clock.set(datetime(2026, 7, 1, tzinfo=UTC))
    undone = svc.undo(merge.id)
    assert rows(book) == before
    assert book.get(Customer, "c2").external_refs == {"fxiaoke": "f1", "zoho": "z2"}
    assert (undone.status, undone.undone_at) == ("undone", datetime(2026, 7, 1, tzinfo=UTC))
    assert book.get(MergeRecord, merge.id).status == "undone"
    assert events.names() == ["customer.merged", "customer.merge_undone"]
    with pytest.raises(ValidationError, match="already undone"):
        svc.undo(merge.id)


def test_undo_refuses_to_lose_later_changes(
    book: Store, clock: FixedClock, events: RecordingSink
) -> None:
    before = rows(book)
    svc = service(book, clock, events)
    merge = svc.merge("c1", ["c2"])
    book.put(attrs.evolve(book.get(Contact, "p2"), title="CTO"))
    after_edit = rows(book)
    with pytest.raises(UndoConflict, match="contact:p2") as err:
        svc.undo(merge.id)
    assert err.value.changed == ("contact:p2",)
    assert rows(book) == after_edit
    svc.undo(merge.id, force=True)
    assert rows(book) == before


def test_undo_unknown_merge(book: Store, clock: FixedClock, events: RecordingSink) -> None:
    with pytest.raises(RecordNotFound):
        service(book, clock, events).undo("mrg_missing")


def test_manual_pick_wins(book: Store, clock: FixedClock, events: RecordingSink) -> None:
    svc = service(book, clock, events)
    plan = svc.preview("c1", ["c2"], Survivorship(manual={"industry": "c1", "region": "c1"}))
    choice = {c.field: c for c in plan.choices}
    assert (choice["industry"].after, choice["industry"].rule) == ("电信", Rule.MANUAL)
    assert choice["region"].after is None  # picked by hand, even empty
    with pytest.raises(ValidationError, match="not one of the merged customers"):
        svc.preview("c1", ["c2"], Survivorship(manual={"industry": "cx"}))


def test_rule_overrides(book: Store, clock: FixedClock, events: RecordingSink) -> None:
    svc = service(book, clock, events)
    plan = svc.preview(
        "c1", ["c2"], Survivorship(rules={"industry": "survivor", "name": "most_complete"})
    )
    choice = {c.field: c for c in plan.choices}
    assert choice["industry"].after == "电信"
    assert choice["name"].after == "华为技术股份有限公司"
    # with no ranking every source is equal and the survivor keeps its name
    assert {c.field: c for c in svc.preview("c1", ["c2"]).choices}[
        "name"
    ].after == "华为技术有限公司"


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ({"rules": {"industry": "loudest"}}, "must be one of"),
        ({"rules": {"status": "survivor"}}, "not Customer fields"),
        ({"rules": {"region": "union"}}, "needs a tuple or dict"),
    ],
)
def test_bad_rules(
    book: Store, clock: FixedClock, events: RecordingSink, rules: dict[str, object], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        service(book, clock, events).preview("c1", ["c2"], Survivorship(**rules))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("survivor", "losers", "message"),
    [
        ("c1", [], "at least one"),
        ("c1", ["c1"], "into itself"),
        ("c1", ["c9"], "already merged"),
        ("c1", ["cx"], "different credit codes"),
    ],
)
def test_refused_merges_change_nothing(
    book: Store,
    clock: FixedClock,
    events: RecordingSink,
    survivor: str,
    losers: list[str],
    message: str,
) -> None:
    before = rows(book)
    with pytest.raises(ValidationError, match=message):
        service(book, clock, events).merge(survivor, losers)
    assert rows(book) == before


def test_provenance_follows_applied_merges(
    book: Store, clock: FixedClock, events: RecordingSink
) -> None:
    svc = service(book, clock, events)
    merge = svc.merge("c1", ["c2"])
    assert svc.provenance("c1")["region"] == (merge.id, "c2", "most_recent")
    svc.undo(merge.id)
    assert svc.provenance("c1") == {}
