"""What the SQLite backend does beyond the conformance suite: WAL, the versioned layout and
its migrations, indexes, SQL pushdown, streaming, bulk writes in one transaction, threads."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest

from keyaccount.errors import StorageError
from keyaccount.host import PluginHost
from keyaccount.models import Customer, Transaction
from keyaccount.money import Money
from keyaccount.plugins import sqlite_store
from keyaccount.plugins.sqlite_store import (
    MIGRATIONS,
    SCHEMA_VERSION,
    SqliteStore,
    file_version,
    migrate,
)
from keyaccount.schema import SchemaRegistry
from keyaccount.storage import between, eq, ge, in_, ne, parse_order
from keyaccount.testing.storage import T0, customer, order


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "ka.db"


@pytest.fixture
def store(host: PluginHost, db: Path) -> Iterator[SqliteStore]:
    s = host.open_store(f"sqlite:///{db}")
    assert isinstance(s, SqliteStore)
    yield s
    s.close()


def raw(db: Path) -> sqlite3.Connection:
    return sqlite3.connect(db, isolation_level=None)


# -- file layout -------------------------------------------------------------------------------


def test_wal_mode_is_on(store: SqliteStore, db: Path) -> None:
    store.put(customer(1))
    assert raw(db).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_new_file_is_at_current_version(store: SqliteStore, db: Path) -> None:
    conn = raw(db)
    assert file_version(conn) == SCHEMA_VERSION == len(MIGRATIONS)
    assert conn.execute("SELECT COUNT(*) FROM schema_version").fetchone()[0] == 1


def test_one_table_per_kind_with_columns_and_indexes(store: SqliteStore, db: Path) -> None:
    store.put(customer(1))
    conn = raw(db)
    columns = [row[1] for row in conn.execute('PRAGMA table_info("customer")')]
    assert columns == list(store.schemas.for_class(Customer).columns)
    indexes = {row[1] for row in conn.execute('PRAGMA index_list("customer")')}
    for field in ("owner_id", "team", "tier", "status", "credit_code", "name"):
        assert f"ix_customer_{field}" in indexes
    catalogue = conn.execute(
        "SELECT columns, indexes FROM record_kinds WHERE kind = 'customer'"
    ).fetchone()
    assert json.loads(catalogue[0]) == columns
    assert json.loads(catalogue[1]) == sorted(
        ["owner_id", "team", "tier", "status", "credit_code", "name"]
    )
    # the "transaction" kind is an SQL keyword and still works
    store.put(order(1, "cus_001", T0, "1"))
    assert conn.execute('SELECT COUNT(*) FROM "transaction"').fetchone()[0] == 1


def test_money_index_covers_amount_and_currency(host: PluginHost, db: Path) -> None:
    @attrs.frozen
    class Priced:
        id: str
        price: Money

    schemas = SchemaRegistry()
    schemas.register(Priced, kind="priced", indexes=("price",))
    with SqliteStore(schemas, str(db)) as s:
        s.put(Priced("p1", Money("1", "CNY")))
    cols = [row[2] for row in raw(db).execute('PRAGMA index_info("ix_priced_price")')]
    assert cols == ["price", "price_currency"]


# -- migrations --------------------------------------------------------------------------------


def make_version_1_file(path: Path, host: PluginHost) -> None:
    """A file as the first released layout left it: no index catalogue column."""
    conn = raw(path)
    migrate(conn, MIGRATIONS[:1])
    schema = host.record_types().for_class(Customer)
    cols = ", ".join(f'"{c}" TEXT' for c in schema.columns)
    conn.execute(f'CREATE TABLE "customer" ({cols}, PRIMARY KEY ("id"))')
    conn.execute('CREATE INDEX "ix_customer_owner_id" ON "customer" ("owner_id")')
    conn.execute('CREATE INDEX "ix_customer_region" ON "customer" ("region")')
    conn.execute("CREATE INDEX unrelated ON customer (industry)")
    marks = ", ".join("?" * len(schema.columns))
    conn.execute(f'INSERT INTO "customer" VALUES ({marks})', schema.values(customer(1)))
    conn.execute(
        "INSERT INTO record_kinds (kind, columns) VALUES ('customer', ?)",
        (json.dumps(list(schema.columns)),),
    )
    conn.close()


def test_old_file_is_upgraded_on_open(host: PluginHost, db: Path) -> None:
    make_version_1_file(db, host)
    assert file_version(raw(db)) == 1
    store = host.open_store(f"sqlite:///{db}")
    try:
        assert file_version(raw(db)) == SCHEMA_VERSION
        assert store.get(Customer, "cus_001") == customer(1)
        conn = raw(db)
        indexes = {row[1] for row in conn.execute('PRAGMA index_list("customer")')}
        # v2 recorded the indexes keyaccount had made; the one no longer asked for is dropped,
        # the ones asked for are made, and an index someone else made is left alone.
        assert "ix_customer_region" not in indexes
        assert {"ix_customer_owner_id", "ix_customer_tier", "unrelated"} <= indexes
        recorded = conn.execute("SELECT indexes FROM record_kinds WHERE kind='customer'")
        assert "region" not in json.loads(recorded.fetchone()[0])
    finally:
        store.close()


def test_migration_backfills_recorded_indexes(host: PluginHost, db: Path) -> None:
    make_version_1_file(db, host)
    conn = raw(db)
    migrate(conn)
    row = conn.execute("SELECT indexes FROM record_kinds WHERE kind = 'customer'").fetchone()
    assert json.loads(row[0]) == ["owner_id", "region"]


def test_reopening_current_file_changes_nothing(host: PluginHost, db: Path) -> None:
    host.open_store(f"sqlite:///{db}").close()
    before = raw(db).execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall()
    host.open_store(f"sqlite:///{db}").close()
    assert raw(db).execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall() == before


def test_file_from_newer_keyaccount_is_refused(host: PluginHost, db: Path) -> None:
    host.open_store(f"sqlite:///{db}").close()
    raw(db).execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    with pytest.raises(StorageError, match="newer"):
        host.open_store(f"sqlite:///{db}")


def test_failed_migration_rolls_back_to_old_version(host: PluginHost, db: Path) -> None:
    make_version_1_file(db, host)

    def broken(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE half_done (x)")
        raise RuntimeError("migration bug")

    conn = raw(db)
    with pytest.raises(RuntimeError):
        migrate(conn, [*MIGRATIONS, broken])
    assert file_version(conn) == 1
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert "half_done" not in names


def test_kind_registered_later_gets_its_table(host: PluginHost, db: Path) -> None:
    @attrs.frozen
    class Visit:
        id: str
        at: datetime

    store = host.open_store(f"sqlite:///{db}")
    store.put(customer(1))
    store.schemas.register(Visit, kind="visit", indexes=("at",))
    store.put(Visit("v1", T0))
    assert store.get(Visit, "v1") == Visit("v1", T0)
    store.close()
    assert raw(db).execute('SELECT COUNT(*) FROM "visit"').fetchone()[0] == 1


def test_record_type_gaining_a_field_gets_the_column(db: Path) -> None:
    @attrs.frozen
    class NoteV1:
        id: str
        text: str

    @attrs.frozen
    class NoteV2:
        id: str
        text: str
        lang: str | None = None

    old = SchemaRegistry()
    old.register(NoteV1, kind="note")
    with SqliteStore(old, str(db)) as s:
        s.put(NoteV1("n1", "旧"))
    new = SchemaRegistry()
    new.register(NoteV2, kind="note", indexes=("lang",))
    with SqliteStore(new, str(db)) as s:
        assert s.get(NoteV2, "n1") == NoteV2("n1", "旧", None)
        s.put(NoteV2("n2", "新", "zh"))
        assert [n.id for n in s.query(NoteV2, eq("lang", "zh"))] == ["n2"]


def test_kind_clashing_with_internal_table_is_refused(db: Path) -> None:
    @attrs.frozen
    class Odd:
        id: str

    schemas = SchemaRegistry()
    schemas.register(Odd, kind="schema_version")
    with SqliteStore(schemas, str(db)) as s, pytest.raises(StorageError, match="internal"):
        s.put(Odd("x"))


# -- pushdown ----------------------------------------------------------------------------------


def plan_of(
    store: SqliteStore, kind: type[Any], *conds: Any, order_by: Any = (), limit: Any = None
) -> tuple[str, list[Any], list[Any], str | None]:
    schema = store.schemas.for_class(kind)
    flat = []
    for c in conds:
        flat.extend(c if isinstance(c, tuple) else (c,))
    return store.plan(schema, flat, parse_order(order_by), limit)


def explain(store: SqliteStore, sql: str, params: list[Any]) -> str:
    rows = store._conn.execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall()
    return " | ".join(str(r[-1]) for r in rows)


def test_owner_filter_uses_its_index(store: SqliteStore) -> None:
    store.put_many(customer(n, owner=f"usr_{n % 3}") for n in range(1, 50))
    sql, params, rest, _ = plan_of(store, Customer, eq("owner_id", "usr_1"))
    assert rest == []
    assert "ix_customer_owner_id" in explain(store, sql, params)


def test_date_range_and_order_run_in_sql(store: SqliteStore) -> None:
    sql, params, rest, order_sql = plan_of(
        store,
        Transaction,
        between("occurred_at", T0, T0 + timedelta(days=7)),
        order_by="-occurred_at",
        limit=10,
    )
    assert rest == []
    assert order_sql is not None
    assert sql.endswith('ORDER BY "occurred_at" DESC, "id" LIMIT ?')
    assert params == [
        "2026-01-01T08:30:00.123456+00:00",
        "2026-01-08T08:30:00.123456+00:00",
        10,
    ]
    assert "ix_transaction_occurred_at" in explain(store, sql, params)


def test_customer_filter_uses_its_index(store: SqliteStore) -> None:
    sql, params, _, _ = plan_of(store, Transaction, eq("customer_id", "cus_001"))
    assert "ix_transaction_customer_id" in explain(store, sql, params)


def test_money_and_odd_values_are_filtered_in_python(store: SqliteStore) -> None:
    naive = datetime(2026, 1, 1)  # deliberately naive
    sql, params, rest, order_sql = plan_of(
        store,
        Transaction,
        ge("amount", Decimal("10")),
        eq("customer_id", "cus_1"),
        eq("occurred_at", naive),
        order_by="amount",
    )
    assert [c.field for c in rest] == ["amount", "occurred_at"]
    assert order_sql is None
    assert params == ["cus_1"]
    assert "LIMIT" not in sql


def test_ne_and_in_with_none_translate_null_safely(store: SqliteStore) -> None:
    sql, _, rest, _ = plan_of(store, Customer, ne("tier", "A"), in_("owner_id", ["u", None]))
    assert rest == []
    assert '"tier" IS NOT ?' in sql
    assert '"owner_id" IN (?) OR "owner_id" IS NULL' in sql


def test_large_in_binds_one_json_array(store: SqliteStore) -> None:
    wanted = [f"cus_{n:03d}" for n in range(2000)]
    sql, params, _, _ = plan_of(store, Customer, in_("id", wanted))
    assert "json_each" in sql
    assert len(params) == 1
    store.put_many(customer(n) for n in (1, 5, 999))
    assert [c.id for c in store.query(Customer, in_("id", wanted))] == [
        "cus_001",
        "cus_005",
        "cus_999",
    ]


def test_limit_with_python_filter_stops_early(store: SqliteStore) -> None:
    store.put_many(customer(n, revenue=str(n)) for n in range(1, 30))
    got = store.query(Customer, ge("annual_revenue", Decimal("10")), order_by="id", limit=3)
    assert [c.id for c in got] == ["cus_010", "cus_011", "cus_012"]


# -- streaming and bulk ------------------------------------------------------------------------


def test_query_decodes_one_record_per_step(
    store: SqliteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.put_many(customer(n) for n in range(1, 2501))
    schema = store.schemas.for_class(Customer)
    decoded = 0
    real = schema.from_values

    def counting(values: Any) -> Any:
        nonlocal decoded
        decoded += 1
        return real(values)

    monkeypatch.setattr(schema, "from_values", counting)
    monkeypatch.setattr(sqlite_store, "FETCH_SIZE", 100)
    result = store.query(Customer, order_by="-created_at")
    assert decoded == 0
    assert next(result).id == "cus_2500"
    assert decoded == 1
    assert next(result).id == "cus_2499"
    assert decoded == 2
    assert sum(1 for _ in result) == 2498
    assert decoded == 2500


@pytest.mark.slow
def test_bulk_put_many_is_one_transaction(store: SqliteStore) -> None:
    statements: list[str] = []

    def trace(sql: str) -> None:
        if not sql.startswith("INSERT"):
            statements.append(sql.split()[0])

    store.put(customer(1))
    store._conn.set_trace_callback(trace)
    n = 100_000
    written = store.put_many(customer(i) for i in range(2, n + 2))
    store._conn.set_trace_callback(None)
    assert written == n
    assert statements.count("BEGIN") == 1
    assert statements.count("COMMIT") == 1
    assert store.count(Customer) == n + 1


def test_bulk_failure_at_the_last_record_writes_nothing(store: SqliteStore) -> None:
    store.put(customer(1, tier="A"))

    def batch() -> Iterator[object]:
        yield from (customer(i) for i in range(1, 25_001))
        yield object()

    with pytest.raises(TypeError):
        store.put_many(batch())
    assert store.count(Customer) == 1
    assert store.get(Customer, "cus_001").tier == "A"


# -- connections, paths and threads ------------------------------------------------------------


def test_relative_and_absolute_urls(
    host: PluginHost, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for url in ("sqlite:///rel.db", "sqlite://rel2.db", f"sqlite:///{tmp_path}/abs.db"):
        s = host.open_store(url)
        s.put(customer(1))
        s.close()
    assert {p.name for p in tmp_path.glob("*.db")} == {"rel.db", "rel2.db", "abs.db"}


def test_missing_directory_is_a_storage_error(host: PluginHost, tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="does not exist"):
        host.open_store(f"sqlite:///{tmp_path}/nope/ka.db")


def test_not_a_database_is_a_storage_error(host: PluginHost, tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.db"
    bogus.write_bytes(b"this is a spreadsheet, honest" * 100)
    with pytest.raises(StorageError, match="not a database"):
        host.open_store(f"sqlite:///{bogus}")


def test_store_is_confined_to_its_thread(store: SqliteStore) -> None:
    errors: list[BaseException] = []

    def elsewhere() -> None:
        try:
            store.count(Customer)
        except BaseException as err:
            errors.append(err)

    worker = threading.Thread(target=elsewhere)
    worker.start()
    worker.join()
    assert len(errors) == 1
    assert isinstance(errors[0], StorageError)
    assert "one store per thread" in str(errors[0])


def test_second_connection_sees_committed_writes_only(host: PluginHost, db: Path) -> None:
    writer = host.open_store(f"sqlite:///{db}")
    reader = host.open_store(f"sqlite:///{db}")
    try:
        writer.put(customer(1))
        assert reader.count(Customer) == 1
        with writer.transaction():
            writer.put(customer(2))
            assert reader.count(Customer) == 1
        assert reader.count(Customer) == 2
    finally:
        writer.close()
        reader.close()


def test_close_inside_a_transaction_discards_it(host: PluginHost, db: Path) -> None:
    s = host.open_store(f"sqlite:///{db}")
    s.put(customer(1))
    unit = s.transaction()
    unit.__enter__()
    s.put(customer(2))
    s.close()
    again = host.open_store(f"sqlite:///{db}")
    try:
        assert [c.id for c in again.query(Customer)] == ["cus_001"]
    finally:
        again.close()


def test_datetimes_are_stored_as_sortable_utc_text(store: SqliteStore, db: Path) -> None:
    store.put(customer(1))
    stored = raw(db).execute('SELECT created_at FROM "customer"').fetchone()[0]
    assert stored == (T0 + timedelta(days=1)).isoformat(timespec="microseconds")
    assert stored.endswith("+00:00")
    assert datetime.fromisoformat(stored).tzinfo == UTC


def test_readers_open_and_read_while_a_writer_holds_its_lock(host: PluginHost, db: Path) -> None:
    writer = host.open_store(f"sqlite:///{db}")
    writer.put(customer(1))
    with writer.transaction():
        writer.put(customer(2))
        started = time.monotonic()
        # Opening checks the layout and the kind's table without taking the write lock, so
        # this neither waits out the busy timeout nor fails with "database is locked".
        reader = host.open_store(f"sqlite:///{db}")
        try:
            assert [c.id for c in reader.query(Customer)] == ["cus_001"]
        finally:
            reader.close()
        assert time.monotonic() - started < 5
    writer.close()


class _CommitFails:
    """The store's connection, except that COMMIT fails as on a full disk."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        if sql == "COMMIT":
            raise sqlite3.OperationalError("database or disk is full")
        return self._conn.execute(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


def test_failed_commit_is_rolled_back_and_store_stays_usable(store: SqliteStore) -> None:
    store.put(customer(1))
    real = store._conn
    store._conn = _CommitFails(real)  # type: ignore[assignment]
    try:
        with pytest.raises(StorageError, match="disk is full"):
            store.put_many([customer(2), customer(3)])
    finally:
        store._conn = real
    assert not real.in_transaction
    assert [c.id for c in store.query(Customer)] == ["cus_001"]
    store.put(customer(4))
    assert [c.id for c in store.query(Customer)] == ["cus_001", "cus_004"]
