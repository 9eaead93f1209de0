"""Figures for duplicate detection, merge/undo and the SecuredStore overhead on the memory
store. Synthetic data from a fixed seed; run: ``python benchmarks/bench_governance.py``."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime

from keyaccount.access import SecuredStore, StoreAuditLog, default_access_policy
from keyaccount.clock import FixedClock
from keyaccount.dedupe import MergeService, find_duplicates
from keyaccount.events import NullSink
from keyaccount.host import PluginHost
from keyaccount.models import Contact, Customer, Role, User
from keyaccount.storage import Store

T0 = datetime(2026, 1, 1, tzinfo=UTC)
SUFFIXES = ["有限公司", "股份有限公司", "有限责任公司", "集团", " Co., Ltd.", " Inc."]
WORDS = [
    "华",
    "为",
    "中",
    "兴",
    "海",
    "尔",
    "联",
    "想",
    "美",
    "的",
    "格",
    "力",
    "万",
    "科",
    "腾",
    "讯",
]


def build(n: int, seed: int) -> Store:
    rng = random.Random(seed)
    host = PluginHost(load_entry_points=False)
    store = host.open_store("memory://")
    customers, contacts = [], []
    for i in range(n):
        # about one customer in ten is a re-keyed copy of an earlier one from another source
        if i and rng.random() < 0.1:
            base = customers[rng.randrange(len(customers))].name
            stem = base
            for s in SUFFIXES:
                stem = stem.removesuffix(s)
            name = stem + rng.choice(SUFFIXES)
        else:
            name = "".join(rng.choices(WORDS, k=4)) + f"{i}" + rng.choice(SUFFIXES)
        customers.append(
            Customer(
                id=f"c{i}",
                name=name,
                created_at=T0,
                owner_id=f"u{i % 20}",
                team=f"t{i % 4}",
                external_refs={rng.choice(["zoho", "fxiaoke", "import"]): f"r{i}"},
            )
        )
        contacts.append(
            Contact(
                id=f"p{i}",
                customer_id=f"c{i}",
                name="x",
                phone=f"138{rng.randrange(10**8):08d}",
                email=f"p{i}@{rng.choice(['qq.com', f'd{i}.cn'])}",
            )
        )
    store.put_many(customers)
    store.put_many(contacts)
    return store


def timed(label: str, fn: object, repeat: int = 3) -> object:
    best = float("inf")
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()  # type: ignore[operator]
        best = min(best, time.perf_counter() - start)
    print(f"{label:<48} {best * 1000:9.1f} ms")
    return result


def main() -> None:
    for n in (1_000, 10_000):
        store = build(n, seed=7)
        pairs = timed(f"find_duplicates, {n} customers", lambda s=store: find_duplicates(s))
        print(f"{'':<48} {len(pairs):>9} pairs")  # type: ignore[arg-type]
        clock = FixedClock(T0)
        svc = MergeService(store, clock, NullSink())
        first = pairs[0]  # type: ignore[index]
        start = time.perf_counter()
        merge = svc.merge(first.left_id, [first.right_id])
        mid = time.perf_counter()
        svc.undo(merge.id)
        end = time.perf_counter()
        print(f"{'merge one pair, ' + str(n) + ' customers':<48} {(mid - start) * 1000:9.1f} ms")
        print(f"{'undo it':<48} {(end - mid) * 1000:9.1f} ms")
        manager = User(id="u1", name="m", role=Role.ACCOUNT_MANAGER, team="t1")
        view = SecuredStore(store, manager, default_access_policy(), StoreAuditLog(store), clock)
        timed(f"raw query of all contacts, {n}", lambda s=store: list(s.query(Contact)))
        timed(f"secured query (team scope, masked), {n}", lambda v=view: list(v.query(Contact)))


if __name__ == "__main__":
    main()
