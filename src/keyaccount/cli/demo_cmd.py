"""``keyaccount demo``: generate the seeded sample portfolio into a store and describe it."""

from __future__ import annotations

import argparse
from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from keyaccount.clock import FixedClock
from keyaccount.demo import DemoConfig, demo_rates, generate_portfolio
from keyaccount.host import get_host
from keyaccount.models import Customer, Transaction
from keyaccount.review import render_review, run_review
from keyaccount.storage import Store


def _as_of(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def add_parser(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "demo", help="generate a seeded sample portfolio into the store and review it"
    )
    p.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    p.add_argument("--customers", type=int, default=300, help="how many customers (default 300)")
    p.add_argument(
        "--as-of", type=_as_of, default=DemoConfig().as_of, help="the demo's today (YYYY-MM-DD)"
    )
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="review label language")
    p.add_argument("--no-review", action="store_true", help="only generate and describe")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    config = DemoConfig(seed=args.seed, customers=args.customers, as_of=args.as_of)
    portfolio = generate_portfolio(config)
    host = get_host()
    store = host.open_store(args.store)
    try:
        written = store.put_many(portfolio.records())
        print(describe(store, config, written))
        if not args.no_review:
            # The review runs "as of" the demo's today so its output is reproducible.
            result = run_review(
                store, clock=FixedClock(config.as_of), rates=demo_rates(), events=host
            )
            print()
            print(render_review(result, args.lang), end="")
    finally:
        store.close()
    return 0


def describe(store: Store, config: DemoConfig, written: int) -> str:
    lines = [
        f"keyaccount demo — seed {config.seed}, as of {config.as_of.date()}, store {store.url}",
        f"wrote {written} records:",
    ]
    for schema in store.schemas:
        count = store.count(schema.cls)
        if count:
            lines.append(f"  {schema.kind:<16} {count:>8}")
    revenue: dict[str, Decimal] = defaultdict(Decimal)
    by_customer: dict[str, Decimal] = defaultdict(Decimal)
    for t in store.query(Transaction):
        revenue[t.amount.currency] += t.amount.amount
        if t.amount.currency == "CNY":
            by_customer[t.customer_id] += t.amount.amount
    lines.append("revenue by currency (orders net of refunds):")
    lines.extend(f"  {cur}  {amount:>20,.2f}" for cur, amount in sorted(revenue.items()))
    top = sorted(by_customer.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
    if top:
        customers = store.get_many(Customer, [cid for cid, _ in top])
        lines.append("largest CNY accounts:")
        for cid, amount in top:
            lines.append(f"  {customers[cid].name:<24} {amount:>18,.2f} CNY")
    return "\n".join(lines)
