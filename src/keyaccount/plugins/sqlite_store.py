"""``sqlite:///path.db``: the embedded default store, on the standard library's sqlite3.

One table per record kind, named after the kind, with the columns ``RecordSchema`` derives and
an index per ``schema.indexes`` field. Tables of kinds registered after the file was opened
(by late plugins) are created when first used; columns a record type gained since the table
was created are added then too.

The file itself is versioned: ``schema_version`` holds the number of ``MIGRATIONS`` applied,
and opening a file applies the missing ones in order, in one transaction.

Conditions and ordering on columns whose stored form sorts like the value
(``FieldSpec.orderable_in_storage``) run in SQL and use the indexes; the rest (Money, Decimal,
JSON fields, or values of an unexpected type) are applied in Python after decoding, with the
same semantics as ``memory://``.

Threads: a store is confined to the thread that opened it (sqlite3 enforces it and the error
becomes ``StorageError``). Open one store per thread; WAL lets them read while one writes.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Any, TypeVar

from keyaccount.errors import RecordNotFound, StorageError
from keyaccount.hookspecs import hookimpl
from keyaccount.schema import ColumnType, FieldSpec, RecordSchema, SchemaRegistry, format_datetime
from keyaccount.storage import (
    Condition,
    RegisterStorageBackend,
    StoreURL,
    checked_conditions,
    checked_order,
    sort_records,
)

R = TypeVar("R")

FETCH_SIZE = 1000
# Rows buffered per kind before put_many hands them to executemany.
WRITE_CHUNK = 10_000
# Above this many ids/values, look-ups bind one JSON array instead of one parameter each.
MAX_INLINE_PARAMS = 500
INTERNAL_TABLES = frozenset({"schema_version", "record_kinds"})

_SQL_TYPES = {ColumnType.INT: "INTEGER", ColumnType.BOOL: "INTEGER"}


def q(name: str) -> str:
    """Quote an identifier (kinds such as ``transaction`` are SQL keywords)."""
    return '"' + name.replace('"', '""') + '"'


def index_name(kind: str, field: str) -> str:
    return f"ix_{kind}_{field}"


# -- migrations of the file layout -----------------------------------------------------------
# Each function moves a file from version i to i + 1. Append only; never edit a released one.


def _v1_record_kinds(conn: sqlite3.Connection) -> None:
    """Catalogue the record tables, so tools can tell record tables from anything else."""
    conn.execute(
        "CREATE TABLE record_kinds (kind TEXT PRIMARY KEY NOT NULL, columns TEXT NOT NULL)"
    )


def _v2_kind_indexes(conn: sqlite3.Connection) -> None:
    """Remember the indexes keyaccount made, so an index a record type no longer asks for is
    dropped instead of slowing every write forever."""
    conn.execute("ALTER TABLE record_kinds ADD COLUMN indexes TEXT NOT NULL DEFAULT '[]'")
    kinds = [row[0] for row in conn.execute("SELECT kind FROM record_kinds")]
    for kind in kinds:
        prefix = f"ix_{kind}_"
        made = sorted(
            name[len(prefix) :]
            for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?", (kind,)
            )
            if name.startswith(prefix)
        )
        conn.execute("UPDATE record_kinds SET indexes = ? WHERE kind = ?", (json.dumps(made), kind))


MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (
    _v1_record_kinds,
    _v2_kind_indexes,
)
SCHEMA_VERSION = len(MIGRATIONS)


def file_version(conn: sqlite3.Connection) -> int:
    """The layout version of an open file; 0 for a file keyaccount never initialised."""
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
    ).fetchone()
    if not exists:
        return 0
    row = conn.execute("SELECT version FROM schema_version").fetchone()
    return int(row[0]) if row else 0


def migrate(
    conn: sqlite3.Connection, migrations: Sequence[Callable[..., None]] = MIGRATIONS
) -> int:
    """Apply the migrations a file lacks, all in one transaction; returns the new version."""
    if file_version(conn) == len(migrations):
        return len(migrations)  # the usual case; no write lock, so readers never wait here
    conn.execute("BEGIN IMMEDIATE")
    try:
        current = file_version(conn)
        if current > len(migrations):
            raise StorageError(
                f"the database has layout version {current}, newer than this keyaccount "
                f"understands ({len(migrations)}); upgrade keyaccount"
            )
        if current == 0:
            conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            conn.execute("DELETE FROM schema_version")
            conn.execute("INSERT INTO schema_version (version) VALUES (0)")
        for step in migrations[current:]:
            step(conn)
        conn.execute("UPDATE schema_version SET version = ?", (len(migrations),))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return len(migrations)


# -- conditions ------------------------------------------------------------------------------


class _NotPushable(Exception):
    """The value cannot be compared in SQL with the same result as in Python."""


def _sql_value(spec: FieldSpec, value: Any) -> Any:
    """``value`` in its stored form, if comparing stored forms gives Python's answer."""
    t = spec.column_type
    if t == ColumnType.TEXT and isinstance(value, str):
        return str(value)
    if t == ColumnType.INT and isinstance(value, int) and not isinstance(value, bool):
        return value
    if t == ColumnType.BOOL and isinstance(value, bool):
        return int(value)
    if t == ColumnType.DATETIME and isinstance(value, datetime) and value.utcoffset() is not None:
        return format_datetime(value)
    if t == ColumnType.DATE and isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    if t == ColumnType.ENUM and spec.enum_type is not None:
        if isinstance(value, spec.enum_type):
            return str(value.value)
        if (
            isinstance(value, str)
            and not isinstance(value, Enum)
            and issubclass(spec.enum_type, str)
        ):
            return value
    raise _NotPushable


_COMPARE = {"lt": "<", "le": "<=", "gt": ">", "ge": ">="}


def _condition_sql(spec: FieldSpec, cond: Condition) -> tuple[str, list[Any]]:
    col = q(spec.name)
    if cond.op == "in":
        values = list(cond.value)
        has_none = any(v is None for v in values)
        encoded = [_sql_value(spec, v) for v in values if v is not None]
        parts: list[str] = []
        params: list[Any] = []
        if len(encoded) > MAX_INLINE_PARAMS:
            parts.append(f"{col} IN (SELECT value FROM json_each(?))")
            params.append(json.dumps(encoded))
        elif encoded:
            parts.append(f"{col} IN ({', '.join('?' * len(encoded))})")
            params.extend(encoded)
        if has_none:
            parts.append(f"{col} IS NULL")
        if not parts:
            return "0", []
        return "(" + " OR ".join(parts) + ")", params
    if cond.value is None:
        if cond.op == "eq":
            return f"{col} IS NULL", []
        if cond.op == "ne":
            return f"{col} IS NOT NULL", []
        return "0", []  # nothing is less or greater than None
    value = _sql_value(spec, cond.value)
    if cond.op == "eq":
        return f"{col} = ?", [value]
    if cond.op == "ne":
        # IS NOT keeps rows holding NULL, as Python's ``None != value`` does.
        return f"{col} IS NOT ?", [value]
    return f"{col} {_COMPARE[cond.op]} ?", [value]


def plan_where(
    schema: RecordSchema, conds: Sequence[Condition]
) -> tuple[str, list[Any], list[Condition]]:
    """Split conditions into a SQL ``WHERE`` clause and those left to check in Python."""
    clauses: list[str] = []
    params: list[Any] = []
    rest: list[Condition] = []
    for cond in conds:
        spec = schema.by_name[cond.field]
        if not spec.orderable_in_storage:
            rest.append(cond)
            continue
        try:
            sql, values = _condition_sql(spec, cond)
        except _NotPushable:
            rest.append(cond)
            continue
        clauses.append(sql)
        params.extend(values)
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    return where, params, rest


def plan_order(schema: RecordSchema, order: Sequence[tuple[str, bool]]) -> str | None:
    """The SQL ``ORDER BY`` for ``order`` (``id`` breaks ties), or None if Python must sort."""
    if not all(schema.by_name[name].orderable_in_storage for name, _ in order):
        return None
    keys = list(order)
    if not any(name == "id" for name, _ in keys):
        keys.append(("id", False))
    return " ORDER BY " + ", ".join(f"{q(n)}{' DESC' if d else ''}" for n, d in keys)


# -- the store -------------------------------------------------------------------------------


class SqliteStore:
    """A ``Store`` in one SQLite file (or ``:memory:``)."""

    def __init__(self, schemas: SchemaRegistry, path: str, url: str | None = None) -> None:
        self.schemas = schemas
        self.path = path
        self.url = url or f"sqlite:///{path}"
        self._depth = 0
        self._closed = False
        self._ready: dict[str, tuple[str, str, str]] = {}
        if path != ":memory:":
            parent = Path(path).parent
            if not parent.is_dir():
                raise StorageError(f"{self.url}: directory {str(parent)!r} does not exist")
        try:
            # isolation_level=None: sqlite3 never opens transactions behind our back; units of
            # work issue BEGIN / SAVEPOINT themselves so nesting and rollback are exact.
            self._conn = sqlite3.connect(path, isolation_level=None, timeout=10.0)
        except sqlite3.Error as err:
            raise StorageError(f"{self.url}: cannot open: {err}") from None
        try:
            with self._errors():
                if path != ":memory:":
                    mode = self._conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
                    if str(mode).lower() != "wal":
                        raise StorageError(f"{self.url}: cannot switch to WAL (got {mode})")
                # NORMAL is durable across application crashes in WAL mode and much faster
                # than FULL; only a power loss can drop the last commits.
                self._conn.execute("PRAGMA synchronous=NORMAL")
                migrate(self._conn)
        except BaseException:
            self._conn.close()
            raise

    def __repr__(self) -> str:
        return f"SqliteStore({self.url!r})"

    # -- internals ---------------------------------------------------------------------------

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """Translate sqlite3's errors into the port's ``StorageError``."""
        try:
            yield
        except sqlite3.ProgrammingError as err:
            if "thread" in str(err):
                raise StorageError(
                    f"{self.url}: a store belongs to the thread that opened it; open one store "
                    "per thread"
                ) from None
            raise StorageError(f"{self.url}: {err}") from None
        except sqlite3.Error as err:
            raise StorageError(f"{self.url}: {err}") from None

    def _check_open(self) -> None:
        if self._closed:
            raise StorageError(f"{self!r} is closed")

    def _schema(self, kind: type[Any]) -> RecordSchema:
        self._check_open()
        schema = self.schemas.for_class(kind)
        self._ensure(schema)
        return schema

    def _ensure(self, schema: RecordSchema) -> tuple[str, str, str]:
        """Create or widen the kind's table and indexes once per connection; returns the
        (select list, insert statement, table) for the kind."""
        ready = self._ready.get(schema.kind)
        if ready is not None:
            return ready
        if schema.kind in INTERNAL_TABLES:
            raise StorageError(f"record kind {schema.kind!r} clashes with an internal table")
        table = q(schema.kind)
        wanted = sorted(f for f in schema.indexes if f != "id")
        with self._errors():
            if not self._is_current(schema, wanted):
                with self.transaction():
                    self._create_or_widen(schema, wanted)
        select = ", ".join(q(c) for c in schema.columns)
        insert = (
            f"INSERT OR REPLACE INTO {table} ({select}) "
            f"VALUES ({', '.join('?' * len(schema.columns))})"
        )
        ready = (select, insert, table)
        self._ready[schema.kind] = ready
        return ready

    def _is_current(self, schema: RecordSchema, wanted: list[str]) -> bool:
        """Whether the kind's table, columns and indexes are as the schema wants (reads only,
        so a reader opening a file never waits for a writer's lock)."""
        conn = self._conn
        row = conn.execute(
            "SELECT columns, indexes FROM record_kinds WHERE kind = ?", (schema.kind,)
        ).fetchone()
        if row is None or json.loads(row[1]) != wanted:
            return False
        have = {r[1] for r in conn.execute(f"PRAGMA table_info({q(schema.kind)})")}
        if not set(schema.columns) <= have:
            return False
        names = {
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?",
                (schema.kind,),
            )
        }
        return all(index_name(schema.kind, f) in names for f in wanted)

    def _create_or_widen(self, schema: RecordSchema, wanted: list[str]) -> None:
        table = q(schema.kind)
        conn = self._conn
        defs = ", ".join(
            f"{q(c)} {self._column_type(schema, c)}"
            + (" PRIMARY KEY NOT NULL" if c == "id" else "")
            for c in schema.columns
        )
        conn.execute(f"CREATE TABLE IF NOT EXISTS {table} ({defs})")
        have = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
        for column in schema.columns:
            if column not in have:
                conn.execute(
                    f"ALTER TABLE {table} ADD COLUMN {q(column)} "
                    f"{self._column_type(schema, column)}"
                )
        row = conn.execute(
            "SELECT indexes FROM record_kinds WHERE kind = ?", (schema.kind,)
        ).fetchone()
        before = set(json.loads(row[0])) if row else set()
        for field in before - set(wanted):
            conn.execute(f"DROP INDEX IF EXISTS {q(index_name(schema.kind, field))}")
        for field in wanted:
            cols = ", ".join(q(c) for c in schema.by_name[field].columns)
            conn.execute(
                f"CREATE INDEX IF NOT EXISTS {q(index_name(schema.kind, field))} "
                f"ON {table} ({cols})"
            )
        conn.execute(
            "INSERT OR REPLACE INTO record_kinds (kind, columns, indexes) VALUES (?, ?, ?)",
            (schema.kind, json.dumps(list(schema.columns)), json.dumps(wanted)),
        )

    @staticmethod
    def _column_type(schema: RecordSchema, column: str) -> str:
        spec = schema.by_name.get(column)
        return _SQL_TYPES.get(spec.column_type, "TEXT") if spec is not None else "TEXT"

    # -- units of work -----------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self._check_open()
        depth = self._depth
        savepoint = f"ka_{depth}"
        with self._errors():
            # IMMEDIATE takes the write lock up front, so two writers queue on the busy
            # timeout instead of one failing when it upgrades a read lock.
            self._conn.execute("BEGIN IMMEDIATE" if depth == 0 else f"SAVEPOINT {savepoint}")
        self._depth = depth + 1
        try:
            yield
        except BaseException:
            self._depth = depth
            if self._closed:
                raise  # close() already rolled the whole transaction back
            self._undo(depth, savepoint)
            raise
        self._depth = depth
        if self._closed:
            raise StorageError(f"{self!r} was closed inside a unit of work; it was rolled back")
        try:
            with self._errors():
                self._conn.execute("COMMIT" if depth == 0 else f"RELEASE {savepoint}")
        except StorageError:
            # A failed COMMIT (disk full, I/O error) leaves SQLite's transaction open; undo
            # it so the store stays usable and nothing half-done is committed later.
            self._undo(depth, savepoint)
            raise

    def _undo(self, depth: int, savepoint: str) -> None:
        with self._errors():
            if depth == 0:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
            else:
                self._conn.execute(f"ROLLBACK TO {savepoint}")
                self._conn.execute(f"RELEASE {savepoint}")
        # Tables created inside the undone work are gone again; re-check on next use.
        self._ready.clear()

    # -- the port ----------------------------------------------------------------------------

    def get(self, kind: type[R], record_id: str) -> R:
        found = self.find(kind, record_id)
        if found is None:
            raise RecordNotFound(self.schemas.for_class(kind).kind, record_id)
        return found

    def find(self, kind: type[R], record_id: str) -> R | None:
        schema = self._schema(kind)
        select, _, table = self._ensure(schema)
        with self._errors():
            row = self._conn.execute(
                f"SELECT {select} FROM {table} WHERE id = ?", (record_id,)
            ).fetchone()
        if row is None:
            return None
        record: R = schema.from_values(row)
        return record

    def get_many(self, kind: type[R], record_ids: Iterable[str]) -> dict[str, R]:
        schema = self._schema(kind)
        select, _, table = self._ensure(schema)
        wanted = list(dict.fromkeys(record_ids))
        found: dict[str, R] = {}
        with self._errors():
            for start in range(0, len(wanted), MAX_INLINE_PARAMS):
                chunk = wanted[start : start + MAX_INLINE_PARAMS]
                marks = ", ".join("?" * len(chunk))
                for row in self._conn.execute(
                    f"SELECT {select} FROM {table} WHERE id IN ({marks})", chunk
                ):
                    record = schema.from_values(row)
                    found[record.id] = record
        return {rid: found[rid] for rid in wanted if rid in found}

    def put(self, record: object) -> None:
        self.put_many((record,))

    def put_many(self, records: Iterable[object]) -> int:
        self._check_open()
        count = 0
        pending: dict[str, tuple[str, list[tuple[Any, ...]]]] = {}
        with self.transaction(), self._errors():
            for record in records:
                schema = self.schemas.for_record(record)
                batch = pending.get(schema.kind)
                if batch is None:
                    batch = pending[schema.kind] = (self._ensure(schema)[1], [])
                batch[1].append(schema.values(record))
                count += 1
                if len(batch[1]) >= WRITE_CHUNK:
                    self._conn.executemany(batch[0], batch[1])
                    batch[1].clear()
            for insert, rows in pending.values():
                if rows:
                    self._conn.executemany(insert, rows)
        return count

    def delete(self, kind: type[Any], record_id: str) -> None:
        schema = self._schema(kind)
        _, _, table = self._ensure(schema)
        with self.transaction(), self._errors():
            cur = self._conn.execute(f"DELETE FROM {table} WHERE id = ?", (record_id,))
            if cur.rowcount == 0:
                raise RecordNotFound(schema.kind, record_id)

    def query(
        self,
        kind: type[R],
        *conditions: Condition | tuple[Condition, ...],
        order_by: str | Sequence[str] = (),
        limit: int | None = None,
    ) -> Iterator[R]:
        schema = self._schema(kind)
        conds = checked_conditions(schema, conditions)
        order = checked_order(schema, order_by)
        sql, params, rest, order_sql = self.plan(schema, conds, order, limit)
        with self._errors():
            cursor = self._conn.execute(sql, params)
        records = self._stream(schema, cursor, rest)
        if order_sql is None:
            # Python must sort, so everything matching has to be read first.
            ordered = sort_records(list(records), order)
            return iter(ordered if limit is None else ordered[:limit])
        if rest and limit is not None:
            return itertools.islice(records, limit)
        return records

    def plan(
        self,
        schema: RecordSchema,
        conds: Sequence[Condition],
        order: Sequence[tuple[str, bool]],
        limit: int | None,
    ) -> tuple[str, list[Any], list[Condition], str | None]:
        """The SELECT for a query, its parameters, the conditions left for Python, and the
        ORDER BY clause (None when Python sorts). Public so tests can EXPLAIN it."""
        select, _, table = self._ensure(schema)
        where, params, rest = plan_where(schema, conds)
        order_sql = plan_order(schema, order)
        sql = f"SELECT {select} FROM {table}{where}"
        if order_sql is not None:
            sql += order_sql
            if limit is not None and not rest:
                sql += " LIMIT ?"
                params = [*params, max(limit, 0)]
        return sql, params, rest, order_sql

    def _stream(
        self, schema: RecordSchema, cursor: sqlite3.Cursor, rest: Sequence[Condition]
    ) -> Iterator[Any]:
        decode = schema.from_values
        try:
            while True:
                with self._errors():
                    rows = cursor.fetchmany(FETCH_SIZE)
                if not rows:
                    return
                for row in rows:
                    record = decode(row)
                    if all(c.matches(record) for c in rest):
                        yield record
        finally:
            # The store may have been closed under a half-read iterator; nothing to release.
            with contextlib.suppress(sqlite3.Error):
                cursor.close()

    def count(self, kind: type[Any], *conditions: Condition | tuple[Condition, ...]) -> int:
        schema = self._schema(kind)
        conds = checked_conditions(schema, conditions)
        _, _, table = self._ensure(schema)
        where, params, rest = plan_where(schema, conds)
        if not rest:
            with self._errors():
                row = self._conn.execute(f"SELECT COUNT(*) FROM {table}{where}", params).fetchone()
            return int(row[0])
        select = self._ensure(schema)[0]
        with self._errors():
            cursor = self._conn.execute(f"SELECT {select} FROM {table}{where}", params)
        return sum(1 for _ in self._stream(schema, cursor, rest))

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            self._conn.close()
        except sqlite3.Error as err:
            raise StorageError(f"{self.url}: error while closing: {err}") from None

    def __enter__(self) -> SqliteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_sqlite(url: StoreURL, schemas: SchemaRegistry) -> SqliteStore:
    path = url.local_path
    if not path:
        raise StorageError(f"{url.raw!r} names no file; try 'sqlite:///keyaccount.db'")
    return SqliteStore(schemas, path, url.raw)


@hookimpl
def register_storage_backends(register: RegisterStorageBackend) -> None:
    register(
        "sqlite",
        open_sqlite,
        description="SQLite file (stdlib sqlite3, WAL, versioned layout); the embedded default",
    )
