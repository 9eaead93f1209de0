"""The full portfolio review on generated books of 10k and 100k customers.

Each size runs in a fresh process so its peak memory is its own. Per size it prints the
time to generate the book into a memory store (not part of the review), the first review's
wall and CPU time (it stores the initial tier and lifecycle history) with a per-section
breakdown, the next day's review of the same book (only changes stored), the process's
resident memory before the review and its peak (ru_maxrss: data plus both reviews), the
events sent, and finally the 10k → 100k time ratio (10 is linear). CPU time is quoted
beside wall time because on a shared machine wall time also measures the neighbours.

Run: ``.venv/bin/python benchmarks/bench_review.py`` (``--sizes 1000 10000`` for a quicker
run, ``--profile 10000`` for a cProfile of one review).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import pstats
import random
import resource
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

from keyaccount.clock import FixedClock
from keyaccount.events import DomainEvent, EventSink
from keyaccount.fx import ExchangeRates
from keyaccount.host import PluginHost
from keyaccount.models import (
    Complaint,
    CreditProfile,
    Customer,
    Interaction,
    Receivable,
    SurveyResponse,
    Transaction,
)
from keyaccount.money import Money
from keyaccount.review import run_review
from keyaccount.storage import Store

AS_OF = datetime(2026, 6, 30, 9, 0, tzinfo=UTC)
TODAY = AS_OF.date()
HISTORY_DAYS = 3 * 365


class CountingSink:
    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def emit(self, event: DomainEvent) -> None:
        self.counts[event.name] += 1


def generate(store: Store, customers: int, seed: int) -> dict[str, int]:
    """About 20 orders per customer over three years (some customers stop buying a year
    ago, some slow down), receivables for the last half year's orders (mostly paid on time),
    a credit profile each, a few interactions, and complaints and surveys for some."""
    rng = random.Random(seed)
    start = AS_OF - timedelta(days=HISTORY_DAYS)
    # Pools of immutable values keep generation quick and memory close to a real book's
    # (a real ledger repeats amounts and timestamps far less, but the records are the same).
    # Amounts on a log scale from 1,000 to about 1,000,000: each customer buys around its own
    # typical size, so customers differ in spend as real ones do.
    amounts = [
        (Money(int(round(1000 * 1.01**k, -1)), "CNY"), Money(int(round(200 * 1.01**k, -1)), "CNY"))
        for k in range(700)
    ]
    moments = [start + timedelta(hours=h) for h in range(0, HISTORY_DAYS * 24, 3)]
    created_pool = [start - timedelta(days=d) for d in range(1500)]
    limits = [Money(x, "CNY") for x in range(50_000, 2_000_001, 50_000)]
    owners = [f"u{i:03d}" for i in range(60)]
    teams = ["east", "south", "north", "west", "central"]
    counts: Counter[str] = Counter()
    batch: list[object] = []

    def flush() -> None:
        store.put_many(batch)
        batch.clear()

    for c in range(customers):
        cid = f"cus{c:07d}"
        owner = rng.choice(owners)
        batch.append(
            Customer(
                id=cid,
                name=f"客户{c:07d}",
                created_at=rng.choice(created_pool),
                owner_id=owner,
                team=teams[int(owner[1:]) % len(teams)],
            )
        )
        # Purchases follow the BG/NBD story the CLV model assumes: a Poisson rate per
        # customer (gamma-distributed), and after each purchase a chance to drop out for
        # good (beta-distributed), which also gives the churn signals customers to find.
        rate = rng.gammavariate(2.0, 0.0142)  # orders per day; mean 0.028
        dropout = rng.betavariate(1.0, 40.0)
        typical = min(max(int(rng.gauss(350, 60)), 60), len(amounts) - 60)
        day = float(rng.randrange(365))
        k = 0
        while day < HISTORY_DAYS:
            when = moments[min(int(day * 8), len(moments) - 1)]
            amount, profit = amounts[typical + rng.randrange(-50, 51)]
            tid = f"{cid}t{k}"
            batch.append(
                Transaction(
                    id=tid,
                    customer_id=cid,
                    occurred_at=when,
                    amount=amount,
                    gross_profit=profit,
                    owner_id=owner,
                )
            )
            counts["transactions"] += 1
            issued = when.date()
            if (TODAY - issued).days <= 180:
                due = issued + timedelta(days=30)
                luck = rng.random()
                paid: date | None
                if luck < 0.75:
                    paid = due - timedelta(days=rng.randrange(0, 10))
                elif luck < 0.9:
                    paid = due + timedelta(days=rng.randrange(1, 60))
                else:
                    paid = None
                if paid is not None and paid > TODAY:
                    paid = None
                batch.append(
                    Receivable(
                        id=f"{tid}r",
                        customer_id=cid,
                        amount=amount,
                        issued_on=issued,
                        due_on=due,
                        paid_on=paid,
                        transaction_id=tid,
                    )
                )
                counts["receivables"] += 1
            k += 1
            if rng.random() < dropout:
                break
            day += rng.expovariate(rate)
        batch.append(CreditProfile(id=f"{cid}cp", customer_id=cid, credit_limit=rng.choice(limits)))
        for k in range(rng.randint(0, 6)):
            batch.append(
                Interaction(
                    id=f"{cid}i{k}",
                    customer_id=cid,
                    channel=rng.choice(("visit", "phone", "email")),
                    occurred_at=moments[-rng.randrange(1, 8 * 365)],
                    owner_id=owner,
                )
            )
            counts["interactions"] += 1
        if rng.random() < 0.1:
            batch.append(
                Complaint(
                    id=f"{cid}c",
                    customer_id=cid,
                    received_at=moments[-rng.randrange(1, 8 * 120)],
                    subject="交付延迟",
                    severity=rng.choice(("low", "medium", "high")),
                )
            )
            counts["complaints"] += 1
        for k in range(rng.choice((0, 0, 1, 2))):
            batch.append(
                SurveyResponse(
                    id=f"{cid}s{k}",
                    survey_id=f"q{k}",
                    customer_id=cid,
                    answered_at=moments[-rng.randrange(1, 8 * 300)],
                    nps=rng.randint(0, 10),
                    csat=rng.randint(1, 5),
                )
            )
            counts["surveys"] += 1
        if len(batch) >= 50_000:
            flush()
    flush()
    counts["customers"] = customers
    return dict(counts)


def rss_mib() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def one(size: int, seed: int, profile: bool) -> dict[str, Any]:
    host = PluginHost(load_entry_points=False)
    host.load()
    store = host.open_store("memory://")
    t0 = time.perf_counter()
    counts = generate(store, size, seed)
    gen_s = time.perf_counter() - t0
    before = rss_mib()
    sink = CountingSink()
    sink_: EventSink = sink
    profiler = cProfile.Profile() if profile else None
    t1 = time.perf_counter()
    c1 = time.process_time()
    if profiler is not None:
        profiler.enable()
    result = run_review(
        store, clock=FixedClock(AS_OF), rates=ExchangeRates.single("CNY"), events=sink_
    )
    if profiler is not None:
        profiler.disable()
    review_s = time.perf_counter() - t1
    review_cpu_s = time.process_time() - c1
    peak_first = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    summary = {
        "sections_s": dict(result.timings),
        "sections_cpu_s": dict(result.cpu_timings),
        "clv_method": result.value.lifetime.method.value,
        "clv_reason": result.value.lifetime.reason,
        "alerts": len(result.credit.alerts),
        "churn_warnings": len(result.lifecycle.warnings),
    }
    # Drop the first result so the next-day review's memory is its own.
    del result
    gc.collect()
    # The next day's review of the same book: history exists, so only changes are stored
    # and announced (the steady state of a scheduled review).
    t2 = time.perf_counter()
    c2 = time.process_time()
    again = run_review(
        store,
        clock=FixedClock(AS_OF + timedelta(days=1)),
        rates=ExchangeRates.single("CNY"),
        events=CountingSink(),
    )
    rerun_s = time.perf_counter() - t2
    rerun_cpu_s = time.process_time() - c2
    after_rerun = rss_mib()
    if profiler is not None:
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(40)
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(30)
    return {
        "customers": size,
        "records": counts,
        "generate_s": round(gen_s, 2),
        "review_s": round(review_s, 2),
        "review_cpu_s": round(review_cpu_s, 2),
        "rerun_s": round(rerun_s, 2),
        "rerun_cpu_s": round(rerun_cpu_s, 2),
        "rerun_sections_cpu_s": dict(again.cpu_timings),
        "rss_after_rerun_mib": round(after_rerun, 1),
        **summary,
        "rss_before_review_mib": round(before, 1),
        "peak_rss_mib": round(peak_first, 1),
        "events": dict(sink.counts),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--seed", type=int, default=20260630)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument(
        "--profile", type=int, metavar="N", help="cProfile one review of N customers"
    )
    args = parser.parse_args()
    if args.one is not None or args.profile is not None:
        size = args.one if args.one is not None else args.profile
        print(json.dumps(one(size, args.seed, args.profile is not None)))
        return 0
    runs = []
    for size in args.sizes:
        out = subprocess.run(
            [sys.executable, __file__, "--one", str(size), "--seed", str(args.seed)],
            check=True,
            capture_output=True,
            text=True,
        )
        run = json.loads(out.stdout.strip().splitlines()[-1])
        runs.append(run)
        rec = run["records"]
        print(
            f"{size:>7,} customers ({rec.get('transactions', 0):,} orders, "
            f"{rec.get('receivables', 0):,} receivables, {rec.get('interactions', 0):,} interactions, "
            f"{rec.get('complaints', 0):,} complaints, {rec.get('surveys', 0):,} surveys)"
        )
        print(
            f"    generate {run['generate_s']:.1f} s | review {run['review_s']:.2f} s | "
            f"RSS before review {run['rss_before_review_mib']:.0f} MiB | peak RSS "
            f"{run['peak_rss_mib']:.0f} MiB (data + first review)"
        )
        print(
            f"    review CPU {run['review_cpu_s']:.2f} s | CPU s by section {run['sections_cpu_s']}"
        )
        print(
            f"    next-day review {run['rerun_s']:.2f} s (CPU {run['rerun_cpu_s']:.2f} s) | "
            f"CPU s by section {run['rerun_sections_cpu_s']}"
        )
        print(f"    events {run['events']} | CLV {run['clv_method']}: {run['clv_reason']}")
    if len(runs) >= 2:
        a, b = runs[0], runs[-1]
        print(
            f"time ratio {a['customers']:,} → {b['customers']:,}: "
            f"wall {b['review_s'] / a['review_s']:.1f}, CPU {b['review_cpu_s'] / a['review_cpu_s']:.1f} "
            f"(size ratio {b['customers'] / a['customers']:.0f})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
