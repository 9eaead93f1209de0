"""What the CSV backend does beyond the conformance suite: file format, encodings, aliases,
malformed-row reporting and atomic rewrites."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import attrs
import pytest

from keyaccount.credit_code import make as make_credit_code
from keyaccount.errors import MalformedData, StorageError
from keyaccount.host import PluginHost
from keyaccount.labels import header_lookup, normalise, preferred_label
from keyaccount.models import Customer, CustomerStatus, Transaction
from keyaccount.money import Money
from keyaccount.plugins.csv_store import UTF8_BOM, CsvStore
from keyaccount.storage import Store, eq
from keyaccount.testing.storage import build, customer

CODE = make_credit_code("91310115MA1K4ABCD")
BAD_CODE = CODE[:-1] + ("0" if CODE[-1] != "0" else "1")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


class CsvOpener:
    """Opens ``csv://`` stores on one directory and closes them all at the end."""

    def __init__(self, host: PluginHost, directory: Path) -> None:
        self.host = host
        self.directory = directory
        self.opened: list[Store] = []

    def __call__(self, options: str = "") -> Store:
        store = self.host.open_store(f"csv:///{self.directory}{options}")
        self.opened.append(store)
        return store


@pytest.fixture
def open_csv(host: PluginHost, data_dir: Path) -> Iterator[CsvOpener]:
    opener = CsvOpener(host, data_dir)
    yield opener
    for store in opener.opened:
        store.close()


def write(path: Path, text: str, encoding: str = "utf-8-sig") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


# -- format ------------------------------------------------------------------------------------


def test_files_are_utf8_with_bom_one_per_kind(open_csv: CsvOpener, data_dir: Path) -> None:
    store = open_csv()
    store.put_many([customer(2, name="北京甲公司"), customer(1, name="上海乙公司")])
    raw = (data_dir / "customer.csv").read_bytes()
    assert raw.startswith(UTF8_BOM)
    lines = raw[len(UTF8_BOM) :].decode("utf-8").splitlines()
    assert lines[0].split(",")[:3] == ["id", "name", "created_at"]
    # rows are sorted by id so files diff cleanly
    assert lines[1].startswith("cus_001,上海乙公司,")
    assert lines[2].startswith("cus_002,北京甲公司,")
    assert sorted(p.name for p in data_dir.iterdir()) == ["customer.csv"]


def test_chinese_header_option_writes_labels(open_csv: CsvOpener, data_dir: Path) -> None:
    open_csv("?header=zh").put(customer(1))
    header = (data_dir / "customer.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert header.startswith("编号,客户名称,创建时间,法定名称,统一社会信用代码")
    assert "客户经理" in header.split(",")


def test_unknown_header_style_is_refused(host: PluginHost, data_dir: Path) -> None:
    with pytest.raises(StorageError, match="header"):
        host.open_store(f"csv:///{data_dir}?header=fr")


def test_only_changed_kinds_are_rewritten(open_csv: CsvOpener, data_dir: Path) -> None:
    store = open_csv()
    store.put(customer(1))
    before = (data_dir / "customer.csv").stat().st_mtime_ns
    os.utime(data_dir / "customer.csv", ns=(1, 1))
    store.put(
        build(
            Transaction,
            id="t1",
            customer_id="cus_001",
            occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
            amount=Money("1", "CNY"),
            gross_profit=Money("1", "CNY"),
        )
    )
    assert before != 1
    assert (data_dir / "customer.csv").stat().st_mtime_ns == 1
    assert (data_dir / "transaction.csv").exists()


def test_relative_url_is_relative_to_working_directory(
    host: PluginHost, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    store = host.open_store("csv:///rel/dir")
    store.put(customer(1))
    store.close()
    assert (tmp_path / "rel" / "dir" / "customer.csv").exists()


# -- reading what people give us ---------------------------------------------------------------

GB_TEXT = (
    "编号,客户名称,统一社会信用代码,客户经理,创建时间,客户等级,状态\r\n"
    f"cus_1,杭州西湖丝绸有限公司,{CODE},usr_li,2025-03-01T08:00:00+08:00,A,活跃\r\n"
)


def test_reads_gb18030_with_chinese_headers(open_csv: CsvOpener, data_dir: Path) -> None:
    write(data_dir / "customer.csv", GB_TEXT.replace(",活跃", ",active"), "gb18030")
    got = open_csv().get(Customer, "cus_1")
    assert got.name == "杭州西湖丝绸有限公司"
    assert got.credit_code == CODE
    assert got.owner_id == "usr_li"
    assert got.created_at == datetime(2025, 3, 1, 0, 0, tzinfo=UTC)
    assert got.tier == "A"


def test_gb18030_detected_after_a_long_ascii_start(open_csv: CsvOpener, data_dir: Path) -> None:
    # The first non-ASCII byte comes long after the decoder's first chunk, so reading starts
    # as UTF-8, fails part-way and must start over as GB18030 without keeping anything.
    rows = "".join(f"cus_{n:05d},Company {n},2025-01-01T00:00:00Z\r\n" for n in range(3000))
    text = "id,客户名称,created_at\r\n".replace("客户名称", "name") + rows
    text += "cus_99999,宁波港口物流有限公司,2025-01-01T00:00:00Z\r\n"
    write(data_dir / "customer.csv", text, "gb18030")
    store = open_csv()
    assert store.count(Customer) == 3001
    assert store.get(Customer, "cus_99999").name == "宁波港口物流有限公司"
    assert store.get(Customer, "cus_00000").name == "Company 0"


def test_reads_utf8_with_and_without_bom_and_english_aliases(
    open_csv: CsvOpener, data_dir: Path
) -> None:
    text = (
        "ID,Company Name,Credit Code,Account Manager,Created At,Tags,Status\n"
        f'cus_1,Acme 中国,{CODE.lower()},usr_a,2025-03-01T00:00:00Z,"[""a"",""b""]",archived\n'
    )
    for encoding in ("utf-8-sig", "utf-8"):
        write(data_dir / "customer.csv", text, encoding)
        store = open_csv()
        got = store.get(Customer, "cus_1")
        assert (got.name, got.credit_code, got.owner_id) == ("Acme 中国", CODE, "usr_a")
        assert got.tags == ("a", "b")
        assert got.status is CustomerStatus.ARCHIVED
        store.close()


def test_headers_match_loosely(open_csv: CsvOpener, data_dir: Path) -> None:
    text = " ｉｄ ,NAME,created-at,Owner_ID,annual revenue,年营业额币种\ncus_1,x,2025-01-01T00:00:00Z,,12.50,cny\n"
    write(data_dir / "customer.csv", text)
    got = open_csv().get(Customer, "cus_1")
    assert got.annual_revenue == Money("12.50", "CNY")
    assert got.owner_id is None


def test_blank_lines_are_skipped_and_columns_may_be_omitted(
    open_csv: CsvOpener, data_dir: Path
) -> None:
    text = "\n编号,客户名称,创建时间\n\ncus_1,甲,2025-01-01T00:00:00Z\n,,\n  , ,\ncus_2,乙,2025-01-01T00:00:00Z\n"
    write(data_dir / "customer.csv", text)
    store = open_csv()
    assert [c.id for c in store.query(Customer)] == ["cus_1", "cus_2"]
    assert store.get(Customer, "cus_1").status is CustomerStatus.ACTIVE


def test_written_files_read_back_after_hand_edit(open_csv: CsvOpener, data_dir: Path) -> None:
    store = open_csv()
    store.put(customer(1, tier="A"))
    store.close()
    path = data_dir / "customer.csv"
    path.write_text(
        path.read_text(encoding="utf-8-sig").replace(",A,", ",B,"), encoding="utf-8-sig"
    )
    assert open_csv().get(Customer, "cus_001").tier == "B"


# -- malformed rows ----------------------------------------------------------------------------

HEADER = "id,name,created_at,credit_code,annual_revenue,annual_revenue_currency,status\n"
OK_ROW = "cus_1,甲,2025-01-01T00:00:00Z,,100,CNY,active\n"

MALFORMED = {
    "bad credit code": (
        HEADER + OK_ROW + f"cus_2,乙,2025-01-01T00:00:00Z,{BAD_CODE},,,active\n",
        3,
        4,
        "check character",
    ),
    "bad datetime": (HEADER + "cus_2,乙,yesterday,,,,active\n", 2, 3, "ISO 8601"),
    "naive datetime": (HEADER + "cus_2,乙,2025-01-01T00:00:00,,,,active\n", 2, 3, "UTC offset"),
    "bad enum": (
        HEADER + OK_ROW + "cus_2,乙,2025-01-01T00:00:00Z,,,,dormant\n",
        3,
        7,
        "active, archived, merged",
    ),
    "bad amount": (HEADER + "cus_2,乙,2025-01-01T00:00:00Z,,12元,CNY,active\n", 2, 5, "decimal"),
    "bad currency": (HEADER + "cus_2,乙,2025-01-01T00:00:00Z,,12,RMB1,active\n", 2, 6, "ISO 4217"),
    "amount without currency": (
        HEADER + "cus_2,乙,2025-01-01T00:00:00Z,,12,,active\n",
        2,
        6,
        "both an amount and a currency",
    ),
    "empty required name": (
        HEADER + "cus_2,,2025-01-01T00:00:00Z,,,,active\n",
        2,
        2,
        "Customer.name",
    ),
    "bad id": (HEADER + "cus 2,乙,2025-01-01T00:00:00Z,,,,active\n", 2, 1, "Customer.id"),
    "too few columns": (
        HEADER + OK_ROW + "cus_2,乙,2025-01-01T00:00:00Z\n",
        3,
        4,
        "expected 7 columns",
    ),
    "too many columns": (
        HEADER + "cus_2,乙,2025-01-01T00:00:00Z,,,,active,extra\n",
        2,
        8,
        "found 8",
    ),
    "unknown header": (
        "id,name,created_at,colour\n" + "cus_1,甲,2025-01-01T00:00:00Z,red\n",
        1,
        4,
        "unknown column 'colour'",
    ),
    "duplicate header": ("id,name,客户名称,created_at\n", 1, 3, "already column 2"),
    "missing required column": ("id,name\ncus_1,甲\n", 1, 3, "created_at"),
    "duplicate id": (HEADER + OK_ROW + OK_ROW, 3, 1, "first on line 2"),
    "line after multi-line cell": (
        'id,name,created_at\ncus_1,"两行\n名称",2025-01-01T00:00:00Z\n\ncus_2,乙,never\n',
        5,
        3,
        "ISO 8601",
    ),
    "bad quoting": (
        'id,name,created_at\ncus_1,"甲"x,2025-01-01T00:00:00Z\n',
        2,
        1,
        "not valid CSV",
    ),
}


MALFORMED["semicolon separated"] = (
    "id;name;created_at\ncus_1;甲;2025-01-01T00:00:00Z\n",
    1,
    1,
    "';'-separated",
)
MALFORMED["tab separated"] = ("id\tname\tcreated_at\n", 1, 1, "'\\t'-separated")


@pytest.mark.parametrize("content", ["", "\ufeff", "id,name,created_at\r\n", "\r\n\r\n"])
def test_empty_files_hold_no_records(open_csv: CsvOpener, data_dir: Path, content: str) -> None:
    write(data_dir / "customer.csv", content, "utf-8")
    store = open_csv()
    assert store.count(Customer) == 0
    store.put(customer(1))
    assert store.count(Customer) == 1


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_row_reports_location_and_loads_nothing(
    open_csv: CsvOpener,
    data_dir: Path,
    case: str,
) -> None:
    text, line, column, reason = MALFORMED[case]
    path = write(data_dir / "customer.csv", text)
    original = path.read_bytes()
    store = open_csv()
    with pytest.raises(MalformedData) as info:
        store.count(Customer)
    err = info.value
    assert err.location == f"{path}:{line}:{column}", str(err)
    assert reason in err.reason
    assert str(err).startswith(f"{path}:{line}:{column}: ")
    # nothing was loaded: every later use fails the same way, and writes cannot clobber the file
    with pytest.raises(MalformedData):
        store.find(Customer, "cus_1")
    with pytest.raises(MalformedData):
        store.put(customer(9))
    assert path.read_bytes() == original


def test_malformed_file_does_not_block_other_kinds(open_csv: CsvOpener, data_dir: Path) -> None:
    write(data_dir / "customer.csv", "id,colour\n")
    store = open_csv()
    store.put(
        build(
            Transaction,
            id="t1",
            customer_id="cus_1",
            occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
            amount=Money("1", "CNY"),
            gross_profit=Money("1", "CNY"),
        )
    )
    assert store.count(Transaction) == 1


def test_mixed_batch_touching_malformed_kind_writes_nothing(
    open_csv: CsvOpener, data_dir: Path
) -> None:
    bad = write(data_dir / "customer.csv", "id,colour\n")
    store = open_csv()
    txn = build(
        Transaction,
        id="t1",
        customer_id="cus_1",
        occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
        amount=Money("1", "CNY"),
        gross_profit=Money("1", "CNY"),
    )
    with pytest.raises(MalformedData):
        store.put_many([txn, customer(1)])
    assert not (data_dir / "transaction.csv").exists()
    assert store.count(Transaction) == 0
    assert bad.read_text(encoding="utf-8-sig") == "id,colour\n"


def test_undecodable_bytes_are_located(open_csv: CsvOpener, data_dir: Path) -> None:
    path = data_dir / "customer.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes(UTF8_BOM + "id,name,created_at\ncus_1,甲".encode() + b"\xff\xfe,x\n")
    with pytest.raises(MalformedData) as info:
        open_csv().count(Customer)
    assert info.value.location == f"{path}:2:2"
    assert "byte 10" in info.value.reason


def test_undecodable_without_bom_names_both_encodings(open_csv: CsvOpener, data_dir: Path) -> None:
    path = data_dir / "customer.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"id,name,created_at\n\x81\x30,\xff\n")
    with pytest.raises(MalformedData) as info:
        open_csv().count(Customer)
    assert info.value.location == f"{path}:2:1"
    assert "UTF-8 or GB18030" in info.value.reason


def test_utf16_is_refused_with_advice(open_csv: CsvOpener, data_dir: Path) -> None:
    write(data_dir / "customer.csv", "id\tname\n", "utf-16")
    with pytest.raises(MalformedData, match="CSV UTF-8"):
        open_csv().count(Customer)


# -- atomic writes -----------------------------------------------------------------------------


def test_failed_rewrite_leaves_old_file_and_store_unchanged(
    open_csv: CsvOpener,
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = open_csv()
    store.put(customer(1, tier="A"))
    path = data_dir / "customer.csv"
    before = path.read_bytes()

    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(StorageError, match="No space left"):
        store.put_many([customer(1, tier="B"), customer(2)])
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(p.name for p in data_dir.iterdir()) == ["customer.csv"]  # no temp files left
    assert store.get(Customer, "cus_001").tier == "A"
    assert store.find(Customer, "cus_002") is None


def test_failed_swap_of_second_file_keeps_both_old_files(
    open_csv: CsvOpener,
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = open_csv()
    txn = build(
        Transaction,
        id="t1",
        customer_id="cus_001",
        occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
        amount=Money("1", "CNY"),
        gross_profit=Money("1", "CNY"),
    )
    store.put_many([customer(1), txn])
    files = {p.name: p.read_bytes() for p in data_dir.iterdir()}
    real_replace = os.replace
    swaps: list[str] = []

    def second_swap_fails(src: str | Path, dst: str | Path) -> None:
        if str(dst).endswith(".csv"):
            swaps.append(Path(dst).name)
            if len(swaps) == 2:
                raise OSError(13, "Permission denied")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", second_swap_fails)
    changed = build(Transaction, **{**_fields(txn), "description": "改"})
    with pytest.raises(StorageError, match="Permission denied"):
        store.put_many([customer(1, tier="Z"), changed, customer(2)])
    monkeypatch.setattr(os, "replace", real_replace)
    # customer.csv was swapped, transaction.csv failed, customer.csv was put back
    assert swaps == ["customer.csv", "transaction.csv", "customer.csv"]
    assert {p.name: p.read_bytes() for p in data_dir.iterdir()} == files
    assert store.get(Customer, "cus_001").tier == "A"
    assert store.find(Customer, "cus_002") is None


def test_new_kind_file_is_removed_when_a_later_swap_fails(
    open_csv: CsvOpener,
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = open_csv()
    store.put(
        build(
            Transaction,
            id="t1",
            customer_id="cus_001",
            occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
            amount=Money("1", "CNY"),
            gross_profit=Money("1", "CNY"),
        )
    )
    before = {p.name: p.read_bytes() for p in data_dir.iterdir()}
    real_replace = os.replace

    def transaction_swap_fails(src: str | Path, dst: str | Path) -> None:
        if str(dst).endswith("transaction.csv"):
            raise OSError(5, "I/O error")
        real_replace(src, dst)

    def unit_of_work() -> None:
        with store.transaction():
            store.put(customer(1))  # customer.csv does not exist yet
            store.delete(Transaction, "t1")

    monkeypatch.setattr(os, "replace", transaction_swap_fails)
    with pytest.raises(StorageError):
        unit_of_work()
    monkeypatch.setattr(os, "replace", real_replace)
    assert {p.name: p.read_bytes() for p in data_dir.iterdir()} == before


def test_rewrites_keep_file_permissions(open_csv: CsvOpener, data_dir: Path) -> None:
    store = open_csv()
    store.put(customer(1))
    path = data_dir / "customer.csv"
    assert path.stat().st_mode & 0o077, "a new file is not private to its owner like mkstemp's"
    os.chmod(path, 0o640)
    store.put(customer(2))
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def _fields(record: object) -> dict[str, object]:
    return attrs.asdict(record, recurse=False)


def test_direct_construction(tmp_path: Path, host: PluginHost) -> None:
    store = CsvStore(host.record_types(), str(tmp_path / "d"), "csv:///d")
    store.put(customer(1))
    assert store.count(Customer, eq("id", "cus_001")) == 1
    assert store.path_of("customer") == tmp_path / "d" / "customer.csv"


# -- the label table ---------------------------------------------------------------------------


def test_normalise_ignores_width_case_spaces_and_separators() -> None:
    assert (
        normalise("ＣＲＥＤＩＴ　ＣＯＤＥ") == normalise("credit_code") == normalise("Credit-Code")
    )


def test_every_builtin_kind_has_an_unambiguous_lookup(host: PluginHost) -> None:
    for schema in host.record_types():
        lookup = header_lookup(schema.kind, schema.columns, schema.labels)
        for column in schema.columns:
            assert lookup[normalise(column)] == column
            label = preferred_label(schema.kind, column, schema.labels)
            assert lookup[normalise(label)] == column, (schema.kind, column, label)


def test_well_known_aliases() -> None:
    customer_lookup = header_lookup(
        "customer", ["id", "name", "credit_code", "owner_id", "tier", "status"]
    )
    for label, column in {
        "客户名称": "name",
        "名称": "name",
        "统一社会信用代码": "credit_code",
        "credit code": "credit_code",
        "客户经理": "owner_id",
        "Account Manager": "owner_id",
        "客户等级": "tier",
        "状态": "status",
    }.items():
        assert customer_lookup[normalise(label)] == column
    contact_lookup = header_lookup("contact", ["name", "customer_id"])
    assert contact_lookup[normalise("姓名")] == "name"
    assert contact_lookup[normalise("客户")] == "customer_id"


def test_conflicting_labels_at_one_level_are_an_error() -> None:
    with pytest.raises(ValueError, match="names both"):
        header_lookup("x", ["a", "b"], {"a": "同名", "b": "同名"})


def test_registered_labels_win_over_the_table() -> None:
    lookup = header_lookup("customer", ["name", "legal_name"], {"legal_name": "名称"})
    assert lookup[normalise("名称")] == "legal_name"
    assert preferred_label("customer", "legal_name", {"legal_name": "名称"}) == "名称"
    assert preferred_label("customer", "no_such_column") == "no_such_column"
