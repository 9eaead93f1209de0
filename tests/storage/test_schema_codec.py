"""The row codec every file/SQL backend relies on: ``RecordSchema.values / from_values /
encode / decode``."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone

import attrs
import pytest

from keyaccount.errors import ValidationError
from keyaccount.host import PluginHost
from keyaccount.models import Contact, Customer, CustomerStatus, User
from keyaccount.money import Money
from keyaccount.schema import RecordSchema, SchemaRegistry
from keyaccount.testing.storage import build, full_records, minimal_records


@attrs.frozen
class Loose:
    """A record type without converters or validators, so odd values reach the codec."""

    id: str
    at: datetime | None = None
    n: int | None = None
    flag: bool = False
    tags: tuple[str, ...] = ()
    meta: dict[str, str] = attrs.field(factory=dict)
    on: date | None = None


@pytest.fixture
def schemas(host: PluginHost) -> SchemaRegistry:
    return host.record_types()


@pytest.fixture
def loose() -> RecordSchema:
    return RecordSchema(Loose, "loose")


@pytest.mark.parametrize("record", full_records() + minimal_records(), ids=repr)
def test_values_round_trip(schemas: SchemaRegistry, record: object) -> None:
    schema = schemas.for_record(record)
    values = schema.values(record)
    assert len(values) == len(schema.columns)
    assert all(v is None or isinstance(v, str | int) for v in values)
    assert schema.from_values(values) == record
    assert schema.decode(schema.encode(record)) == record
    as_text = {c: "" if v is None else str(v) for c, v in schema.encode(record).items()}
    assert schema.decode(as_text, text=True) == record


def test_stored_forms(schemas: SchemaRegistry) -> None:
    customer = next(r for r in full_records() if isinstance(r, Customer))
    row = schemas.for_class(Customer).encode(customer)
    assert row["annual_revenue"] == "123456789.50"
    assert row["annual_revenue_currency"] == "CNY"
    assert row["created_at"] == "2026-01-01T08:30:00.123456+00:00"
    assert row["status"] == "merged"
    assert row["tags"] == '["战略客户","multi-site","含,逗号"]'
    assert row["external_refs"] == '{"fxiaoke":"客户-001","zoho":"4876876000000123"}'
    assert row["employees"] == 1200
    contact = next(r for r in full_records() if isinstance(r, Contact))
    crow = schemas.for_class(Contact).encode(contact)
    assert (crow["decision_maker"], crow["birthday"]) == (1, "1980-02-29")
    assert schemas.for_class(User).encode(build(User, id="u", name="n"))["email"] is None


def test_datetimes_are_stored_in_utc(loose: RecordSchema) -> None:
    china = timezone(timedelta(hours=8))
    row = loose.encode(Loose("a", at=datetime(2026, 1, 1, 8, 0, tzinfo=china)))
    assert row["at"] == "2026-01-01T00:00:00.000000+00:00"


def test_naive_datetime_is_refused_on_write(loose: RecordSchema) -> None:
    with pytest.raises(ValidationError) as info:
        loose.values(Loose("a", at=datetime(2026, 1, 1)))
    assert info.value.field == "Loose.at"


def test_empty_containers_and_bools(loose: RecordSchema) -> None:
    assert loose.encode(Loose("a")) == {
        "id": "a",
        "at": None,
        "n": None,
        "flag": 0,
        "tags": "[]",
        "meta": "{}",
        "on": None,
    }
    got = loose.from_values(loose.values(Loose("a", flag=True, tags=("x",), meta={"k": "v"})))
    assert got == Loose("a", flag=True, tags=("x",), meta={"k": "v"})  # tuples come back as tuples


def test_text_cells(schemas: SchemaRegistry, loose: RecordSchema) -> None:
    schema = schemas.for_class(Customer)
    got = schema.decode(
        {"id": "c1", "name": "甲", "created_at": "2026-01-01T00:00:00Z", "status": "", "tags": ""},
        text=True,
    )
    assert got.status is CustomerStatus.ACTIVE  # empty cell: the default applies
    assert got.created_at == datetime(2026, 1, 1, tzinfo=UTC)
    assert got.tags == ()
    row = loose.decode({"id": "a", "flag": "是", "n": " 42 ", "on": "2026-02-03"}, text=True)
    assert (row.flag, row.n, row.on) == (True, 42, date(2026, 2, 3))
    assert loose.decode({"id": "a", "flag": "否"}, text=True).flag is False


@pytest.mark.parametrize(
    ("cells", "field", "reason"),
    [
        ({"employees": "many"}, "Customer.employees", "whole number"),
        (
            {"annual_revenue": "12", "annual_revenue_currency": "R1"},
            "Customer.annual_revenue_currency",
            "ISO 4217",
        ),
        (
            {"annual_revenue": "1e", "annual_revenue_currency": "CNY"},
            "Customer.annual_revenue",
            "decimal",
        ),
        ({"annual_revenue": "12"}, "Customer.annual_revenue_currency", "both"),
        ({"annual_revenue_currency": "CNY"}, "Customer.annual_revenue", "both"),
        ({"created_at": "2026-13-01T00:00:00Z"}, "Customer.created_at", "ISO 8601"),
        ({"created_at": "2026-01-01 00:00"}, "Customer.created_at", "UTC offset"),
        ({"status": "gone"}, "Customer.status", "active, archived, merged"),
        ({"tags": "[oops"}, "Customer.tags", "JSON"),
    ],
)
def test_decode_errors_name_the_field(
    schemas: SchemaRegistry, cells: dict[str, str], field: str, reason: str
) -> None:
    row = {"id": "c1", "name": "甲", "created_at": "2026-01-01T00:00:00Z", **cells}
    with pytest.raises(ValidationError) as info:
        schemas.for_class(Customer).decode(row, text=True)
    assert info.value.field == field
    assert reason in info.value.reason


def test_missing_required_value_names_the_field(schemas: SchemaRegistry) -> None:
    with pytest.raises(ValidationError, match=r"Customer\.name"):
        schemas.for_class(Customer).decode({"id": "c1", "created_at": "2026-01-01T00:00:00Z"})


def test_wrong_number_of_values(loose: RecordSchema) -> None:
    with pytest.raises(ValidationError, match="expected 7 column values"):
        loose.from_values(("a", None))


def test_money_value_round_trips_exactly(schemas: SchemaRegistry) -> None:
    schema = schemas.for_class(Customer)
    c = build(
        Customer,
        id="c",
        name="n",
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        annual_revenue=Money("0.10", "usd"),
    )
    got = schema.from_values(schema.values(c))
    assert str(got.annual_revenue.amount) == "0.10"
    assert got.annual_revenue.currency == "USD"


@pytest.mark.parametrize(
    "value",
    [
        ("含,逗号", 'q"uote', "back\\slash", "new\nline", "\x00ctl", "\u2028", "😀"),
        {"b": "1", "a": "中", "c": "\t"},
        (),
    ],
    ids=["tuple", "dict", "empty"],
)
def test_json_columns_are_canonical_json(loose: RecordSchema, value: object) -> None:
    record = Loose("a", tags=value) if isinstance(value, tuple) else Loose("a", meta=value)  # type: ignore[arg-type]
    row = loose.encode(record)
    column = "tags" if isinstance(value, tuple) else "meta"
    expected = json.dumps(
        list(value) if isinstance(value, tuple) else value,
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    assert row[column] == expected
    assert json.loads(str(row[column])) == (list(value) if isinstance(value, tuple) else value)
