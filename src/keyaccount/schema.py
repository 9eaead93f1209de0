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

import functools
import json
import types
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
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
    """Fixed-width ISO 8601 in UTC (aware values in other zones are converted)."""
    return _aware_utc("datetime", value).isoformat(timespec="microseconds")


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
    #
    # Backends call ``values`` / ``from_values`` once per record, and bulk loads do that a
    # hundred thousand times, so each schema compiles one straight-line function per direction
    # (as attrs does for ``__init__``) instead of looping over fields and dispatching on the
    # column type for every value. Unusual values fall back to ``encode_value`` /
    # ``decode_value``, which define the behaviour.

    @functools.cached_property
    def _values_fn(self) -> Callable[[Any], tuple[Scalar, ...]]:
        cls_name = self.cls.__name__
        env: dict[str, Any] = {"_str": str, "_UTC": UTC}
        lines = ["def values(record):"]
        exprs: list[str] = []
        for i, spec in enumerate(self.fields):
            v = f"v{i}"
            lines.append(f"    {v} = record.{spec.name}")
            env[f"_e{i}"] = _encoder(f"{cls_name}.{spec.name}", spec)
            t = spec.column_type
            if t == ColumnType.MONEY:
                exprs.append(f"None if {v} is None else _str({v}.amount)")
                exprs.append(f"None if {v} is None else {v}.currency")
            elif t == ColumnType.TEXT:
                exprs.append(f"{v} if {v} is None or {v}.__class__ is _str else _e{i}({v})")
            elif t == ColumnType.INT:
                env["_int"] = int
                exprs.append(f"{v} if {v} is None or {v}.__class__ is _int else _e{i}({v})")
            elif t == ColumnType.DATETIME:
                exprs.append(
                    f"None if {v} is None else ({v}.isoformat(timespec='microseconds') "
                    f"if {v}.tzinfo is _UTC else _e{i}({v}))"
                )
            else:
                exprs.append(f"None if {v} is None else _e{i}({v})")
        lines.append("    return (" + "".join(f"\n        {e}," for e in exprs) + "\n    )")
        return typing.cast(Callable[[Any], tuple[Scalar, ...]], _compile(lines, env, "values"))

    def values(self, record: Any) -> tuple[Scalar, ...]:
        """The record as one scalar per column, in ``columns`` order."""
        return self._values_fn(record)

    def encode(self, record: Any) -> Row:
        """The record as a ``column -> scalar`` row."""
        return dict(zip(self.columns, self.values(record), strict=True))

    @functools.cached_property
    def _from_values_fn(self) -> Callable[[Sequence[Any]], Any]:
        cls_name = self.cls.__name__
        env: dict[str, Any] = {"_str": str, "_int": int, "_self": self}
        names = [f"r{i}" for i in range(len(self.columns))]
        lines = ["def from_values(values):"]
        lines.append(f"    ({''.join(n + ', ' for n in names)}) = values")
        lines.append("    kw = {}")
        i = 0
        for k, spec in enumerate(self.fields):
            r = names[i]
            qualified = f"{cls_name}.{spec.name}"
            missing = [] if spec.has_default else [f"        kw[{spec.name!r}] = None"]
            if spec.column_type == ColumnType.MONEY:
                cur = names[i + 1]
                i += 2
                env[f"_s{k}"] = spec
                lines.append(f"    if {r} is None and {cur} is None:")
                lines.extend(missing or ["        pass"])
                lines.append("    else:")
                lines.append(f"        _self._put_money(kw, _s{k}, {qualified!r}, {r}, {cur})")
                continue
            i += 1
            env[f"_d{k}"] = _decoder(qualified, spec)
            if spec.column_type == ColumnType.TEXT:
                expr = f"{r} if {r}.__class__ is _str else _d{k}({r})"
            elif spec.column_type == ColumnType.INT:
                expr = f"{r} if {r}.__class__ is _int else _d{k}({r})"
            else:
                expr = f"_d{k}({r})"
            lines.append(f"    if {r} is not None:")
            lines.append(f"        kw[{spec.name!r}] = {expr}")
            if missing:
                lines.append("    else:")
                lines.extend(missing)
        lines.append("    return _self._build(kw, values)")
        return typing.cast(Callable[[Sequence[Any]], Any], _compile(lines, env, "from_values"))

    def from_values(self, values: Sequence[Any]) -> Any:
        """Build the record from one scalar per column in ``columns`` order (SQL rows).

        Raises ``ValidationError`` naming ``Class.field`` (``Class.field_currency`` for a
        Money currency) for any unreadable or invalid value.
        """
        if len(values) != len(self.columns):
            raise ValidationError(
                self.cls.__name__, values, f"expected {len(self.columns)} column values"
            )
        return self._from_values_fn(values)

    def decode(self, row: Mapping[str, Any], *, text: bool = False) -> Any:
        """Build the record from a row; ``text=True`` for CSV, where every cell is a string
        and an empty cell means None. Errors as for ``from_values``."""
        get = row.get
        if text:
            return self.from_values([None if (v := get(c)) == "" else v for c in self.columns])
        return self.from_values([get(c) for c in self.columns])

    def _put_money(
        self, kwargs: dict[str, Any], spec: FieldSpec, qualified: str, raw: Any, cur: Any
    ) -> None:
        if raw is None and cur is None:
            if not spec.has_default:
                kwargs[spec.name] = None
            return
        if raw is None or cur is None:
            raise ValidationError(
                qualified if raw is None else f"{qualified}_currency",
                raw if cur is None else cur,
                "needs both an amount and a currency",
            )
        try:
            kwargs[spec.name] = Money(raw, cur)
        except ValidationError as err:
            field = f"{qualified}_currency" if err.field == "Money.currency" else qualified
            raise ValidationError(field, err.value, err.reason) from None

    def _build(self, kwargs: dict[str, Any], row: object) -> Any:
        try:
            return self.cls(**kwargs)
        except TypeError as err:
            shown = dict(row) if isinstance(row, Mapping) else row
            raise ValidationError(self.cls.__name__, shown, f"incomplete row: {err}") from None


def _compile(lines: list[str], env: dict[str, Any], name: str) -> Any:
    namespace = dict(env)
    exec(compile("\n".join(lines) + "\n", f"<keyaccount schema {name}>", "exec"), namespace)
    return namespace[name]


def _aware_utc(field: str, value: datetime) -> datetime:
    offset = value.utcoffset()
    if offset is None:
        raise ValidationError(field, value, "must be timezone-aware to be stored")
    if offset:
        return value.astimezone(UTC)
    return value


def _encoder(field: str, spec: FieldSpec) -> Callable[[Any], Scalar]:
    """A function encoding one non-None value of ``spec`` (Money is handled by the caller)."""
    t = spec.column_type
    if t == ColumnType.TEXT:
        return lambda v: v if type(v) is str else str(v)
    if t == ColumnType.DATETIME:
        # Stored in UTC at a fixed width, so text order is time order.
        return lambda v: _aware_utc(field, v).isoformat(timespec="microseconds")
    if t == ColumnType.DATE:
        return lambda v: str(v.isoformat())
    if t == ColumnType.ENUM:
        return lambda v: str(v.value) if isinstance(v, Enum) else str(v)
    if t == ColumnType.MONEY:
        return lambda v: str(v.amount)
    if t in (ColumnType.JSON, ColumnType.JSON_TUPLE):
        return _json_text
    return lambda v: encode_value(spec, v)


def _decoder(field: str, spec: FieldSpec) -> Callable[[Any], Any]:
    """A function decoding one non-None stored value of ``spec``; bad values raise
    ``ValidationError`` through ``decode_value``, which words the reason."""
    t = spec.column_type
    if t == ColumnType.TEXT:
        return lambda raw: raw if type(raw) is str else str(raw)
    if t == ColumnType.DATETIME:

        def dt(raw: Any) -> Any:
            if type(raw) is str and len(raw) == 32 and raw[-6] == "+":
                try:
                    return datetime.fromisoformat(raw)
                except ValueError:
                    pass
            return decode_value(field, spec, raw)

        return dt
    if t == ColumnType.ENUM and spec.enum_type is not None:
        enum_type = spec.enum_type

        def en(raw: Any) -> Any:
            try:
                return enum_type(raw)
            except ValueError:
                return decode_value(field, spec, raw)

        return en
    if t == ColumnType.DATE:

        def day(raw: Any) -> Any:
            if type(raw) is str and len(raw) == 10:
                try:
                    return date.fromisoformat(raw)
                except ValueError:
                    pass
            return decode_value(field, spec, raw)

        return day
    return lambda raw: decode_value(field, spec, raw)


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
        return _json_text(value)
    raise TypeError(f"cannot encode {t}")


# One encoder for every JSON column: Chinese stays readable, keys are sorted so equal values
# are equal text, and no spaces.
_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))


_quote = json.encoder.encode_basestring  # the C quoting JSONEncoder(ensure_ascii=False) uses


def _json_text(value: Any) -> str:
    # Tags and external ids (sequences of text, text-to-text maps) are nearly every JSON value
    # stored; quoting their strings directly is what the encoder would do, minus its set-up.
    cls = value.__class__
    if cls is tuple or cls is list:
        if all(item.__class__ is str for item in value):
            return "[" + ",".join(map(_quote, value)) + "]"
    elif cls is dict and all(k.__class__ is str and v.__class__ is str for k, v in value.items()):
        return "{" + ",".join(_quote(k) + ":" + _quote(value[k]) for k in sorted(value)) + "}"
    return _JSON.encode(list(value) if isinstance(value, tuple) else value)


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

    def snapshot(self) -> tuple[dict[str, Any], dict[type[Any], Any], dict[str, str]]:
        """The registrations as they are now, for ``restore`` after a plugin fails half-way."""
        return (dict(self._by_kind), dict(self._by_cls), dict(self._origin))

    def restore(
        self, snapshot: tuple[dict[str, Any], dict[type[Any], Any], dict[str, str]]
    ) -> None:
        by_kind, by_cls, origin = snapshot
        self._by_kind, self._by_cls, self._origin = dict(by_kind), dict(by_cls), dict(origin)

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
