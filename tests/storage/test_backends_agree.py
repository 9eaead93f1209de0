"""Differential test: for random records, conditions, orderings and limits, SQLite (with its
SQL pushdown) and CSV return exactly what the memory store returns."""

from __future__ import annotations

import tempfile
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keyaccount.host import PluginHost
from keyaccount.models import Customer, CustomerStatus
from keyaccount.money import Money
from keyaccount.storage import Condition, between, eq, ge, gt, in_, le, lt, ne
from keyaccount.testing.storage import T0, build

TIERS = [None, "A", "B", "C"]
OWNERS = [None, "usr_a", "usr_b", "usr_c"]
NAMES = ["甲公司", "乙公司", "Acme", "acme", "Ärzte AG", "甲公司"]
REVENUES = [None, Decimal("0"), Decimal("99.5"), Decimal("100"), Decimal("1000.00")]
TIMES = [T0 + timedelta(hours=h) for h in (0, 1, 1, 5, 24)]


@st.composite
def customers(draw: st.DrawFn) -> list[Customer]:
    ids = draw(st.lists(st.integers(0, 40), min_size=3, max_size=25, unique=True))
    out = []
    for n in ids:
        revenue = draw(st.sampled_from(REVENUES))
        out.append(
            build(
                Customer,
                id=f"cus_{n:02d}",
                name=draw(st.sampled_from(NAMES)),
                created_at=draw(st.sampled_from(TIMES)),
                tier=draw(st.sampled_from(TIERS)),
                owner_id=draw(st.sampled_from(OWNERS)),
                status=draw(st.sampled_from(list(CustomerStatus)[:2])),
                annual_revenue=None if revenue is None else Money(revenue, "CNY"),
            )
        )
    return out


OPS = ["eq", "ne", "lt", "le", "gt", "ge", "in", "between"]


def _condition(draw: st.DrawFn, op: str) -> Condition | tuple[Condition, ...]:
    field = draw(
        st.sampled_from(["tier", "owner_id", "created_at", "annual_revenue", "name", "status"])
    )
    values: dict[str, list[Any]] = {
        "tier": TIERS,
        "owner_id": OWNERS,
        "created_at": TIMES,
        "annual_revenue": [v for v in REVENUES if v is not None],
        "name": NAMES,
        "status": ["active", CustomerStatus.ARCHIVED],
    }
    value = draw(st.sampled_from(values[field]))
    if op == "in":
        return in_(field, draw(st.lists(st.sampled_from(values[field]), max_size=3)))
    if op == "between":
        return between(field, value, draw(st.sampled_from(values[field])))
    if value is None and op not in ("eq", "ne"):
        op = "eq"
    return {"eq": eq, "ne": ne, "lt": lt, "le": le, "gt": gt, "ge": ge}[op](field, value)


@st.composite
def queries(draw: st.DrawFn, op: str) -> tuple[list[Any], tuple[str, ...], int | None]:
    conds = [_condition(draw, op)]
    if draw(st.booleans()):
        conds.append(_condition(draw, draw(st.sampled_from(OPS))))
    keys = draw(
        st.lists(
            st.sampled_from(["tier", "owner_id", "created_at", "annual_revenue", "name", "id"]),
            max_size=2,
            unique=True,
        )
    )
    order = tuple(f"-{k}" if draw(st.booleans()) else k for k in keys)
    limit = draw(st.none() | st.integers(0, 8))
    return conds, order, limit


HOST = PluginHost(load_entry_points=False)


@pytest.mark.parametrize("op", OPS)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=customers(), data=st.data())
def test_sqlite_and_csv_agree_with_memory(
    op: str, records: list[Customer], data: st.DataObject
) -> None:
    conds, order, limit = data.draw(queries(op))
    with tempfile.TemporaryDirectory() as tmp:
        stores = {
            "memory": HOST.open_store("memory://"),
            "sqlite": HOST.open_store("sqlite://:memory:"),
            "sqlite-file": HOST.open_store(f"sqlite:///{tmp}/ka.db"),
            "csv": HOST.open_store(f"csv:///{tmp}/csv"),
        }
        try:
            results = {}
            for name, store in stores.items():
                store.put_many(records)
                got = [c.id for c in store.query(Customer, *conds, order_by=order, limit=limit)]
                results[name] = (got, store.count(Customer, *conds))
            expected = results["memory"]
            for name, result in results.items():
                assert result == expected, (name, conds, order, limit)
        finally:
            for store in stores.values():
                store.close()
