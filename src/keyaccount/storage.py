"""The storage port: what services need from any backend, and the query vocabulary.

Services depend on the ``Store`` protocol only. Backends (``memory://``, ``csv://``,
``sqlite://`` and external ones) are registered through the ``register_storage_backends``
hook and opened by URL with ``keyaccount.open_store``.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol, TypeVar
from urllib.parse import parse_qsl, unquote, urlsplit

import attrs

from keyaccount.errors import UnknownStoreURL, ValidationError
from keyaccount.money import Money
from keyaccount.schema import RecordSchema, SchemaRegistry

R = TypeVar("R")

OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
    "in": lambda value, options: value in options,
}


@attrs.frozen
class Condition:
    """``field op value``; build them with ``eq``, ``ge``, ``between``... rather than directly."""

    field: str
    op: str = attrs.field(validator=attrs.validators.in_(tuple(OPERATORS)))
    value: Any

    def matches(self, record: object) -> bool:
        actual = getattr(record, self.field)
        if self.op == "in":
            return bool(actual in self.value)
        if actual is None or self.value is None:
            if self.op == "eq":
                return actual is self.value
            if self.op == "ne":
                return actual is not self.value
            return False
        if isinstance(actual, Money) and not isinstance(self.value, Money):
            actual = actual.amount
        return OPERATORS[self.op](actual, self.value)


def eq(field: str, value: Any) -> Condition:
    return Condition(field, "eq", value)


def ne(field: str, value: Any) -> Condition:
    return Condition(field, "ne", value)


def lt(field: str, value: Any) -> Condition:
    return Condition(field, "lt", value)


def le(field: str, value: Any) -> Condition:
    return Condition(field, "le", value)


def gt(field: str, value: Any) -> Condition:
    return Condition(field, "gt", value)


def ge(field: str, value: Any) -> Condition:
    return Condition(field, "ge", value)


def in_(field: str, values: Iterable[Any]) -> Condition:
    return Condition(field, "in", frozenset(values))


def between(field: str, start: Any, end: Any) -> tuple[Condition, Condition]:
    """Half-open range ``start <= field < end``, the usual shape for periods."""
    return (ge(field, start), lt(field, end))


def flatten(conditions: Iterable[Condition | tuple[Condition, ...]]) -> tuple[Condition, ...]:
    out: list[Condition] = []
    for c in conditions:
        if isinstance(c, tuple):
            out.extend(c)
        else:
            out.append(c)
    return tuple(out)


def parse_order(order_by: str | Sequence[str]) -> tuple[tuple[str, bool], ...]:
    """``("-occurred_at", "id")`` → ``(("occurred_at", True), ("id", False))`` (True = descending)."""
    keys = (order_by,) if isinstance(order_by, str) else tuple(order_by)
    return tuple((k[1:], True) if k.startswith("-") else (k, False) for k in keys)


def _sort_key(value: Any) -> tuple[int, Any]:
    # None sorts first, as in SQL; Money sorts by amount (mixed currencies raise).
    if value is None:
        return (0, 0)
    if isinstance(value, Money):
        return (1, value.amount)
    return (1, value)


def sort_records(records: list[R], order: tuple[tuple[str, bool], ...]) -> list[R]:
    """Stable multi-key sort; always finishes with ``id`` so every backend agrees on ties."""
    if not any(name == "id" for name, _ in order):
        order = (*order, ("id", False))
    if len(order) == 1:
        # The common case (no order given, so by id alone): ids are text, never None or
        # Money, so the plain attribute is the key, at a third of the general key's cost.
        # A backend with odd ids (a None among them) falls through to the general path.
        name, descending = order[0]
        try:
            records.sort(key=operator.attrgetter(name), reverse=descending)
        except TypeError:
            pass
        else:
            return records
    for name, descending in reversed(order):
        records.sort(key=lambda r: _sort_key(getattr(r, name)), reverse=descending)
    return records


@attrs.frozen
class StoreURL:
    """A parsed store URL: ``scheme://`` + path + ``?options``.

    ``path`` is everything between ``scheme://`` and ``?``, unquoted. File-based backends use
    ``local_path``: as with SQLAlchemy URLs, the slash after ``scheme://`` separates, so
    ``sqlite:///ka.db`` and ``sqlite://ka.db`` are relative to the working directory and
    ``sqlite:////var/data/ka.db`` (four slashes) is absolute.
    """

    raw: str
    scheme: str
    path: str
    options: Mapping[str, str] = attrs.field(factory=dict, hash=False)

    @classmethod
    def parse(cls, url: str) -> StoreURL:
        if "://" not in url:
            raise UnknownStoreURL(f"store URL {url!r} has no scheme; try 'sqlite:///path.db'")
        parts = urlsplit(url)
        path = unquote(parts.netloc + parts.path)
        return cls(
            raw=url, scheme=parts.scheme.lower(), path=path, options=dict(parse_qsl(parts.query))
        )

    @property
    def local_path(self) -> str:
        """The filesystem path the URL names (see the class docstring for the slash rule)."""
        path = self.path
        return path[1:] if path.startswith("/") else path

    def __str__(self) -> str:
        return self.raw


class Store(Protocol):
    """The storage port. Every backend passes ``keyaccount.testing`` storage conformance.

    Reads return frozen records; writes replace whole records by id (``put`` is an upsert).
    Outside a transaction every write commits on its own; ``put_many`` is all-or-nothing.
    """

    url: str
    schemas: SchemaRegistry

    def get(self, kind: type[R], record_id: str) -> R:
        """The record with ``record_id``; ``RecordNotFound`` if there is none."""
        ...

    def find(self, kind: type[R], record_id: str) -> R | None:
        """The record with ``record_id`` or ``None``."""
        ...

    def get_many(self, kind: type[R], record_ids: Iterable[str]) -> dict[str, R]:
        """The records that exist among ``record_ids``, keyed by id."""
        ...

    def put(self, record: object) -> None:
        """Insert or replace one record."""
        ...

    def put_many(self, records: Iterable[object]) -> int:
        """Insert or replace many records atomically; returns how many were written."""
        ...

    def delete(self, kind: type[Any], record_id: str) -> None:
        """Delete one record; ``RecordNotFound`` if there is none."""
        ...

    def query(
        self,
        kind: type[R],
        *conditions: Condition | tuple[Condition, ...],
        order_by: str | Sequence[str] = (),
        limit: int | None = None,
    ) -> Iterator[R]:
        """Stream the records matching every condition, ordered (``id`` breaks ties).

        Do not write records of the same kind while consuming the iterator; collect first.
        """
        ...

    def count(self, kind: type[Any], *conditions: Condition | tuple[Condition, ...]) -> int:
        """How many records match."""
        ...

    def transaction(self) -> AbstractContextManager[None]:
        """A unit of work: commits when the block succeeds, rolls back if it raises. Nests."""
        ...

    def close(self) -> None:
        """Release files and connections. Further use raises ``StorageError``."""
        ...


class RegisterStorageBackend(Protocol):
    def __call__(
        self,
        scheme: str,
        factory: Callable[[StoreURL, SchemaRegistry], Store],
        *,
        description: str = "",
    ) -> None: ...


def checked_conditions(
    schema: RecordSchema, conditions: Iterable[Condition | tuple[Condition, ...]]
) -> tuple[Condition, ...]:
    """Flatten a query's conditions and reject fields the record type does not have."""
    conds = flatten(conditions)
    check_fields(schema.by_name, schema.cls.__name__, [c.field for c in conds])
    return conds


def checked_order(
    schema: RecordSchema, order_by: str | Sequence[str]
) -> tuple[tuple[str, bool], ...]:
    """Parse ``order_by`` and reject fields the record type does not have."""
    order = parse_order(order_by)
    check_fields(schema.by_name, schema.cls.__name__, [name for name, _ in order])
    return order


def check_fields(schema_fields: Mapping[str, Any], kind_name: str, names: Iterable[str]) -> None:
    for name in names:
        if name not in schema_fields:
            raise ValidationError(kind_name, name, "has no such field to filter or order on")
