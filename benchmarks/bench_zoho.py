"""Upsert then read N Zoho Accounts through the fake Zoho with injected latency.

Prints records/s, API calls per record against the minimum (writes ceil(N/100), reads
ceil(N/200), plus token requests), the client's peak calls in flight, and peak memory: the
client process's peak RSS and, from a second untimed read under tracemalloc, the Python memory
a streaming read of N records needs beyond what was already allocated. The fake runs in a
child process so its work does not compete with the client for one GIL; its own CPU time per
call still adds to the injected latency.

Usage: python benchmarks/bench_zoho.py [--records 20000] [--latency 0.05] [--concurrency 10]
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import resource
import time
import tracemalloc
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, TypeVar

from keyaccount.plugins.zoho.provider import ZohoProvider
from keyaccount.testing.fake_zoho import FakeZoho

T = TypeVar("T")


def timed(step: Callable[[], T]) -> tuple[T, float]:
    started = time.perf_counter()
    result = step()
    return result, time.perf_counter() - started


def traced_peak(step: Callable[[], object]) -> int:
    # tracemalloc slows Python several-fold, so it never runs during a timed phase.
    tracemalloc.start()
    step()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def serve_fake(conn: Connection, concurrency: int) -> None:
    """Run the fake in its own process (own GIL) and answer the benchmark's requests."""
    with FakeZoho(credit_limit=1_000_000, heavy_concurrency_limit=concurrency) as fake:
        conn.send((fake.base_url, fake.client_id, fake.client_secret, fake.refresh_token))
        while True:
            command, arg = conn.recv()
            if command == "stop":
                break
            if command == "latency":
                fake.set_latency(arg)
                conn.send(None)
            elif command == "counts":
                conn.send((fake.counts(), fake.status_counts()))
            elif command == "reset":
                fake.reset_counters()
                conn.send(None)


class FakeProcess:
    """The fake Zoho in a child process, so server work does not steal the client's GIL."""

    def __init__(self, concurrency: int) -> None:
        self._conn, child = multiprocessing.Pipe()
        self._proc = multiprocessing.Process(target=serve_fake, args=(child, concurrency))
        self._proc.start()
        self.base_url, self.client_id, self.client_secret, self.refresh_token = self._conn.recv()

    def call(self, command: str, arg: object = None) -> Any:
        self._conn.send((command, arg))
        return self._conn.recv()

    def close(self) -> None:
        self._conn.send(("stop", None))
        self._proc.join(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, default=10)
    args = parser.parse_args()
    n, latency, concurrency = args.records, args.latency, args.concurrency

    # Credits sized so the run neither exhausts them nor triggers pacing; limits as Zoho's.
    fake = FakeProcess(concurrency)
    try:
        fake.call("latency", latency)
        provider = ZohoProvider.from_config(
            {
                "client_id": fake.client_id,
                "client_secret": fake.client_secret,
                "refresh_token": fake.refresh_token,
                "accounts_url": fake.base_url,
                "api_url": fake.base_url,
                "max_concurrency": str(concurrency),
            }
        )
        rows = [
            {"Account_Name": f"Bench Account {i:06d}", "Industry": "Manufacturing"}
            for i in range(n)
        ]

        results, write_s = timed(
            lambda: provider.upsert("account", rows, match_on=["Account_Name"])
        )
        failed = sum(1 for r in results if not r.ok)
        counts, _ = fake.call("counts")
        writes, tokens_after_write = counts["write"], counts["token"]
        write_peak_flight = provider.client.peak_in_flight
        fake.call("reset")

        def read_all() -> int:
            return sum(1 for _ in provider.iter_changed("account", fields=["Account_Name"]))

        count, read_s = timed(read_all)
        counts, statuses = fake.call("counts")
        lists, tokens_during_read = counts["list"], counts["token"]
        fake.call("latency", 0)
        read_peak = traced_peak(read_all)
        # The same kind of upsert (new records) without injected latency shows how fast the
        # fake itself can go: the attainable ceiling is the lower of this and the latency bound.
        fresh = [{**row, "Account_Name": f"Fresh {row['Account_Name']}"} for row in rows]
        _, bare_s = timed(lambda: provider.upsert("account", fresh, match_on=["Account_Name"]))
        provider.close()
    finally:
        fake.close()
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux

    min_writes, min_reads = math.ceil(n / 100), math.ceil(n / 200)
    ideal_write = concurrency * 100 / latency if latency > 0 else math.inf
    ideal_read = 200 / latency if latency > 0 else math.inf
    lines = [
        f"Zoho adapter through the fake: N={n}, latency={latency * 1000:.0f} ms, "
        f"concurrency={concurrency}",
        f"upsert: {n / write_s:,.0f} records/s in {write_s:.2f} s (ceiling concurrency x 100 / "
        f"latency = {ideal_write:,.0f}/s; {n / write_s / ideal_write:.0%} of it); failed={failed}",
        f"        the fake alone, no latency: {n / bare_s:,.0f} records/s, so this run reached "
        f"{n / write_s / min(ideal_write, n / bare_s):.0%} of the attainable ceiling",
        f"        API calls {writes} = {writes / n:.4f}/record, minimum {min_writes} "
        f"({min_writes / n:.4f}/record); token requests {tokens_after_write}; "
        f"peak calls in flight {write_peak_flight}",
        f"read:   {count / read_s:,.0f} records/s in {read_s:.2f} s (page tokens chain one page "
        f"at a time: ceiling 200 / latency = {ideal_read:,.0f}/s; {count / read_s / ideal_read:.0%}"
        f" of it); records={count}",
        f"        API calls {lists} = {lists / n:.4f}/record, minimum {min_reads} "
        f"({min_reads / n:.4f}/record); token requests {tokens_during_read}; "
        f"statuses {dict(sorted(statuses.items()))}",
        f"memory: streaming read of {count} records peaks at {read_peak / 2**20:.1f} MiB of new "
        f"Python allocations; client process peak RSS {rss_mib:.0f} MiB",
    ]
    print("\n".join(lines))
    if count != n or failed or writes != min_writes or lists != min_reads:
        raise SystemExit("benchmark run did not meet the minimum-call contract")


if __name__ == "__main__":
    main()
