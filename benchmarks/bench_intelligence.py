"""Tiering, lifecycle and churn warning on generated books of 10k and 100k customers.

Records are generated in memory (about 20 orders per customer over three years, a few
interactions, receivables for recent orders, complaints and surveys for some) and grouped
once with ``group_activity``; then it times, per size: grouping, scoring + tier assignment
(``TieringService.evaluate``), lifecycle + churn health (``evaluate_lifecycle``) and the
win-back list, in wall time and in CPU time of the process (CPU time shows the work itself
when other processes share the cores). Each size runs in a fresh process so peak memory
(ru_maxrss) is its own. Finally it prints the 10k → 100k time ratio (10 is linear).

Run: ``.venv/bin/python benchmarks/bench_intelligence.py`` (``--sizes 1000 10000`` for a
quicker run).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from keyaccount.activity import group_activity
from keyaccount.clock import FixedClock
from keyaccount.events import NullSink
from keyaccount.fx import ExchangeRates
from keyaccount.lifecycle import evaluate_lifecycle, win_back_list
from keyaccount.models import (
    Channel,
    Complaint,
    Customer,
    Interaction,
    Receivable,
    SurveyResponse,
    Transaction,
)
from keyaccount.money import Money
from keyaccount.plugins.memory import MemoryStore
from keyaccount.schema import SchemaRegistry
from keyaccount.tiering import TieringService

AS_OF = datetime(2026, 6, 30, 9, 0, tzinfo=UTC)
HISTORY_DAYS = 3 * 365


def generate(n: int, seed: int) -> dict[str, list[object]]:
    rng = random.Random(seed)
    start = AS_OF - timedelta(days=HISTORY_DAYS)
    amounts = [(Money(a, "CNY"), Money(a // 5 - 200, "CNY")) for a in range(500, 100_500, 100)]
    moments = [start + timedelta(hours=h) for h in range(0, HISTORY_DAYS * 24, 3)]
    tiers = ["A", "B", "C", None]
    out: dict[str, list[object]] = {k: [] for k in ("c", "t", "i", "k", "r", "s")}
    tx_seq = 0
    for c in range(n):
        cid = f"cus{c:07d}"
        out["c"].append(
            Customer(
                cid,
                f"Customer {c}",
                start - timedelta(days=rng.randrange(400)),
                tier=rng.choice(tiers),
            )
        )
        orders = rng.randrange(0, 41)
        # a quarter of the book stops buying at some point
        stop = len(moments) - 1 if rng.random() > 0.25 else rng.randrange(len(moments))
        picks = sorted(rng.randrange(stop + 1) for _ in range(orders))
        for p in picks:
            amount, profit = rng.choice(amounts)
            tx_seq += 1
            out["t"].append(Transaction(f"t{tx_seq}", cid, moments[p], amount, profit))
        for _ in range(rng.randrange(4)):
            out["i"].append(
                Interaction(
                    f"i{c}_{len(out['i'])}",
                    cid,
                    Channel.VISIT,
                    moments[rng.randrange(len(moments))],
                )
            )
        if picks and rng.random() < 0.5:
            issued = moments[picks[-1]].date()
            due = issued + timedelta(days=30)
            paid = due - timedelta(days=2) if rng.random() < 0.8 else None
            out["r"].append(Receivable(f"r{c}", cid, Money(10_000, "CNY"), issued, due, paid))
        if rng.random() < 0.1:
            out["k"].append(
                Complaint(
                    f"k{c}",
                    cid,
                    AS_OF - timedelta(days=rng.randrange(200)),
                    "delivery",
                    deadline_at=AS_OF - timedelta(days=5),
                )
            )
        if rng.random() < 0.3:
            for j in range(2):
                out["s"].append(
                    SurveyResponse(
                        f"s{c}_{j}",
                        "sv",
                        cid,
                        AS_OF - timedelta(days=300 - 250 * j),
                        nps=rng.randrange(11),
                    )
                )
    return out


class Phase:
    """Wall and CPU time of one phase (CPU shows the work when other processes share the cores)."""

    def __init__(self) -> None:
        self.wall = time.perf_counter()
        self.cpu = time.process_time()

    def done(self) -> tuple[float, float]:
        return time.perf_counter() - self.wall, time.process_time() - self.cpu


def run_one(n: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    data = generate(n, seed=n)
    gen = time.perf_counter() - t0
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rates = ExchangeRates.single("CNY")
    p = Phase()
    book = group_activity(
        data["c"],  # type: ignore[arg-type]
        transactions=data["t"],  # type: ignore[arg-type]
        interactions=data["i"],  # type: ignore[arg-type]
        complaints=data["k"],  # type: ignore[arg-type]
        receivables=data["r"],  # type: ignore[arg-type]
        surveys=data["s"],  # type: ignore[arg-type]
    )
    t_group = p.done()
    svc = TieringService(MemoryStore(SchemaRegistry()), FixedClock(AS_OF), NullSink(), rates)
    p = Phase()
    tiers = svc.evaluate(book)
    t_tier = p.done()
    p = Phase()
    life = evaluate_lifecycle(book, as_of=AS_OF, rates=rates)
    t_life = p.done()
    p = Phase()
    wb = win_back_list(book, life.stages(), rates=rates)
    t_wb = p.done()
    phases = (t_group, t_tier, t_life, t_wb)
    return {
        "customers": n,
        "transactions": len(data["t"]),
        "generate_s": gen,
        "group": t_group,
        "tiering": t_tier,
        "lifecycle_churn": t_life,
        "win_back": t_wb,
        "analyses": (sum(w for w, _ in phases), sum(c for _, c in phases)),
        "rss_before_mib": rss_before,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "tier_counts": json.dumps(tiers.counts()),
        "stages": json.dumps(
            {str(k): v for k, v in Counter(c.stage.value for c in life.customers.values()).items()}
        ),
        "warnings": len(life.warnings()),
        "win_back_count": len(wb),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one)))
        return
    results = []
    for n in args.sizes:
        raw = subprocess.run(
            [sys.executable, __file__, "--one", str(n)], check=True, capture_output=True, text=True
        ).stdout
        r = json.loads(raw.strip().splitlines()[-1])
        results.append(r)
        w, c = r["analyses"]
        print(
            f"{r['customers']:>7} customers {r['transactions']:>9} transactions | analyses "
            f"{w:.2f}s wall, {c:.2f}s CPU | peak RSS {r['peak_rss_mib']:.0f} MiB "
            f"(data {r['rss_before_mib']:.0f} MiB) | generated in {r['generate_s']:.1f}s"
        )
        for phase in ("group", "tiering", "lifecycle_churn", "win_back"):
            pw, pc = r[phase]
            print(f"         {phase:<16} {pw:7.2f}s wall {pc:7.2f}s CPU")
        print(
            f"         tiers {r['tier_counts']} stages {r['stages']} "
            f"warnings {r['warnings']} win-back {r['win_back_count']}"
        )
    if len(results) >= 2:
        a, b = results[0], results[-1]
        wall = b["analyses"][0] / a["analyses"][0]
        cpu = b["analyses"][1] / a["analyses"][1]
        print(
            f"time ratio {a['customers']} -> {b['customers']}: {wall:.1f} wall, {cpu:.1f} CPU "
            f"(size ratio {b['customers'] / a['customers']:.0f})"
        )


if __name__ == "__main__":
    main()
