"""Figures for the service-operations paths: business-hour arithmetic, deadline checks and
survey reports on the memory store. Run: ``python benchmarks/bench_operations.py [--seed N]``."""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, datetime, timedelta

from keyaccount.calendar import china_calendar
from keyaccount.clock import FixedClock
from keyaccount.complaints import ComplaintPolicy, check_deadlines, open_complaint
from keyaccount.events import NullSink
from keyaccount.host import PluginHost
from keyaccount.models import Customer, SurveyResponse, User
from keyaccount.surveys import satisfaction_report

START = datetime(2026, 1, 1, tzinfo=UTC)


def timed(label: str, n: int, fn) -> None:  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    fn()
    elapsed = time.perf_counter() - t0
    print(f"{label:<46} n={n:<7} {elapsed * 1000:9.1f} ms  {n / elapsed:12,.0f}/s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    calendar = china_calendar()

    starts = [START + timedelta(minutes=rng.randrange(0, 500 * 24 * 60)) for _ in range(20_000)]
    hours = [timedelta(hours=rng.choice([4, 8, 16, 24, 40, 80])) for _ in starts]
    timed(
        "WorkingCalendar.add (4-80 business hours)",
        len(starts),
        lambda: [calendar.add(s, h) for s, h in zip(starts, hours, strict=True)],
    )
    ends = [s + timedelta(days=rng.randrange(0, 30)) for s in starts]
    timed(
        "WorkingCalendar.between (0-30 days apart)",
        len(starts),
        lambda: [calendar.between(s, e) for s, e in zip(starts, ends, strict=True)],
    )

    host = PluginHost(load_entry_points=False)
    store = host.open_store("memory://")
    store.put_many([User("u_dir", "D"), User("u_mgr", "M", manager_id="u_dir")])
    store.put_many(User(f"u{i}", f"AM {i}", manager_id="u_mgr") for i in range(20))
    store.put_many(
        Customer(f"c{i}", f"Customer {i}", START, tier=rng.choice("ABC"), owner_id=f"u{i % 20}")
        for i in range(500)
    )
    policy = ComplaintPolicy(calendar=calendar)
    sink = NullSink()
    n_complaints = 2_000
    opened_at = [START + timedelta(hours=rng.randrange(0, 24 * 150)) for _ in range(n_complaints)]

    def open_all() -> None:
        for i, at in enumerate(opened_at):
            open_complaint(
                store, FixedClock(at), sink, customer_id=f"c{i % 500}", subject="s",
                actor_id="u0", severity=rng.choice(["low", "medium", "high", "critical"]),
                policy=policy,
            )  # fmt: skip

    timed("open_complaint (memory store)", n_complaints, open_all)
    fired: list[int] = []
    check_clock = FixedClock(START + timedelta(days=120))
    timed(
        "check_deadlines over open complaints",
        n_complaints,
        lambda: fired.append(len(check_deadlines(store, check_clock, sink, policy=policy))),
    )
    print(f"{'':<46} escalations fired: {fired[0]}")

    n_responses = 20_000
    store.put_many(
        SurveyResponse(
            f"r{i}", "s1", f"c{rng.randrange(500)}",
            START + timedelta(minutes=rng.randrange(0, 365 * 24 * 60)),
            nps=rng.randrange(11), csat=rng.randrange(1, 6),
        )
        for i in range(n_responses)
    )  # fmt: skip
    end = START + timedelta(days=365)
    for by in ("all", "tier", "manager", "month"):
        timed(
            f"satisfaction_report by {by}",
            n_responses,
            lambda by=by: satisfaction_report(store, START, end, by=by),
        )  # type: ignore[misc]


if __name__ == "__main__":
    main()
