"""Bulk write and full read-back speed of each storage backend.

Writes N customers with one ``put_many`` into a fresh store, then reads every one back with
``query`` (CSV and SQLite from a freshly opened store, so from the file), and prints records/s
and peak traced memory for each step. Run: ``.venv/bin/python benchmarks/bench_storage.py``
(``--sizes 10000`` for a quick run).

Wall time is what a user waits; CPU time is this process's share, which stays meaningful on a
busy machine. Peak memory is measured in a second, traced run of the same step, because
tracemalloc slows Python down several-fold.
"""

from __future__ import annotations

import argparse
import gc
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from keyaccount.credit_code import make as make_credit_code
from keyaccount.host import PluginHost
from keyaccount.models import Customer, CustomerStatus
from keyaccount.money import Money
from keyaccount.storage import Store

T0 = datetime(2024, 1, 1, tzinfo=UTC)
CITIES = ("上海", "北京", "深圳", "杭州", "成都", "Hamburg", "Lyon", "Osaka")


def customers(n: int) -> Iterator[Customer]:
    """Realistic, fully populated customers (Chinese names, credit codes, Money, tags)."""
    for i in range(n):
        city = CITIES[i % len(CITIES)]
        yield Customer(
            id=f"cus_{i:07d}",  # type: ignore[arg-type]
            name=f"{city}第{i}号精密制造有限公司",
            created_at=T0 + timedelta(minutes=i),
            legal_name=f"{city}第{i}号精密制造有限公司",
            credit_code=make_credit_code(f"913101{i % 1000000:06d}MA1K4A"[:17].ljust(17, "0")),
            industry="制造业",
            region=city,
            employees=50 + i % 5000,
            annual_revenue=Money(f"{(i % 9000 + 1) * 1000}.00", "CNY"),
            owner_id=f"usr_{i % 40:02d}",  # type: ignore[arg-type]
            team=f"team_{i % 5}",
            tier="ABC"[i % 3],
            tags=("key", city),
            status=CustomerStatus.ACTIVE,
            external_refs={"zoho": str(4876876000000000 + i)},
        )


def measure(step: Callable[[], int], *, traced: bool) -> tuple[int, float, float, int]:
    """Run ``step``; returns (count, wall seconds, CPU seconds, peak traced bytes or 0)."""
    gc.collect()
    if traced:
        tracemalloc.start()
    wall, cpu = time.perf_counter(), time.process_time()
    count = step()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak = 0
    if traced:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return count, wall, cpu, peak


Row = tuple[str, float, float, int]


def run(
    backend: str, records: list[Customer], workdir: Path, host: PluginHost, *, traced: bool
) -> dict[str, Row]:
    """put_many into a fresh store, then read everything back from a freshly opened one."""
    n = len(records)
    tag = f"{n}-{'traced' if traced else 'timed'}"
    url = {
        "memory": "memory://",
        "csv": f"csv:///{workdir}/csv-{tag}",
        "sqlite": f"sqlite:///{workdir}/bench-{tag}.db",
    }[backend]
    out: dict[str, Row] = {}
    store = host.open_store(url)
    count, wall, cpu, peak = measure(lambda: store.put_many(records), traced=traced)
    assert count == n, f"{backend} wrote {count} of {n}"
    out["put_many"] = ("put_many", wall, cpu, peak)
    reader: Store = store
    if backend != "memory":
        store.close()
        reader = host.open_store(url)
    count, wall, cpu, peak = measure(lambda: sum(1 for _ in reader.query(Customer)), traced=traced)
    assert count == n, f"{backend} read {count} of {n}"
    out["read all"] = ("read all", wall, cpu, peak)
    reader.close()
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="storage backend throughput")
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--backends", default="memory,csv,sqlite")
    args = parser.parse_args(argv)
    host = PluginHost(load_entry_points=False)
    print(
        f"{'backend':<8} {'records':>8} {'step':<9} {'wall s':>7} {'CPU s':>7} "
        f"{'records/s':>10} {'peak MiB':>9}",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="ka-bench-") as tmp:
        for n in (int(s) for s in args.sizes.split(",")):
            records = list(customers(n))  # built once, outside the measured steps
            for backend in args.backends.split(","):
                # Times come from an untraced run: tracemalloc slows Python several-fold.
                timed = run(backend, records, Path(tmp), host, traced=False)
                traced = run(backend, records, Path(tmp), host, traced=True)
                for step, (_, wall, cpu, _) in timed.items():
                    peak = traced[step][3] / 2**20
                    print(
                        f"{backend:<8} {n:>8} {step:<9} {wall:>7.2f} {cpu:>7.2f} "
                        f"{n / wall:>10,.0f} {peak:>9.1f}",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
