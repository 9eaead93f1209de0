"""``csv:///path/to/dir``: records kept as spreadsheets, one ``<kind>.csv`` per record kind.

Files are written as UTF-8 with a byte-order mark, so Excel shows Chinese text correctly, and
read as UTF-8 (with or without the mark) or GB18030 (what Excel saves on Chinese Windows).
Headers may use the column names or any label from ``keyaccount.labels`` (``客户名称``,
``统一社会信用代码``, ``Account Manager``...); ``?header=zh`` writes the Chinese labels.

The store is a ``MemoryStore`` that loads a kind's file the first time the kind is used and
rewrites the files a unit of work changed when it commits. Each rewrite is atomic: a temporary
file in the same directory is written, flushed to disk and renamed over the old one.

A file that cannot be read completely raises ``MalformedData`` (``path:line:column: reason``,
column being the 1-based field position) and nothing of it is loaded, so nothing can be written
back over it either. One process should write a directory at a time; there is no file locking.
"""

from __future__ import annotations

import contextlib
import csv
import os
import secrets
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from keyaccount.errors import MalformedData, StorageError, ValidationError
from keyaccount.hookspecs import hookimpl
from keyaccount.labels import header_lookup, normalise, preferred_label
from keyaccount.plugins.memory import MemoryStore
from keyaccount.schema import RecordSchema, SchemaRegistry
from keyaccount.storage import RegisterStorageBackend, StoreURL

UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
HEADER_STYLES = ("names", "zh")


def decode_bytes(path: str, raw: bytes) -> str:
    """The text of a CSV file: UTF-8 with a BOM, UTF-8, else GB18030."""
    offset = 0
    if raw.startswith(UTF8_BOM):
        encodings: tuple[str, ...] = ("utf-8",)
        offset = len(UTF8_BOM)
    elif raw.startswith(_UTF16_BOMS):
        raise MalformedData(
            path, 1, 1, "file is UTF-16 (Excel 'Unicode text'); save it as 'CSV UTF-8' instead"
        )
    else:
        encodings = ("utf-8", "gb18030")
    body = raw[offset:]
    for encoding in encodings[:-1]:
        try:
            return body.decode(encoding)
        except UnicodeDecodeError:
            continue
    try:
        return body.decode(encodings[-1])
    except UnicodeDecodeError as err:
        start = err.start + offset
        line = raw.count(b"\n", 0, start) + 1
        line_start = raw.rfind(b"\n", 0, start) + 1
        raise MalformedData(
            path,
            line,
            raw.count(b",", line_start, start) + 1,
            f"bytes {raw[start : err.end + offset]!r} at byte {start - line_start + 1} of the "
            f"line are not {' or '.join(e.upper() for e in encodings)} text",
        ) from None


def _blank(row: list[str]) -> bool:
    return all(not cell.strip() for cell in row)


def read_records(path: Path, schema: RecordSchema) -> dict[str, Any]:
    """Every record in ``path`` by id; raises ``MalformedData`` at the first bad row.

    The file is decoded as it is parsed rather than read into one string first, so loading a
    large kind holds little more than its records.
    """
    where = str(path)
    with path.open("rb") as probe:
        head = probe.read(len(UTF8_BOM))
    if head.startswith(UTF8_BOM):
        encodings: tuple[str, ...] = ("utf-8-sig",)
    elif head.startswith(_UTF16_BOMS):
        encodings = ()
    else:
        encodings = ("utf-8", "gb18030")
    for encoding in encodings:
        try:
            with path.open("r", encoding=encoding, newline="") as text:
                return parse_rows(where, text, schema)
        except UnicodeDecodeError:
            continue  # not this encoding; start again with the next
    # Every encoding failed (or the file is UTF-16): decode it whole to say where and why.
    decode_bytes(where, path.read_bytes())
    raise MalformedData(where, 1, 1, "file is not UTF-8 or GB18030 text")


def parse_rows(where: str, lines: Iterable[str], schema: RecordSchema) -> dict[str, Any]:
    """Parse CSV ``lines`` (header first) into records by id; ``where`` names the source."""
    reader = csv.reader(lines, strict=True)
    lookup = header_lookup(schema.kind, schema.columns, schema.labels)
    columns: list[str] | None = None
    records: dict[str, Any] = {}
    first_line: dict[str, int] = {}
    cls_prefix = schema.cls.__name__ + "."
    end_of_previous = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as err:
            raise MalformedData(where, reader.line_num, 1, f"not valid CSV: {err}") from None
        line = end_of_previous + 1
        end_of_previous = reader.line_num
        if _blank(row):
            continue
        if columns is None:
            columns = _read_header(where, line, row, lookup, schema)
            continue
        if len(row) != len(columns):
            raise MalformedData(
                where,
                line,
                min(len(row), len(columns)) + 1,
                f"expected {len(columns)} columns as in the header, found {len(row)}",
            )
        cells = dict(zip(columns, row, strict=True))
        try:
            record = schema.decode(cells, text=True)
        except ValidationError as err:
            column = 1
            if err.field.startswith(cls_prefix):
                name = err.field[len(cls_prefix) :]
                if name in columns:
                    column = columns.index(name) + 1
            raise MalformedData(where, line, column, str(err)) from None
        record_id = record.id
        if record_id in records:
            raise MalformedData(
                where,
                line,
                columns.index("id") + 1,
                f"duplicate id {record_id!r} (first on line {first_line[record_id]})",
            )
        records[record_id] = record
        first_line[record_id] = line
    return records


def _read_header(
    where: str, line: int, row: list[str], lookup: dict[str, str], schema: RecordSchema
) -> list[str]:
    columns: list[str] = []
    for i, cell in enumerate(row):
        column = lookup.get(normalise(cell))
        if column is None:
            separator = next((sep for sep in (";", "\t") if sep in cell), None)
            if separator is not None:
                reason = (
                    f"the header looks {separator!r}-separated; keyaccount reads "
                    "comma-separated files (in Excel: save as 'CSV UTF-8')"
                )
            else:
                reason = f"unknown column {cell!r} for {schema.kind}; expected one of " + (
                    ", ".join(schema.columns)
                )
            raise MalformedData(where, line, i + 1, reason)
        if column in columns:
            first = columns.index(column)
            raise MalformedData(
                where,
                line,
                i + 1,
                f"column {cell!r} is {column!r} again (already column {first + 1}, {row[first]!r})",
            )
        columns.append(column)
    required = [s.name for s in schema.fields if not s.has_default]
    missing = [name for name in required if name not in columns]
    if missing:
        raise MalformedData(
            where, line, len(row) + 1, f"missing required column(s) {', '.join(missing)}"
        )
    return columns


def _cell(value: object) -> str:
    return "" if value is None else str(value)


class CsvStore(MemoryStore):
    """A ``Store`` over a directory of CSV files (see the module docstring)."""

    def __init__(
        self, schemas: SchemaRegistry, directory: str, url: str, header: str = "names"
    ) -> None:
        super().__init__(schemas, url)
        if header not in HEADER_STYLES:
            raise StorageError(f"{url}: header must be one of {', '.join(HEADER_STYLES)}")
        self.directory = Path(directory)
        self.header = header
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise StorageError(f"{url}: cannot create directory: {err}") from None

    def path_of(self, kind: str) -> Path:
        return self.directory / f"{kind}.csv"

    def _table(self, schema: RecordSchema) -> dict[str, Any]:
        table = self._data.get(schema.kind)
        if table is None:
            path = self.path_of(schema.kind)
            try:
                table = read_records(path, schema) if path.exists() else {}
            except OSError as err:
                raise StorageError(f"{path}: cannot read: {err}") from None
            self._data[schema.kind] = table
        return table

    def _persist(self, kinds: set[str]) -> None:
        # Write every changed file beside its target first and swap them in only when all
        # were written. If a swap fails part-way, the files already swapped are put back from
        # hard-linked copies of the old ones, so a failed commit changes no file. (A crash
        # between two swaps can still leave a mix; each file itself is always whole.)
        temps: list[tuple[Path, Path]] = []
        backups: list[tuple[Path, Path]] = []
        swapped: list[Path] = []
        try:
            for kind in sorted(kinds):
                temps.append((self._write_temp(self.schemas.for_kind(kind)), self.path_of(kind)))
            if len(temps) > 1:
                backups = self._link_backups([target for _, target in temps])
            for temp, target in temps:
                os.replace(temp, target)
                swapped.append(target)
            _sync_directory(self.directory)
        except OSError as err:
            self._restore(swapped, dict(backups))
            raise StorageError(f"{self.url}: cannot write: {err}") from None
        finally:
            for path in [temp for temp, _ in temps] + [backup for _, backup in backups]:
                with contextlib.suppress(FileNotFoundError, OSError):
                    path.unlink()

    def _link_backups(self, targets: list[Path]) -> list[tuple[Path, Path]]:
        backups = []
        for target in targets:
            if target.exists():
                backup = target.with_name(f".{target.name}.{secrets.token_hex(6)}.bak")
                try:
                    os.link(target, backup)
                except OSError:
                    continue  # no hard links here: this file cannot be put back
                backups.append((target, backup))
        return backups

    def _restore(self, swapped: list[Path], backups: dict[Path, Path]) -> None:
        for target in swapped:
            with contextlib.suppress(OSError):
                if target in backups:
                    os.replace(backups[target], target)
                else:
                    target.unlink()  # it did not exist before this commit

    def _write_temp(self, schema: RecordSchema) -> Path:
        table = self._data.get(schema.kind, {})
        if self.header == "zh":
            header = [preferred_label(schema.kind, c, schema.labels) for c in schema.columns]
        else:
            header = list(schema.columns)
        target = self.path_of(schema.kind)
        temp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
        try:
            # Opened like any new file (mode from the umask, unlike mkstemp's 0600); a file
            # being replaced keeps its permissions.
            with temp.open("x", encoding="utf-8-sig", newline="") as out:
                if target.exists():
                    os.chmod(temp, stat.S_IMODE(target.stat().st_mode))
                writer = csv.writer(out, lineterminator="\r\n")
                writer.writerow(header)
                values = schema.values
                writer.writerows([_cell(v) for v in values(table[rid])] for rid in sorted(table))
                out.flush()
                os.fsync(out.fileno())
        except BaseException:
            with contextlib.suppress(OSError):
                temp.unlink()
            raise
        return temp


def _sync_directory(directory: Path) -> None:
    """Make the renames durable (POSIX); platforms without directory handles skip it."""
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def open_csv(url: StoreURL, schemas: SchemaRegistry) -> CsvStore:
    directory = url.local_path
    if not directory:
        raise StorageError(f"{url.raw!r} names no directory; try 'csv:///data/keyaccount'")
    return CsvStore(schemas, directory, url.raw, header=url.options.get("header", "names"))


@hookimpl
def register_storage_backends(register: RegisterStorageBackend) -> None:
    register(
        "csv",
        open_csv,
        description="a directory of <kind>.csv files (UTF-8 with BOM; reads GB18030 too)",
    )
