"""The storage conformance suite: what every ``Store`` backend must do, as pytest tests.

A backend's test module subclasses ``StorageConformance`` and provides one fixture,
``open_store``, returning a callable that opens a store at one location each time it is
called (so persistent backends can be closed and re-opened)::

    import pytest
    from keyaccount.testing.storage import StorageConformance

    class TestMyBackend(StorageConformance):
        persistent = True  # records survive close() and re-open

        @pytest.fixture
        def open_store(self, tmp_path, keyaccount_host):
            keyaccount_host.register(my_plugin_module)
            url = f"mybackend://{tmp_path}/data"
            return lambda: keyaccount_host.open_store(url)

The store must hold the built-in record types (a ``PluginHost`` always registers them). The
suite uses the public ``Store`` protocol only, so it proves behaviour, not implementation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, ClassVar, TypeVar

import attrs
import pytest

from keyaccount.credit_code import make as make_credit_code
from keyaccount.errors import RecordNotFound, StorageError, ValidationError
from keyaccount.models import (
    Channel,
    Complaint,
    ComplaintStatus,
    Contact,
    CreditProfile,
    Customer,
    CustomerStatus,
    Interaction,
    Receivable,
    Role,
    Severity,
    SurveyResponse,
    Transaction,
    TransactionKind,
    User,
)
from keyaccount.money import Money
from keyaccount.storage import Store, between, eq, ge, gt, in_, le, lt, ne

OpenStore = Callable[[], Store]
R = TypeVar("R")

T0 = datetime(2026, 1, 1, 8, 30, 0, 123456, tzinfo=UTC)
CHINA = timezone(timedelta(hours=8))


@attrs.frozen
class LateNote:
    """A record type registered after the store was opened, as a late plugin would."""

    id: str
    text: str
    written_at: datetime


def build(cls: type[R], **fields: Any) -> R:
    """Construct a record from plain values (ids as plain strings, as a file would hold them)."""
    return cls(**fields)


def full_records() -> list[Any]:
    """One record of every built-in kind with every optional field filled in."""
    return [
        build(
            User,
            id="usr_wang",
            name="王经理",
            role=Role.DIRECTOR,
            team="华东大客户部",
            manager_id="usr_boss",
            email="wang@example.cn",
            active=False,
        ),
        build(
            Customer,
            id="cus_full",
            name="上海浦东精密制造有限公司",
            created_at=T0,
            legal_name="上海浦东精密制造有限公司（集团）",
            credit_code=make_credit_code("91310115MA1K4ABCD"),
            industry="制造业",
            region="上海",
            employees=1200,
            annual_revenue=Money("123456789.50", "CNY"),
            owner_id="usr_wang",
            team="华东大客户部",
            tier="A",
            tags=("战略客户", "multi-site", "含,逗号"),
            status=CustomerStatus.MERGED,
            merged_into="cus_other",
            external_refs={"zoho": "4876876000000123", "fxiaoke": "客户-001"},
            reviewed_at=T0 + timedelta(days=30, microseconds=1),
        ),
        build(
            Contact,
            id="con_full",
            customer_id="cus_full",
            name="李晓明",
            title="采购总监",
            decision_maker=True,
            phone="+86 21 6888-0000",
            email="li@example.cn",
            wechat="li_xm",
            preferred_channel=Channel.IM,
            birthday=date(1980, 2, 29),
            external_refs={"zoho": "c1"},
        ),
        build(
            Transaction,
            id="txn_full",
            customer_id="cus_full",
            occurred_at=T0,
            amount=Money("-1999.90", "CNY"),
            gross_profit=Money("-0.10", "CNY"),
            kind=TransactionKind.REFUND,
            owner_id="usr_wang",
            description='退货："型号" X-1, 含换行\n第二行',
            external_refs={"zoho": "t1"},
        ),
        build(
            Receivable,
            id="rcv_full",
            customer_id="cus_full",
            amount=Money("50000.00", "USD"),
            issued_on=date(2026, 1, 1),
            due_on=date(2026, 3, 1),
            paid_on=date(2026, 2, 15),
            paid_amount=Money("20000.00", "USD"),
            transaction_id="txn_full",
        ),
        build(
            CreditProfile,
            id="crp_full",
            customer_id="cus_full",
            credit_limit=Money("1000000", "CNY"),
            payment_terms_days=90,
            rating="AA",
            updated_at=T0,
        ),
        build(
            Interaction,
            id="int_full",
            customer_id="cus_full",
            channel=Channel.VISIT,
            occurred_at=T0,
            owner_id="usr_wang",
            contact_ids=("con_full", "con_2"),
            summary="季度业务回顾",
            needs="扩产",
            issues="交期",
            next_step="发报价",
            next_step_due=T0 + timedelta(days=7),
            report="拜访反馈报告全文",
            external_refs={"fxiaoke": "i1"},
        ),
        build(
            Complaint,
            id="cmp_full",
            customer_id="cus_full",
            received_at=T0,
            subject="交货延迟",
            severity=Severity.CRITICAL,
            status=ComplaintStatus.CLOSED,
            category="物流",
            contact_id="con_full",
            description="延迟 3 天",
            department="物流部",
            assignee_id="usr_wang",
            deadline_at=T0 + timedelta(hours=24),
            root_cause="承运商",
            resolution="更换承运商",
            closed_at=T0 + timedelta(hours=20),
            satisfaction=4,
            external_refs={"zoho": "k1"},
        ),
        build(
            SurveyResponse,
            id="srv_full",
            survey_id="sur_2026q1",
            customer_id="cus_full",
            answered_at=T0,
            contact_id="con_full",
            nps=9,
            csat=5,
            answers={"q1": "很好", "q2": "交期需改进"},
            comment="满意",
        ),
    ]


def minimal_records() -> list[Any]:
    """One record of every built-in kind with only the required fields (Nones and defaults)."""
    return [
        build(User, id="usr_min", name="Min"),
        build(Customer, id="cus_min", name="Acme GmbH", created_at=T0),
        build(Contact, id="con_min", customer_id="cus_min", name="Anna"),
        build(
            Transaction,
            id="txn_min",
            customer_id="cus_min",
            occurred_at=T0,
            amount=Money("0", "EUR"),
            gross_profit=Money("0", "EUR"),
        ),
        build(
            Receivable,
            id="rcv_min",
            customer_id="cus_min",
            amount=Money("10", "EUR"),
            issued_on=date(2026, 1, 1),
            due_on=date(2026, 1, 31),
        ),
        build(CreditProfile, id="crp_min", customer_id="cus_min", credit_limit=Money("0", "EUR")),
        build(
            Interaction, id="int_min", customer_id="cus_min", channel=Channel.EMAIL, occurred_at=T0
        ),
        build(Complaint, id="cmp_min", customer_id="cus_min", received_at=T0, subject="x"),
        build(
            SurveyResponse, id="srv_min", survey_id="sur_min", customer_id="cus_min", answered_at=T0
        ),
    ]


def customer(
    n: int,
    *,
    owner: str | None = "usr_a",
    tier: str | None = "A",
    status: CustomerStatus = CustomerStatus.ACTIVE,
    revenue: str | None = None,
    name: str | None = None,
) -> Customer:
    return build(
        Customer,
        id=f"cus_{n:03d}",
        name=name or f"客户{n}",
        created_at=T0 + timedelta(days=n),
        owner_id=owner,
        tier=tier,
        status=status,
        annual_revenue=None if revenue is None else Money(revenue, "CNY"),
    )


def order(n: int, customer_id: str, at: datetime, amount: str, owner: str = "usr_a") -> Transaction:
    return build(
        Transaction,
        id=f"txn_{n:03d}",
        customer_id=customer_id,
        occurred_at=at,
        amount=Money(amount, "CNY"),
        gross_profit=Money("1", "CNY"),
        owner_id=owner,
    )


def ids(records: Iterator[Any] | list[Any]) -> list[str]:
    return [r.id for r in records]


def snapshot(store: Store) -> dict[str, list[object]]:
    """Every record of every registered kind, for before/after comparisons."""
    return {schema.kind: list(store.query(schema.cls)) for schema in store.schemas}


def failing_put(store: Store, record: object) -> None:
    """Put ``record`` in a unit of work that then fails."""
    with store.transaction():
        store.put(record)
        raise RuntimeError("unit of work failed")


class StorageConformance:
    """Subclass in a ``Test...`` class and provide the ``open_store`` fixture (see module doc)."""

    #: Whether records survive ``close()`` and re-opening the same location.
    persistent: ClassVar[bool] = False

    @pytest.fixture
    def store(self, open_store: OpenStore) -> Iterator[Store]:
        s = open_store()
        leftovers = {schema.kind: s.count(schema.cls) for schema in s.schemas}
        if any(leftovers.values()):
            s.close()
            pytest.fail(f"open_store must open an empty location; found {leftovers}")
        yield s
        s.close()

    @pytest.fixture
    def customers(self, store: Store) -> list[Customer]:
        """Seven customers: two owners, tiers with a None, and a tie on tier."""
        records = [
            customer(1, owner="usr_a", tier="B", revenue="500"),
            customer(2, owner="usr_b", tier="A", revenue="1500"),
            customer(3, owner="usr_a", tier=None, revenue=None),
            customer(4, owner="usr_b", tier="A", revenue="20"),
            customer(5, owner=None, tier="C", status=CustomerStatus.ARCHIVED, revenue="500"),
            customer(6, owner="usr_a", tier="A", revenue="99.5"),
            customer(7, owner="usr_c", tier=None, revenue="7"),
        ]
        # Inserted out of id order so no backend can pass by returning insertion order.
        store.put_many(reversed(records))
        return records

    @pytest.fixture
    def orders(self, store: Store) -> list[Transaction]:
        day = timedelta(days=1)
        records = [
            order(1, "cus_001", T0, "100"),
            order(2, "cus_001", T0 + day, "250.50"),
            order(3, "cus_002", T0 + 2 * day, "99.99", owner="usr_b"),
            order(4, "cus_002", T0 + 2 * day, "1000", owner="usr_b"),
            order(5, "cus_003", T0 + 3 * day, "5"),
            order(6, "cus_001", T0 + 4 * day, "100"),
        ]
        store.put_many(reversed(records))  # not in id order, as for customers
        return records

    # -- round trips -------------------------------------------------------------------------

    @pytest.mark.parametrize("records", [full_records(), minimal_records()], ids=["full", "min"])
    def test_every_builtin_kind_round_trips_equal(self, store: Store, records: list[Any]) -> None:
        assert store.put_many(records) == len(records)
        for record in records:
            got = store.get(type(record), record.id)
            assert got == record
            assert type(got) is type(record)

    def test_samples_cover_every_builtin_kind(self, store: Store) -> None:
        kinds = {store.schemas.for_record(r).kind for r in full_records()}
        builtin = {
            "user",
            "customer",
            "contact",
            "transaction",
            "receivable",
            "credit_profile",
            "interaction",
            "complaint",
            "survey_response",
        }
        assert kinds == builtin
        assert builtin <= {s.kind for s in store.schemas}

    def test_values_keep_their_exact_form(self, store: Store) -> None:
        store.put_many(full_records())
        c = store.get(Customer, "cus_full")
        assert c.annual_revenue is not None
        assert str(c.annual_revenue.amount) == "123456789.50"
        assert c.tags == ("战略客户", "multi-site", "含,逗号")
        assert c.status is CustomerStatus.MERGED
        assert c.created_at.tzinfo is not None
        assert c.created_at.utcoffset() == timedelta(0)
        assert c.reviewed_at == T0 + timedelta(days=30, microseconds=1)
        t = store.get(Transaction, "txn_full")
        assert t.description == '退货："型号" X-1, 含换行\n第二行'
        assert str(t.gross_profit.amount) == "-0.10"
        con = store.get(Contact, "con_full")
        assert con.birthday == date(1980, 2, 29)
        assert con.decision_maker is True
        assert store.get(User, "usr_wang").active is False

    def test_reads_return_independent_of_later_writes(self, store: Store) -> None:
        first = customer(1, tier="A")
        store.put(first)
        got = store.get(Customer, first.id)
        store.put(attrs.evolve(first, tier="B"))
        assert got.tier == "A"
        assert store.get(Customer, first.id).tier == "B"

    # -- get / find / get_many ---------------------------------------------------------------

    def test_get_missing_raises_record_not_found(self, store: Store) -> None:
        with pytest.raises(RecordNotFound) as info:
            store.get(Customer, "cus_missing")
        assert info.value.record_id == "cus_missing"
        assert info.value.kind == "customer"

    def test_find_missing_is_none(self, store: Store) -> None:
        assert store.find(Customer, "cus_missing") is None
        store.put(customer(1))
        assert store.find(Customer, "cus_001") == customer(1)

    def test_ids_are_per_kind(self, store: Store) -> None:
        store.put(build(User, id="same_id", name="U"))
        assert store.find(Customer, "same_id") is None
        assert store.count(Customer) == 0

    def test_get_many_returns_existing_by_id(self, store: Store, customers: list[Customer]) -> None:
        got = store.get_many(Customer, ["cus_002", "cus_missing", "cus_005", "cus_002"])
        assert got == {"cus_002": customers[1], "cus_005": customers[4]}
        assert store.get_many(Customer, []) == {}
        assert store.get_many(Customer, iter(["cus_001"])) == {"cus_001": customers[0]}

    def test_get_many_handles_many_ids(self, store: Store) -> None:
        records = [customer(n) for n in range(1, 1201)]
        store.put_many(records)
        wanted = [r.id for r in records[::2]] + ["cus_nope"]
        got = store.get_many(Customer, wanted)
        assert sorted(got) == sorted(r.id for r in records[::2])

    # -- writes ------------------------------------------------------------------------------

    def test_put_replaces_whole_record(self, store: Store) -> None:
        store.put(customer(1, tier="A", revenue="10"))
        store.put(customer(1, tier=None, revenue=None, name="改名"))
        got = store.get(Customer, "cus_001")
        assert (got.tier, got.annual_revenue, got.name) == (None, None, "改名")
        assert store.count(Customer) == 1

    def test_put_many_returns_count_and_accepts_iterables(self, store: Store) -> None:
        assert store.put_many(customer(n) for n in range(1, 4)) == 3
        assert store.put_many([]) == 0
        assert store.count(Customer) == 3

    def test_put_many_repeating_an_id_keeps_the_last(self, store: Store) -> None:
        assert store.put_many([customer(1, tier="A"), customer(2), customer(1, tier="B")]) == 3
        assert store.count(Customer) == 2
        assert store.get(Customer, "cus_001").tier == "B"

    def test_put_many_mixes_kinds(self, store: Store) -> None:
        assert store.put_many([customer(1), order(1, "cus_001", T0, "5")]) == 2
        assert store.count(Customer) == 1
        assert store.count(Transaction) == 1

    def test_put_many_with_unregistered_item_writes_nothing(self, store: Store) -> None:
        store.put(customer(1, tier="A"))
        before = snapshot(store)
        with pytest.raises(TypeError):
            store.put_many([customer(1, tier="Z"), customer(2), object(), customer(3)])
        assert snapshot(store) == before

    def test_put_many_failing_midway_writes_nothing(self, store: Store) -> None:
        store.put(customer(1, tier="A"))
        before = snapshot(store)

        def batch() -> Iterator[object]:
            yield customer(1, tier="Z")
            yield customer(2)
            raise RuntimeError("source broke")

        with pytest.raises(RuntimeError, match="source broke"):
            store.put_many(batch())
        assert snapshot(store) == before

    def test_delete_and_delete_missing(self, store: Store, customers: list[Customer]) -> None:
        store.delete(Customer, "cus_003")
        assert store.find(Customer, "cus_003") is None
        assert store.count(Customer) == len(customers) - 1
        with pytest.raises(RecordNotFound):
            store.delete(Customer, "cus_003")
        with pytest.raises(RecordNotFound):
            store.delete(Customer, "cus_never")

    def test_put_after_delete(self, store: Store) -> None:
        store.put(customer(1))
        store.delete(Customer, "cus_001")
        store.put(customer(1, tier="C"))
        assert store.get(Customer, "cus_001").tier == "C"

    # -- transactions ------------------------------------------------------------------------

    def test_transaction_commits_on_success(self, store: Store) -> None:
        with store.transaction():
            store.put(customer(1))
            store.put(order(1, "cus_001", T0, "1"))
        assert store.count(Customer) == 1
        assert store.count(Transaction) == 1

    def test_transaction_rolls_back_everything_on_error(
        self, store: Store, customers: list[Customer], orders: list[Transaction]
    ) -> None:
        before = snapshot(store)

        def unit_of_work() -> None:
            with store.transaction():
                store.put(customer(99))
                store.put(attrs.evolve(customers[0], tier="Z"))
                store.delete(Customer, "cus_002")
                store.put_many([order(99, "cus_099", T0, "1")])
                store.delete(Transaction, "txn_001")
                # reads inside the unit of work see its own writes
                assert store.get(Customer, "cus_001").tier == "Z"
                assert store.find(Customer, "cus_002") is None
                assert store.count(Customer, eq("id", "cus_099")) == 1
                raise ZeroDivisionError

        with pytest.raises(ZeroDivisionError):
            unit_of_work()
        assert snapshot(store) == before

    def test_nested_transaction_commits_with_outer(self, store: Store) -> None:
        with store.transaction():
            store.put(customer(1))
            with store.transaction():
                store.put(customer(2))
            assert store.count(Customer) == 2
        assert ids(store.query(Customer)) == ["cus_001", "cus_002"]

    def test_outer_failure_undoes_committed_inner_block(self, store: Store) -> None:
        store.put(customer(1))

        def unit_of_work() -> None:
            with store.transaction():
                with store.transaction():
                    store.put(customer(2))
                    store.delete(Customer, "cus_001")
                raise KeyError("outer")

        with pytest.raises(KeyError):
            unit_of_work()
        assert ids(store.query(Customer)) == ["cus_001"]

    def test_failed_inner_block_is_undone_and_outer_continues(self, store: Store) -> None:
        store.put(customer(1, tier="A"))

        def inner() -> None:
            with store.transaction():
                store.put(customer(3))
                store.put(customer(1, tier="Z"))
                raise ValueError("inner")

        with store.transaction():
            store.put(customer(2))
            with pytest.raises(ValueError, match="inner"):
                inner()
            store.put(customer(4))
        assert ids(store.query(Customer)) == ["cus_001", "cus_002", "cus_004"]
        assert store.get(Customer, "cus_001").tier == "A"

    def test_transaction_usable_again_after_rollback(self, store: Store) -> None:
        with pytest.raises(RuntimeError):
            failing_put(store, customer(1))
        with store.transaction():
            store.put(customer(2))
        assert ids(store.query(Customer)) == ["cus_002"]

    # -- queries -----------------------------------------------------------------------------

    def test_query_without_conditions_orders_by_id(
        self, store: Store, customers: list[Customer]
    ) -> None:
        assert ids(store.query(Customer)) == sorted(c.id for c in customers)

    def test_query_returns_a_lazy_iterator(self, store: Store, customers: list[Customer]) -> None:
        result = store.query(Customer, order_by="id")
        assert isinstance(result, Iterator)
        assert not isinstance(result, list | tuple)
        assert next(result).id == "cus_001"
        assert [r.id for r in result] == [c.id for c in customers[1:]]

    def test_eq_and_ne(self, store: Store, customers: list[Customer]) -> None:
        assert ids(store.query(Customer, eq("tier", "A"))) == ["cus_002", "cus_004", "cus_006"]
        # ne keeps records whose value is None: None is "not equal" to "A".
        assert ids(store.query(Customer, ne("tier", "A"))) == [
            "cus_001",
            "cus_003",
            "cus_005",
            "cus_007",
        ]
        assert ids(store.query(Customer, eq("tier", None))) == ["cus_003", "cus_007"]
        assert ids(store.query(Customer, ne("tier", None))) == [
            "cus_001",
            "cus_002",
            "cus_004",
            "cus_005",
            "cus_006",
        ]

    def test_eq_on_enum_accepts_member_or_value(
        self, store: Store, customers: list[Customer]
    ) -> None:
        assert ids(store.query(Customer, eq("status", CustomerStatus.ARCHIVED))) == ["cus_005"]
        assert ids(store.query(Customer, eq("status", "archived"))) == ["cus_005"]

    def test_in(self, store: Store, customers: list[Customer]) -> None:
        assert ids(store.query(Customer, in_("tier", ["B", "C"]))) == ["cus_001", "cus_005"]
        assert ids(store.query(Customer, in_("tier", ["C", None]))) == [
            "cus_003",
            "cus_005",
            "cus_007",
        ]
        assert ids(store.query(Customer, in_("tier", []))) == []
        many = [f"cus_{n:03d}" for n in range(999)]
        assert len(ids(store.query(Customer, in_("id", many)))) == len(customers)

    def test_conditions_combine_with_and(self, store: Store, customers: list[Customer]) -> None:
        got = store.query(Customer, eq("owner_id", "usr_a"), eq("tier", "A"))
        assert ids(got) == ["cus_006"]
        assert ids(store.query(Customer, (eq("owner_id", "usr_a"), ne("tier", "B")))) == [
            "cus_003",
            "cus_006",
        ]

    def test_by_owner(self, store: Store, customers: list[Customer]) -> None:
        assert ids(store.query(Customer, eq("owner_id", "usr_b"))) == ["cus_002", "cus_004"]
        assert ids(store.query(Customer, eq("owner_id", None))) == ["cus_005"]

    def test_by_customer(self, store: Store, orders: list[Transaction]) -> None:
        got = store.query(Transaction, eq("customer_id", "cus_001"), order_by="occurred_at")
        assert ids(got) == ["txn_001", "txn_002", "txn_006"]

    def test_datetime_ranges_are_half_open(self, store: Store, orders: list[Transaction]) -> None:
        day = timedelta(days=1)
        got = store.query(Transaction, between("occurred_at", T0 + day, T0 + 3 * day))
        assert ids(got) == ["txn_002", "txn_003", "txn_004"]
        assert ids(store.query(Transaction, gt("occurred_at", T0 + 2 * day))) == [
            "txn_005",
            "txn_006",
        ]
        assert ids(store.query(Transaction, le("occurred_at", T0 + day))) == [
            "txn_001",
            "txn_002",
        ]
        assert ids(store.query(Transaction, lt("occurred_at", T0))) == []
        assert ids(store.query(Transaction, ge("occurred_at", T0 + 4 * day))) == ["txn_006"]

    def test_datetime_bounds_in_other_zones_compare_as_instants(
        self, store: Store, orders: list[Transaction]
    ) -> None:
        # T0 + 1 day is 16:30:00.123456 in China; a bound given in +08:00 is the same instant.
        start = (T0 + timedelta(days=1)).astimezone(CHINA)
        got = store.query(
            Transaction, ge("occurred_at", start), lt("occurred_at", start.replace(hour=17))
        )
        assert ids(got) == ["txn_002"]

    def test_microseconds_matter_in_ranges(self, store: Store, orders: list[Transaction]) -> None:
        just_after = T0 + timedelta(microseconds=1)
        assert ids(store.query(Transaction, lt("occurred_at", just_after))) == ["txn_001"]
        assert ids(store.query(Transaction, eq("occurred_at", T0))) == ["txn_001"]

    def test_date_ranges_are_half_open(self, store: Store) -> None:
        store.put_many(
            build(
                Receivable,
                id=f"rcv_{d:02d}",
                customer_id="cus_001",
                amount=Money("1", "CNY"),
                issued_on=date(2026, 1, 1),
                due_on=date(2026, 1, d),
                paid_on=date(2026, 1, 2) if d % 2 else None,
            )
            for d in (1, 10, 15, 31)
        )
        got = store.query(Receivable, between("due_on", date(2026, 1, 10), date(2026, 1, 31)))
        assert ids(got) == ["rcv_10", "rcv_15"]
        assert ids(store.query(Receivable, eq("paid_on", None))) == ["rcv_10"]
        # None never satisfies a range.
        assert ids(store.query(Receivable, ge("paid_on", date(2000, 1, 1)))) == [
            "rcv_01",
            "rcv_15",
            "rcv_31",
        ]

    def test_money_fields_filter_and_sort_by_amount(
        self, store: Store, orders: list[Transaction]
    ) -> None:
        assert ids(store.query(Transaction, ge("amount", Decimal("100")))) == [
            "txn_001",
            "txn_002",
            "txn_004",
            "txn_006",
        ]
        # Decimal order, not text order: "99.99" < "100" < "1000".
        got = store.query(Transaction, order_by=("amount",))
        assert ids(got) == ["txn_005", "txn_003", "txn_001", "txn_006", "txn_002", "txn_004"]
        assert ids(store.query(Transaction, eq("amount", Money("100", "CNY")))) == [
            "txn_001",
            "txn_006",
        ]

    def test_order_by_descending_with_ties_broken_by_id(
        self, store: Store, orders: list[Transaction]
    ) -> None:
        got = store.query(Transaction, order_by="-occurred_at")
        assert ids(got) == ["txn_006", "txn_005", "txn_003", "txn_004", "txn_002", "txn_001"]

    def test_order_by_multiple_keys(self, store: Store, customers: list[Customer]) -> None:
        got = store.query(Customer, order_by=("owner_id", "-created_at"))
        assert ids(got) == [
            "cus_005",
            "cus_006",
            "cus_003",
            "cus_001",
            "cus_004",
            "cus_002",
            "cus_007",
        ]
        got = store.query(Customer, order_by=("-owner_id", "tier"))
        assert ids(got) == [
            "cus_007",
            "cus_002",
            "cus_004",
            "cus_003",
            "cus_006",
            "cus_001",
            "cus_005",
        ]

    def test_none_sorts_first_ascending_and_last_descending(
        self, store: Store, customers: list[Customer]
    ) -> None:
        assert ids(store.query(Customer, order_by="tier")) == [
            "cus_003",
            "cus_007",
            "cus_002",
            "cus_004",
            "cus_006",
            "cus_001",
            "cus_005",
        ]
        assert ids(store.query(Customer, order_by="-tier")) == [
            "cus_005",
            "cus_001",
            "cus_002",
            "cus_004",
            "cus_006",
            "cus_003",
            "cus_007",
        ]
        assert ids(store.query(Customer, order_by="annual_revenue"))[:1] == ["cus_003"]

    def test_order_by_explicit_descending_id(self, store: Store, customers: list[Customer]) -> None:
        assert ids(store.query(Customer, eq("tier", "A"), order_by="-id")) == [
            "cus_006",
            "cus_004",
            "cus_002",
        ]

    def test_order_by_text_uses_code_point_order(self, store: Store) -> None:
        store.put_many(
            [
                customer(1, name="b"),
                customer(2, name="B"),
                customer(3, name="中"),
                customer(4, name="a"),
                customer(5, name="Ä"),
            ]
        )
        assert [c.name for c in store.query(Customer, order_by="name")] == sorted(
            ["b", "B", "中", "a", "Ä"]
        )

    def test_limit(
        self, store: Store, customers: list[Customer], orders: list[Transaction]
    ) -> None:
        assert ids(store.query(Customer, eq("tier", "A"), order_by="-created_at", limit=2)) == [
            "cus_006",
            "cus_004",
        ]
        assert ids(store.query(Transaction, order_by="amount", limit=1)) == ["txn_005"]
        assert ids(store.query(Customer, limit=0)) == []
        assert len(ids(store.query(Customer, limit=100))) == len(customers)

    def test_count(
        self, store: Store, customers: list[Customer], orders: list[Transaction]
    ) -> None:
        assert store.count(Customer) == 7
        assert store.count(Customer, eq("tier", "A")) == 3
        assert store.count(Customer, ne("tier", "A"), eq("owner_id", "usr_a")) == 2
        assert store.count(Transaction, gt("amount", Decimal("99.99"))) == 4
        assert store.count(Receivable) == 0

    def test_unknown_field_is_a_validation_error(self, store: Store) -> None:
        with pytest.raises(ValidationError, match="colour"):
            store.query(Customer, eq("colour", "red"))
        with pytest.raises(ValidationError, match="colour"):
            store.query(Customer, order_by="-colour")
        with pytest.raises(ValidationError, match="colour"):
            store.count(Customer, eq("colour", "red"))

    def test_unregistered_type_is_a_type_error(self, store: Store) -> None:
        with pytest.raises(TypeError):
            store.get(LateNote, "x")

    def test_kinds_registered_after_opening_are_storable(self, store: Store) -> None:
        if "conformance_late_note" not in store.schemas:
            store.schemas.register(LateNote, kind="conformance_late_note", indexes=("written_at",))
        note = LateNote(id="n1", text="后来注册的", written_at=T0)
        store.put(note)
        assert store.get(LateNote, "n1") == note
        assert ids(store.query(LateNote, ge("written_at", T0))) == ["n1"]

    # -- lifecycle ---------------------------------------------------------------------------

    def test_closed_store_raises_storage_error(self, open_store: OpenStore) -> None:
        store = open_store()
        store.put(customer(1))
        store.close()
        store.close()  # closing twice is harmless
        calls: list[Callable[[], object]] = [
            lambda: store.get(Customer, "cus_001"),
            lambda: store.find(Customer, "cus_001"),
            lambda: store.get_many(Customer, ["cus_001"]),
            lambda: store.put(customer(2)),
            lambda: store.put_many([customer(3)]),
            lambda: store.delete(Customer, "cus_001"),
            lambda: store.query(Customer),
            lambda: store.count(Customer),
            lambda: store.transaction().__enter__(),
        ]
        for call in calls:
            with pytest.raises(StorageError):
                call()

    def test_records_persist_across_reopen(self, open_store: OpenStore) -> None:
        if not self.persistent:
            pytest.skip("backend is not persistent")
        first = open_store()
        first.put_many([*full_records(), *minimal_records()])
        first.delete(Customer, "cus_min")
        with pytest.raises(RuntimeError):
            failing_put(first, customer(42))
        first.close()
        second = open_store()
        try:
            for record in full_records():
                assert second.get(type(record), record.id) == record
            assert second.find(Customer, "cus_min") is None
            assert second.find(Customer, "cus_042") is None
            assert second.count(Customer) == 1
            second.put(customer(7))
        finally:
            second.close()
        third = open_store()
        try:
            assert ids(third.query(Customer)) == ["cus_007", "cus_full"]
        finally:
            third.close()

    def test_not_persistent_backend_starts_empty_on_reopen(self, open_store: OpenStore) -> None:
        if self.persistent:
            pytest.skip("backend is persistent")
        first = open_store()
        first.put(customer(1))
        first.close()
        second = open_store()
        try:
            assert second.count(Customer) == 0
        finally:
            second.close()
