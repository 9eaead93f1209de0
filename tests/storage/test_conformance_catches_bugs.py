"""The conformance suite is only worth something if it fails broken backends: each case here
is a memory store with one plausible bug, and the suite's test for that behaviour must fail
it (run in a nested pytest). The unmodified memory store passes the whole suite in
test_memory_conformance.py."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

HEADER = """
import pytest
from keyaccount.host import PluginHost
from keyaccount.plugins.memory import MemoryStore
from keyaccount.storage import sort_records
from keyaccount.testing.storage import StorageConformance


class Buggy(MemoryStore):
{body}


class TestBuggy(StorageConformance):
    @pytest.fixture
    def open_store(self):
        host = PluginHost(load_entry_points=False)
        return lambda: Buggy(host.record_types())
"""

BUGS = {
    "put_many writes record by record": (
        """
    def put_many(self, records):
        n = 0
        for record in records:
            self.put(record)
            n += 1
        return n

    def put(self, record):
        with self.transaction():
            self._write(self.schemas.for_record(record), record.id, record)
""",
        ["test_put_many_failing_midway_writes_nothing"],
    ),
    "nested blocks are not savepoints": (
        """
    def _rollback(self, mark):
        if mark:
            return  # only the outermost block undoes anything
        super()._rollback(mark)
""",
        ["test_failed_inner_block_is_undone_and_outer_continues"],
    ),
    "ties come back in insertion order": (
        """
    def query(self, kind, *conditions, order_by=(), limit=None):
        rows = list(super().query(kind, *conditions))
        rows.sort(key=lambda r: r.id)
        if order_by:
            key = order_by if isinstance(order_by, str) else order_by[0]
            name = key.lstrip("-")
            insertion = list(self._table(self.schemas.for_class(kind)).values())
            rows = [r for r in insertion if r in rows]
            rows.sort(key=lambda r: (getattr(r, name) is not None, getattr(r, name) or 0),
                      reverse=key.startswith("-"))
        return iter(rows if limit is None else rows[:limit])
""",
        ["test_order_by_descending_with_ties_broken_by_id"],
    ),
    "close does nothing": (
        """
    def close(self):
        pass
""",
        ["test_closed_store_raises_storage_error"],
    ),
}


@pytest.mark.parametrize("bug", sorted(BUGS))
def test_suite_fails_a_buggy_backend(pytester: pytest.Pytester, bug: str) -> None:
    body, must_fail = BUGS[bug]
    pytester.makepyfile(test_buggy=HEADER.format(body=body))
    selected = " or ".join(must_fail)
    result = pytester.runpytest_inprocess("-q", "-p", "no:cacheprovider", "-k", selected)
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) == len(must_fail), result.stdout.str()
    for name in must_fail:
        result.stdout.fnmatch_lines([f"FAILED*{name}*"])
