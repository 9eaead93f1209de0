from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum

import attrs
import pytest

from keyaccount.errors import DuplicateRegistration, ValidationError
from keyaccount.models import Customer, CustomerStatus, Receivable, SurveyResponse
from keyaccount.money import Money
from keyaccount.schema import ColumnType, SchemaRegistry
from keyaccount.storage import Condition, StoreURL, eq, ge, in_, sort_records


class Mood(StrEnum):
    HAPPY = "happy"
    SAD = "sad"


@attrs.frozen
class Everything:
    id: str
    text: str
    count: int
    flag: bool
    ratio: Decimal
    at: datetime
    on: date
    mood: Mood
    price: Money
    tags: tuple[str, ...]
    extra: dict[str, str]
    maybe: int | None = None
    maybe_money: Money | None = None


@pytest.fixture
def registry() -> SchemaRegistry:
    r = SchemaRegistry()
    r.register(Everything, kind="everything", indexes=("text",))
    r.register(Customer, kind="customer")
    r.register(Receivable, kind="receivable")
    r.register(SurveyResponse, kind="survey_response")
    return r


SAMPLE = Everything(
    id="e1",
    text='上海，"引号"',
    count=3,
    flag=True,
    ratio=Decimal("0.125"),
    at=datetime(2024, 2, 29, 23, 59, 59, 5, tzinfo=UTC),
    on=date(2024, 2, 29),
    mood=Mood.SAD,
    price=Money.of("12.50", "CNY"),
    tags=("a", "中"),
    extra={"k": "v"},
)


def test_columns_derived_from_field_types(registry: SchemaRegistry) -> None:
    schema = registry.for_class(Everything)
    types = {f.name: f.column_type for f in schema.fields}
    assert types["price"] == ColumnType.MONEY
    assert types["mood"] == ColumnType.ENUM
    assert types["tags"] == ColumnType.JSON_TUPLE
    assert types["extra"] == ColumnType.JSON
    assert "price_currency" in schema.columns
    assert schema.by_name["maybe"].nullable
    assert not schema.by_name["count"].nullable


def test_round_trip_through_scalars_and_text(registry: SchemaRegistry) -> None:
    schema = registry.for_class(Everything)
    row = schema.encode(SAMPLE)
    assert row["at"] == "2024-02-29T23:59:59.000005+00:00"
    assert row["price"] == "12.50"
    assert row["price_currency"] == "CNY"
    assert row["flag"] == 1
    assert schema.decode(row) == SAMPLE
    as_text = {k: "" if v is None else str(v) for k, v in row.items()}
    assert schema.decode(as_text, text=True) == SAMPLE


def test_datetimes_sort_as_text() -> None:
    early = datetime(2024, 1, 1, tzinfo=UTC)
    late = datetime(2024, 1, 1, 0, 0, 0, 1, tzinfo=UTC)
    from keyaccount.schema import format_datetime

    assert format_datetime(early) < format_datetime(late)


@pytest.mark.parametrize(
    ("column", "raw", "message"),
    [
        ("count", "three", r"Everything\.count: is not a whole number \(got 'three'\)"),
        ("ratio", "1,5x", r"Everything\.ratio: is not a decimal number"),
        ("at", "2024-02-30T00:00:00Z", r"Everything\.at: is not an ISO 8601 date-time"),
        ("at", "2024-02-01T00:00:00", r"Everything\.at: has no UTC offset"),
        ("on", "29/02/2024", r"Everything\.on: is not a date"),
        ("mood", "angry", r"Everything\.mood: is not one of happy, sad"),
        ("flag", "maybe", r"Everything\.flag: is not a yes/no value"),
        ("tags", "[unclosed", r"Everything\.tags: is not valid JSON"),
    ],
)
def test_unreadable_text_names_field_and_value(
    registry: SchemaRegistry, column: str, raw: str, message: str
) -> None:
    schema = registry.for_class(Everything)
    row = {k: "" if v is None else str(v) for k, v in schema.encode(SAMPLE).items()}
    row[column] = raw
    with pytest.raises(ValidationError, match=message):
        schema.decode(row, text=True)


def test_money_needs_amount_and_currency(registry: SchemaRegistry) -> None:
    schema = registry.for_class(Everything)
    row = dict(schema.encode(SAMPLE))
    row["maybe_money"] = "5"
    with pytest.raises(
        ValidationError, match=r"maybe_money_currency: needs both an amount and a currency"
    ):
        schema.decode(row)


def test_chinese_booleans_and_defaults_from_empty_cells(registry: SchemaRegistry) -> None:
    schema = registry.for_class(Customer)
    c = schema.decode(
        {
            "id": "c1",
            "name": "甲",
            "created_at": "2026-01-01T08:00:00+08:00",
            "status": "",
            "tags": "",
            "external_refs": "",
        },
        text=True,
    )
    assert c.status is CustomerStatus.ACTIVE
    assert c.created_at == datetime(2026, 1, 1, tzinfo=UTC)
    everything = registry.for_class(Everything)
    row = {k: "" if v is None else str(v) for k, v in everything.encode(SAMPLE).items()}
    row["flag"] = "否"
    assert everything.decode(row, text=True).flag is False


def test_model_validation_still_applies_on_decode(registry: SchemaRegistry) -> None:
    schema = registry.for_class(SurveyResponse)
    with pytest.raises(ValidationError, match=r"SurveyResponse\.nps: must be at most 10"):
        schema.decode(
            {
                "id": "s1",
                "survey_id": "q",
                "customer_id": "c1",
                "answered_at": "2026-01-01T00:00:00+00:00",
                "nps": "11",
            },
            text=True,
        )


def test_registry_rejects_duplicates_and_unstorable_types() -> None:
    r = SchemaRegistry()
    r.register(Everything, kind="everything", origin="first")
    with pytest.raises(DuplicateRegistration, match="first"):
        r.register(Customer, kind="everything", origin="second")
    with pytest.raises(DuplicateRegistration):
        r.register(Everything, kind="other")

    @attrs.frozen
    class NoId:
        name: str

    @attrs.frozen
    class Odd:
        id: str
        value: int | str

    with pytest.raises(TypeError, match="must have an 'id' field"):
        r.register(NoId, kind="no_id")
    with pytest.raises(TypeError, match=r"unions other than X \| None"):
        r.register(Odd, kind="odd")
    with pytest.raises(TypeError, match="lower-case identifier"):
        r.register(Customer, kind="Bad Kind")
    with pytest.raises(TypeError, match="not a registered record type"):
        r.for_class(Receivable)


def test_conditions_handle_none_money_and_sets() -> None:
    rec = Receivable(
        id="r1",
        customer_id="c1",
        amount=Money.of(10, "CNY"),
        issued_on=date(2024, 1, 1),
        due_on=date(2024, 1, 31),
    )
    assert eq("paid_on", None).matches(rec)
    assert not ge("paid_on", date(2024, 1, 1)).matches(rec)
    assert ge("amount", Decimal(10)).matches(rec)
    assert ge("amount", Money.of(5, "CNY")).matches(rec)
    assert in_("customer_id", ["c1", "c2"]).matches(rec)
    with pytest.raises(ValueError, match="op"):
        Condition("amount", "like", 1)


def test_sort_is_stable_with_none_first_and_id_tiebreak() -> None:
    mk = lambda i, paid: Receivable(  # noqa: E731
        id=i,
        customer_id="c",
        amount=Money.of(1, "CNY"),
        issued_on=date(2024, 1, 1),
        due_on=date(2024, 2, 1),
        paid_on=paid,
    )
    rows = [mk("b", date(2024, 1, 5)), mk("c", None), mk("a", date(2024, 1, 5))]
    assert [r.id for r in sort_records(list(rows), (("paid_on", False),))] == ["c", "a", "b"]
    assert [r.id for r in sort_records(list(rows), (("paid_on", True),))] == ["a", "b", "c"]


def test_store_url_parsing() -> None:
    u = StoreURL.parse("sqlite:///var/data/ka.db?journal=wal")
    assert (u.scheme, u.path, dict(u.options)) == ("sqlite", "/var/data/ka.db", {"journal": "wal"})
    assert StoreURL.parse("csv://exports").path == "exports"
    assert StoreURL.parse("memory://").path == ""
