"""Record schemas: how a registered attrs record type maps to flat rows of scalars.

This is the (de)serialisation edge shared by the CSV and SQLite backends (and any external
backend that wants it). Models stay free of storage concerns; the column layout is derived
from their attrs fields and type hints:

=============================  =================================================
field type                     columns
=============================  =================================================
``str`` / typed ids            one TEXT column
``int``                        one INTEGER column
``bool``                       one INTEGER column (0/1)
``Decimal``                    one TEXT column (exact)
``datetime`` (aware UTC)       one TEXT column, fixed-width ISO 8601 so it sorts
``date``                       one TEXT column, ``YYYY-MM-DD``
``StrEnum``                    one TEXT column holding the value
``Money``                      ``<field>`` (amount TEXT) and ``<field>_currency``
tuples, dicts                  one TEXT column of JSON
=============================  =================================================
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any, Protocol

import attrs

from keyaccount.errors import DuplicateRegistration, ValidationError
from keyaccount.money import Money

Scalar = str | int | None
Row = dict[str, Scalar]

_TRUE = {"1", "true", "yes", "y", "是", "t"}
_FALSE = {"0", "false", "no", "n", "否", "f"}


class ColumnType:
    TEXT = "text"
    INT = "int"
    BOOL = "bool"
    DECIMAL = "decimal"
    DATETIME = "datetime"
    DATE = "date"
    ENUM = "enum"
    MONEY = "money"
    CURRENCY = "currency"
    JSON = "json"
    JSON_TUPLE = "json_tuple"  # stored as a JSON array, read back as a tuple


# Column types whose stored form sorts and compares like the value itself, so backends may
# push range conditions and ordering on them down to the database.
ORDERED_IN_STORAGE = frozenset(
    {
        ColumnType.TEXT,
        ColumnType.INT,
        ColumnType.BOOL,
        ColumnType.DATETIME,
        ColumnType.DATE,
        ColumnType.ENUM,
        ColumnType.CURRENCY,
    }
)


@attrs.frozen
class FieldSpec:
    """One attrs field of a record and how it is stored."""

    name: str
    column_type: str
    nullable: bool
    has_default: bool
    enum_type: type[Enum] | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        if self.column_type == ColumnType.MONEY:
            return (self.name, f"{self.name}_currency")
        return (self.name,)

    @property
    def orderable_in_storage(self) -> bool:
        return self.column_type in ORDERED_IN_STORAGE


def format_datetime(value: datetime) -> str:
    return value.isoformat(timespec="microseconds")


def parse_datetime(field: str, raw: str) -> datetime:
    text = raw.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError(field, raw, "is not an ISO 8601 date-time") from None
    if parsed.tzinfo is None:
        raise ValidationError(field, raw, "has no UTC offset; write it as ...+00:00 or ...Z")
    return parsed


def _classify(field_name: str, hint: Any) -> tuple[str, bool, type[Enum] | None]:
    nullable = False
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        nullable = len(args) != len(typing.get_args(hint))
        if len(args) != 1:
            raise TypeError(f"{field_name}: unions other than X | None are not storable")
        hint = args[0]
        origin = typing.get_origin(hint)
    while hasattr(hint, "__supertype__"):  # NewType ids
        hint = hint.__supertype__
    if origin is not None:
        if origin is tuple:
            return ColumnType.JSON_TUPLE, nullable, None
        if origin in (dict, list) or (isinstance(origin, type) and issubclass(origin, Mapping)):
            return ColumnType.JSON, nullable, None
        raise TypeError(f"{field_name}: unsupported generic {hint!r}")
    if hint is Money:
        return ColumnType.MONEY, nullable, None
    if isinstance(hint, type) and issubclass(hint, Enum):
        return ColumnType.ENUM, nullable, hint
    simple = {
        bool: ColumnType.BOOL,
        int: ColumnType.INT,
        str: ColumnType.TEXT,
        Decimal: ColumnType.DECIMAL,
        datetime: ColumnType.DATETIME,
        date: ColumnType.DATE,
    }
    if hint in simple:
        return simple[hint], nullable, None
    raise TypeError(f"{field_name}: unsupported field type {hint!r}")


class RecordSchema:
    """The storage view of one record type: its kind name, fields, columns and indexes."""

    def __init__(
        self,
        cls: type[Any],
        kind: str,
        indexes: Iterable[str] = (),
        labels: Mapping[str, str] | None = None,
    ) -> None:
        if not attrs.has(cls):
            raise TypeError(f"{cls.__name__} is not an attrs class")
        hints = typing.get_type_hints(cls)
        specs = []
        for a in attrs.fields(cls):
            col_type, nullable, enum_type = _classify(f"{cls.__name__}.{a.name}", hints[a.name])
            specs.append(
                FieldSpec(
                    name=a.name,
                    column_type=col_type,
                    nullable=nullable,
                    has_default=a.default is not attrs.NOTHING,
                    enum_type=enum_type,
                )
            )
        names = {s.name for s in specs}
        if "id" not in names:
            raise TypeError(f"{cls.__name__} must have an 'id' field to be stored")
        unknown = [i for i in indexes if i not in names]
        if unknown:
            raise TypeError(f"{cls.__name__}: index on unknown field(s) {unknown}")
        if not kind.isidentifier() or not kind.islower():
            raise TypeError(f"record kind {kind!r} must be a lower-case identifier")
        self.cls = cls
        self.kind = kind
        self.fields: tuple[FieldSpec, ...] = tuple(specs)
        self.by_name: dict[str, FieldSpec] = {s.name: s for s in specs}
        self.indexes: tuple[str, ...] = tuple(indexes)
        self.labels: dict[str, str] = dict(labels or {})
        self.columns: tuple[str, ...] = tuple(c for s in specs for c in s.columns)

    def __repr__(self) -> str:
        return f"RecordSchema({self.cls.__name__}, kind={self.kind!r})"

    def field(self, name: str) -> FieldSpec:
        try:
            return self.by_name[name]
        except KeyError:
            raise ValidationError(f"{self.cls.__name__}", name, "has no such field") from None

    # -- encoding ----------------------------------------------------------------------------

    def encode(self, record: Any) -> Row:
        row: Row = {}
        for spec in self.fields:
            value = getattr(record, spec.name)
            if spec.column_type == ColumnType.MONEY:
                row[spec.name] = None if value is None else str(value.amount)
                row[f"{spec.name}_currency"] = None if value is None else value.currency
            else:
                row[spec.name] = encode_value(spec, value)
        return row

    def decode(self, row: Mapping[str, Any], *, text: bool = False) -> Any:
        """Build the record from a row; ``text=True`` for CSV, where every cell is a string.

        Raises ``ValidationError`` naming ``Class.field`` for any unreadable or invalid value.
        """
        kwargs: dict[str, Any] = {}
        cls_name = self.cls.__name__
        for spec in self.fields:
            raw = row.get(spec.name)
            if text and raw == "":
                raw = None
            if spec.column_type == ColumnType.MONEY:
                cur = row.get(f"{spec.name}_currency")
                if text and cur == "":
                    cur = None
                if raw is None and cur is None:
                    if spec.has_default:
                        continue
                    kwargs[spec.name] = None
                    continue
                if raw is None or cur is None:
                    raise ValidationError(
                        f"{cls_name}.{spec.name}",
                        raw if cur is None else cur,
                        "needs both an amount and a currency",
                    )
                kwargs[spec.name] = Money(raw, cur)
                continue
            if raw is None:
                if spec.has_default:
                    continue
                kwargs[spec.name] = None
                continue
            kwargs[spec.name] = decode_value(f"{cls_name}.{spec.name}", spec, raw)
        try:
            return self.cls(**kwargs)
        except TypeError as err:
            raise ValidationError(cls_name, dict(row), f"incomplete row: {err}") from None


def encode_value(spec: FieldSpec, value: Any) -> Scalar:
    """Encode one non-Money field value into its stored scalar form."""
    if value is None:
        return None
    t = spec.column_type
    if t == ColumnType.TEXT:
        return str(value)
    if t == ColumnType.INT:
        return int(value)
    if t == ColumnType.BOOL:
        return 1 if value else 0
    if t == ColumnType.DECIMAL:
        return str(value)
    if t == ColumnType.DATETIME:
        return format_datetime(value)
    if t == ColumnType.DATE:
        return str(value.isoformat())
    if t == ColumnType.ENUM:
        return str(value.value)
    if t in (ColumnType.JSON, ColumnType.JSON_TUPLE):
        return json.dumps(
            list(value) if isinstance(value, tuple) else value,
            ensure_ascii=False,
            sort_keys=True,
            separators=(",", ":"),
        )
    raise TypeError(f"cannot encode {t}")


def decode_value(field: str, spec: FieldSpec, raw: Any) -> Any:
    t = spec.column_type
    try:
        if t == ColumnType.TEXT:
            return str(raw)
        if t == ColumnType.INT:
            if isinstance(raw, int):
                return raw
            return int(str(raw).strip())
        if t == ColumnType.BOOL:
            if isinstance(raw, int):
                return bool(raw)
            word = str(raw).strip().lower()
            if word in _TRUE:
                return True
            if word in _FALSE:
                return False
            raise ValidationError(field, raw, "is not a yes/no value")
        if t == ColumnType.DECIMAL:
            return Decimal(str(raw).strip())
        if t == ColumnType.DATETIME:
            return parse_datetime(field, str(raw))
        if t == ColumnType.DATE:
            return date.fromisoformat(str(raw).strip())
        if t == ColumnType.ENUM:
            assert spec.enum_type is not None
            return spec.enum_type(str(raw).strip())
        if t == ColumnType.JSON:
            return json.loads(raw)
        if t == ColumnType.JSON_TUPLE:
            return tuple(json.loads(raw))
    except ValidationError:
        raise
    except (ValueError, InvalidOperation, json.JSONDecodeError) as err:
        reason = {
            ColumnType.INT: "is not a whole number",
            ColumnType.DECIMAL: "is not a decimal number",
            ColumnType.DATE: "is not a date (YYYY-MM-DD)",
            ColumnType.ENUM: "is not one of "
            + ", ".join(str(m.value) for m in list(spec.enum_type or ())),
            ColumnType.JSON: f"is not valid JSON ({err})",
            ColumnType.JSON_TUPLE: f"is not valid JSON ({err})",
        }.get(t, str(err))
        raise ValidationError(field, raw, reason) from None
    raise TypeError(f"cannot decode {t}")


class RegisterRecordType(Protocol):
    def __call__(
        self,
        cls: type[Any],
        *,
        kind: str,
        indexes: Iterable[str] = (),
        labels: Mapping[str, str] | None = None,
    ) -> None: ...


class SchemaRegistry:
    """The record types a store can hold, by class and by kind name."""

    def __init__(self) -> None:
        self._by_kind: dict[str, RecordSchema] = {}
        self._by_cls: dict[type[Any], RecordSchema] = {}
        self._origin: dict[str, str] = {}

    def register(
        self,
        cls: type[Any],
        *,
        kind: str,
        indexes: Iterable[str] = (),
        labels: Mapping[str, str] | None = None,
        origin: str = "code",
    ) -> RecordSchema:
        if kind in self._by_kind:
            raise DuplicateRegistration("record kind", kind, self._origin[kind], origin)
        if cls in self._by_cls:
            raise DuplicateRegistration(
                "record type", cls.__name__, self._origin[self._by_cls[cls].kind], origin
            )
        schema = RecordSchema(cls, kind, indexes, labels)
        self._by_kind[kind] = schema
        self._by_cls[cls] = schema
        self._origin[kind] = origin
        return schema

    def registrar(self, origin: str) -> Callable[..., None]:
        def register(
            cls: type[Any],
            *,
            kind: str,
            indexes: Iterable[str] = (),
            labels: Mapping[str, str] | None = None,
        ) -> None:
            self.register(cls, kind=kind, indexes=indexes, labels=labels, origin=origin)

        return register

    def for_class(self, cls: type[Any]) -> RecordSchema:
        try:
            return self._by_cls[cls]
        except KeyError:
            raise TypeError(
                f"{cls.__name__} is not a registered record type; register it through the "
                "register_record_types hook"
            ) from None

    def for_record(self, record: object) -> RecordSchema:
        return self.for_class(type(record))

    def for_kind(self, kind: str) -> RecordSchema:
        try:
            return self._by_kind[kind]
        except KeyError:
            raise TypeError(f"no record kind {kind!r} is registered") from None

    def origin(self, kind: str) -> str:
        return self._origin[kind]

    def __iter__(self) -> Iterator[RecordSchema]:
        return iter(self._by_kind.values())

    def __len__(self) -> int:
        return len(self._by_kind)

    def __contains__(self, item: object) -> bool:
        return item in self._by_cls or item in self._by_kind
