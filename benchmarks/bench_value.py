"""Customer-value analyses on generated books of 10k and 100k customers (20 orders on average).

Prints, per size: time to build the transactions (not part of the analysis), the one-pass
grouping and facts, each analysis, the total analysis time, the process's peak memory, and the
10k → 100k time ratio (10 is linear). Run: ``.venv/bin/python benchmarks/bench_value.py``
(``--sizes 2000 20000`` for a quicker run).
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from keyaccount.fx import ExchangeRates
from keyaccount.models import Transaction, TransactionKind
from keyaccount.money import Money
from keyaccount.value import (
    ClvConfig,
    build_pyramid,
    clv_extra_available,
    collect_facts,
    group_transactions,
    predict_lifetime_value,
    revenue_concentration,
    score_rfm,
)

T = TypeVar("T")
AS_OF = datetime(2026, 6, 30, 9, 0, tzinfo=UTC)


def generate(customers: int, seed: int) -> list[Transaction]:
    """A buy-till-you-die book: each customer buys at their own rate and may lapse after a
    repeat order (about 20 orders each over three years); one order in forty is followed by
    a partial refund."""
    rng = random.Random(seed)
    start = AS_OF - timedelta(days=3 * 365)
    # A pool of amounts keeps generation fast; Money is immutable so sharing is safe.
    pool = [(Money(f"{a}.00", "CNY"), Money(f"{a // 5}.00", "CNY")) for a in range(100, 20_100, 50)]
    refunds = [(-m, -gp) for m, gp in pool]
    out: list[Transaction] = []
    n = 0
    for c in range(customers):
        cid = f"cus{c:07d}"
        per_day = rng.gammavariate(2.0, 0.0125)
        lapse = rng.betavariate(1.0, 60.0)
        size = rng.randrange(len(pool) - 40)
        at = start + timedelta(days=rng.uniform(0, 180))
        first = True
        while at <= AS_OF:
            k = size + rng.randrange(40)
            amount, profit = pool[k]
            out.append(Transaction(f"t{n}", cid, at, amount, profit))
            n += 1
            if rng.random() < 0.025:
                amount, profit = refunds[k // 2]
                out.append(
                    Transaction(f"t{n}", cid, at, amount, profit, kind=TransactionKind.REFUND)
                )
                n += 1
            if not first and rng.random() < lapse:
                break
            first = False
            at += timedelta(days=min(rng.expovariate(per_day), 4000.0))
    return out


def timed(label: str, fn: Callable[[], T], times: dict[str, float]) -> T:
    start = time.perf_counter()
    result = fn()
    times[label] = time.perf_counter() - start
    return result


def peak_mib() -> float:
    # ru_maxrss is KiB on Linux and bytes on macOS.
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 1024 / 1024 if sys.platform == "darwin" else rss / 1024


def run(customers: int) -> float:
    build: dict[str, float] = {}
    txns = timed("generate", lambda: generate(customers, seed=customers), build)
    rates = ExchangeRates.single("CNY")
    times: dict[str, float] = {}
    grouped = timed("group", lambda: group_transactions(txns), times)
    facts = timed("facts", lambda: collect_facts(grouped, as_of=AS_OF, rates=rates), times)
    timed("rfm", lambda: score_rfm(facts), times)
    timed("pyramid", lambda: build_pyramid(facts), times)
    timed("concentration", lambda: revenue_concentration(facts), times)
    clv = timed("lifetime", lambda: predict_lifetime_value(facts, ClvConfig()), times)
    total = sum(times.values())
    print(
        f"{customers:>7} customers, {len(txns):>9} transactions "
        f"(generated in {build['generate']:.1f} s)"
    )
    print("         " + "  ".join(f"{k} {v:.2f} s" for k, v in times.items()))
    print(f"         analysis total {total:.2f} s, lifetime method {clv.method.value}")
    print(f"         peak RSS so far {peak_mib():.0f} MiB")
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()
    print(f"clv extra installed: {clv_extra_available()}")
    totals = [run(n) for n in args.sizes]
    if len(totals) >= 2:
        ratio = totals[-1] / totals[0]
        print(
            f"time ratio {args.sizes[0]} -> {args.sizes[-1]}: {ratio:.1f} "
            f"(linear would be {args.sizes[-1] / args.sizes[0]:.1f})"
        )


if __name__ == "__main__":
    main()
